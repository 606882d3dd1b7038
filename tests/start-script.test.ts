// scripts/start.mjs (`npm start`): Electron when its binary is there; otherwise Electron's own
// installer once, and the web mode in the browser when that fails, saying why and how to retry.
// Everything is injected here (no download, no Electron, no browser), except the last test, which
// runs the real script as a child with the binary absent and its download failing fast (a closed
// local port as the mirror, an empty cache), a fake opener, and checks the web server it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const SCRIPT = join(REPO, 'scripts', 'start.mjs');

interface RunResult {
  code: number | null;
  signal?: string | null;
  timedOut?: boolean;
  error?: string;
  stderr?: string;
}
type Run = (cmd: string, args: string[], opts?: Record<string, unknown>) => Promise<RunResult>;
type Binary = { path?: string; error?: string };
interface Started {
  mode: 'electron' | 'web' | 'failed';
  code?: number;
  child?: ChildProcess;
  exited?: Promise<number>;
  reason?: string;
  ready?: Promise<string | null>;
}
interface StartModule {
  INSTALL_COMMAND: string;
  NO_DOWNLOAD_ENV: string;
  OPENER_ENV: string;
  parseArgs(args: string[]): { web: boolean; open: boolean; build: boolean; rest: string[] };
  electronBinary(o?: { root?: string }): Binary;
  decideStart(o: { web: boolean; binary: Binary; env: Record<string, string | undefined> }): {
    mode: string;
    path?: string;
    reason?: string;
  };
  installerFailure(stderr: string): string | null;
  installElectron(o: {
    root?: string;
    env?: Record<string, string | undefined>;
    run?: Run;
    timeoutMs?: number;
    heartbeatMs?: number;
    err?: Writable;
  }): Promise<{ ok: boolean; reason?: string }>;
  runCommand: Run;
  missingElectronMessage(reason: string): string;
  webFallbackMessage(reason: string): string;
  openerCommand(
    url: string,
    o?: { platform?: string; env?: Record<string, string | undefined> },
  ): { cmd: string; args: string[] };
  openUrl(
    url: string,
    o?: { env?: Record<string, string | undefined>; waitMs?: number },
  ): Promise<{ ok: boolean; reason?: string }>;
  start(o: Record<string, unknown>): Promise<Started>;
}

const mod = (await import('../scripts/start.mjs' as string)) as StartModule;

/** What the real installer prints when it cannot reach the mirror (the stack shortened). */
const REFUSED_STDERR =
  'RequestError: connect ECONNREFUSED 127.0.0.1:9\n' +
  '    at ClientRequest.<anonymous> (/x/node_modules/got/dist/source/core/index.js:970:111)\n' +
  '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)\n';

function sink(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

/** A child that "runs": emits spawn, prints `lines` on stdout, exits on kill. */
class FakeChild extends EventEmitter {
  stdout = new PassThrough();
  killed: string[] = [];
  constructor(lines: string[] = [], failWith?: Error) {
    super();
    setImmediate(() => {
      if (failWith) return this.emit('error', failWith);
      this.emit('spawn');
      for (const l of lines) this.stdout.write(`${l}\n`);
    });
  }
  kill(signal = 'SIGTERM') {
    this.killed.push(signal);
    setImmediate(() => this.emit('exit', 0, null));
    return true;
  }
}

interface SpawnCall {
  cmd: string;
  args: string[];
  opts: Record<string, unknown>;
}

/** A spawner for start(): Electron and the web server are FakeChilds; records every call. */
function fakeSpawner(opts: { electronFails?: Error } = {}) {
  const calls: SpawnCall[] = [];
  const spawnApp = (cmd: string, args: string[], o: Record<string, unknown>) => {
    calls.push({ cmd, args, opts: o });
    if (args.some((a) => a.endsWith('serve.ts')))
      return new FakeChild(['Bottleneck Studio (web mode) at http://127.0.0.1:5999/?token=abc', 'Results folder: x']);
    return new FakeChild([], opts.electronFails);
  };
  return { calls, spawnApp };
}

/** A runner for builds and the installer: records calls, answers from `installer` for install.js. */
function fakeRunner(installer: () => RunResult) {
  const calls: { cmd: string; args: string[] }[] = [];
  const run: Run = async (cmd, args) => {
    calls.push({ cmd, args });
    if (args[0]?.endsWith('install.js')) return installer();
    return { code: 0 };
  };
  return { calls, run };
}

let top: string;
/** A package root with the app built (an empty electron-main.js) and the repo's node_modules. */
let root: string;

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'studio-start-'));
  root = join(top, 'app');
  mkdirSync(join(root, 'dist', 'main', 'app'), { recursive: true });
  writeFileSync(join(root, 'dist', 'main', 'app', 'electron-main.js'), '');
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'junction');
});

afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('deciding', () => {
  it('reads its own flags and passes the rest on', () => {
    expect(mod.parseArgs(['--web', '--no-open', '--no-build', '--port', '5180'])).toEqual({
      web: true,
      open: false,
      build: false,
      rest: ['--port', '5180'],
    });
    expect(mod.parseArgs([])).toEqual({ web: false, open: true, build: true, rest: [] });
  });

  it('Electron when the binary is there, the installer when not, the web mode when asked or when downloads are off', () => {
    expect(mod.decideStart({ web: false, binary: { path: '/e' }, env: {} })).toEqual({ mode: 'electron', path: '/e' });
    expect(mod.decideStart({ web: false, binary: { error: 'gone' }, env: {} })).toEqual({
      mode: 'install',
      reason: 'gone',
    });
    expect(mod.decideStart({ web: true, binary: { path: '/e' }, env: {} })).toEqual({ mode: 'web' });
    const off = mod.decideStart({ web: false, binary: { error: 'gone' }, env: { [mod.NO_DOWNLOAD_ENV]: '1' } });
    expect(off.mode).toBe('web');
    expect(off.reason).toContain(mod.NO_DOWNLOAD_ENV);
    expect(mod.decideStart({ web: false, binary: { error: 'gone' }, env: { [mod.NO_DOWNLOAD_ENV]: '0' } }).mode).toBe(
      'install',
    );
    const skip = mod.decideStart({
      web: false,
      binary: { error: 'gone' },
      env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    });
    expect(skip.reason).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
  });

  it('finds no binary on this checkout unless Electron was downloaded, and says so plainly', () => {
    const bin = mod.electronBinary({ root: REPO });
    if (existsSync(join(REPO, 'node_modules', 'electron', 'path.txt'))) expect(bin.path ?? bin.error).toBeTruthy();
    else expect(bin).toEqual({ error: 'its download never ran' });
  });

  it("takes the installer's error line, not its stack, with a plain hint", () => {
    expect(mod.installerFailure(REFUSED_STDERR)).toBe(
      'RequestError: connect ECONNREFUSED 127.0.0.1:9 (no internet access, or a proxy or firewall in the way?)',
    );
    expect(
      mod.installerFailure('(node:1) [DEP0040] DeprecationWarning: x\nError: EACCES: permission denied, mkdir'),
    ).toMatch(/^Error: EACCES.*no permission/);
    expect(mod.installerFailure('')).toBeNull();
  });

  it('the fallback message names the reason, the retry command and --web', () => {
    const m = mod.webFallbackMessage('downloading it failed: boom');
    expect(m).toContain('downloading it failed: boom');
    expect(m).toContain('node node_modules/electron/install.js');
    expect(m).toContain('web mode');
    expect(m).toContain('--web');
  });

  it('the missing-binary message (npm run dev stops on it) says how to get it and the browser way', () => {
    const m = mod.missingElectronMessage('its download never ran');
    expect(m).toContain('the Electron binary is missing (its download never ran)');
    expect(m).toContain('node node_modules/electron/install.js');
    expect(m).toContain('npm start -- --web');
    expect(m).not.toContain('Starting the same UI');
  });
});

describe('installing Electron', () => {
  it("runs Electron's own installer with node and a time limit (5 minutes in CI)", async () => {
    const seen: { cmd: string; args: string[]; opts?: Record<string, unknown> }[] = [];
    const r = await mod.installElectron({
      root,
      env: { CI: 'true' },
      run: async (cmd, args, opts) => {
        seen.push({ cmd, args, opts });
        return { code: 0 };
      },
      err: sink(),
    });
    expect(r).toEqual({ ok: true });
    expect(seen[0].cmd).toBe(process.execPath);
    expect(seen[0].args[0]).toMatch(/electron[\\/]install\.js$/);
    expect(seen[0].opts?.timeoutMs).toBe(5 * 60_000);
  });

  it('reports a timeout, a spawn failure and a bare non-zero exit as reasons', async () => {
    const err = sink();
    const timedOut = await mod.installElectron({
      root,
      env: { CI: '1' },
      run: async () => ({ code: null, signal: 'SIGTERM', timedOut: true }),
      err,
    });
    expect(timedOut).toEqual({ ok: false, reason: 'the download did not finish within 5 minutes' });
    const cannot = await mod.installElectron({
      root,
      env: {},
      run: async () => ({ code: null, error: 'spawn EACCES' }),
      err,
    });
    expect(cannot.reason).toContain('spawn EACCES');
    const bare = await mod.installElectron({ root, env: {}, run: async () => ({ code: 3, stderr: '' }), err });
    expect(bare.reason).toBe('the installer exited with code 3');
  });

  it('the real installer, its download refused, fails fast with the reason (nothing is installed)', async () => {
    const empty = mkdtempSync(join(top, 'none-'));
    const err = sink();
    const r = await mod.installElectron({
      root: REPO,
      env: {
        ...process.env,
        ELECTRON_MIRROR: 'http://127.0.0.1:9/',
        electron_config_cache: mkdtempSync(join(top, 'cache-')),
        // Where a binary is installed, the installer would exit 0 at once: make it look absent.
        ELECTRON_OVERRIDE_DIST_PATH: empty,
        ELECTRON_SKIP_BINARY_DOWNLOAD: '',
      },
      timeoutMs: 60_000,
      err,
    });
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('ECONNREFUSED');
    // Its error line is shown, its stack frames are not.
    expect(err.text()).toContain('ECONNREFUSED');
    expect(err.text()).not.toMatch(/^\s+at /m);
  });

  it('kills a command that runs past its time limit', async () => {
    const t0 = Date.now();
    const r = await mod.runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'capture',
      timeoutMs: 300,
      err: sink(),
    });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('opening the browser', () => {
  it("uses the platform's opener, or $BOTTLENECK_STUDIO_OPENER", () => {
    const url = 'http://127.0.0.1:1/?token=t';
    expect(mod.openerCommand(url, { platform: 'linux', env: {} })).toEqual({ cmd: 'xdg-open', args: [url] });
    expect(mod.openerCommand(url, { platform: 'darwin', env: {} })).toEqual({ cmd: 'open', args: [url] });
    expect(mod.openerCommand(url, { platform: 'win32', env: {} })).toMatchObject({
      cmd: 'cmd',
      args: ['/c', 'start', '""', url],
    });
    expect(mod.openerCommand(url, { platform: 'linux', env: { [mod.OPENER_ENV]: '/bin/x' } })).toEqual({
      cmd: '/bin/x',
      args: [url],
    });
  });

  it.skipIf(process.platform === 'win32')(
    'an opener that is missing or fails gives a reason, not an exception',
    async () => {
      const missing = await mod.openUrl('http://x/', { env: { [mod.OPENER_ENV]: join(top, 'no-such-opener') } });
      expect(missing.ok).toBe(false);
      expect(missing.reason).toContain('not found');
      const failing = join(top, 'failing-opener.sh');
      writeFileSync(failing, '#!/bin/sh\nexit 3\n');
      chmodSync(failing, 0o755);
      const failed = await mod.openUrl('http://x/', { env: { [mod.OPENER_ENV]: failing } });
      expect(failed).toEqual({ ok: false, reason: `${failing} exited with 3` });
    },
  );
});

describe('start()', () => {
  it('binary present: builds and launches Electron on the app, nothing downloaded', async () => {
    const { calls, spawnApp } = fakeSpawner();
    const runner = fakeRunner(() => {
      throw new Error('no install expected');
    });
    const err = sink();
    const r = await mod.start({
      argv: ['--enable-logging'],
      env: { ELECTRON_RUN_AS_NODE: '1', KEEP: 'x' },
      root,
      platform: 'linux',
      findElectron: () => ({ path: '/opt/electron' }),
      run: runner.run,
      spawnApp,
      err,
    });
    expect(r.mode).toBe('electron');
    expect(runner.calls).toEqual([{ cmd: 'npm', args: ['run', 'build'] }]);
    expect(calls).toHaveLength(1);
    expect(calls[0].cmd).toBe('/opt/electron');
    expect(calls[0].args).toEqual([root, '--enable-logging']);
    expect(calls[0].opts.env).toEqual({ KEEP: 'x' });
    expect(err.text()).toBe('');
    r.child!.kill();
    expect(await r.exited).toBe(0);
  });

  it('binary absent, the install succeeds: says it downloads, then launches Electron', async () => {
    let installed = false;
    const { calls, spawnApp } = fakeSpawner();
    const runner = fakeRunner(() => {
      installed = true;
      return { code: 0 };
    });
    const err = sink();
    const r = await mod.start({
      argv: ['--no-build'],
      env: {},
      root,
      findElectron: () => (installed ? { path: '/opt/electron' } : { error: 'its download never ran' }),
      run: runner.run,
      spawnApp,
      err,
    });
    expect(r.mode).toBe('electron');
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0].args[0]).toMatch(/install\.js$/);
    expect(err.text()).toContain('downloading the Electron binary (~100 MB, once)');
    expect(calls[0].cmd).toBe('/opt/electron');
  });

  it('binary absent, the download fails: the web mode, one message with the reason and the retry, the browser opened', async () => {
    const { calls, spawnApp } = fakeSpawner();
    const runner = fakeRunner(() => ({ code: 1, stderr: REFUSED_STDERR }));
    const opened: string[] = [];
    const err = sink();
    const out = sink();
    const r = await mod.start({
      argv: ['--enable-logging'],
      env: {},
      root,
      findElectron: () => ({ error: 'its download never ran' }),
      run: runner.run,
      spawnApp,
      open: async (url: string) => {
        opened.push(url);
        return { ok: true };
      },
      err,
      out,
    });
    expect(r.mode).toBe('web');
    expect(await r.ready).toBe('http://127.0.0.1:5999/?token=abc');
    expect(opened).toEqual(['http://127.0.0.1:5999/?token=abc']);
    // The installer, then the renderer build (not the desktop build), then the server.
    expect(runner.calls.map((c) => c.args.join(' '))).toEqual([
      expect.stringMatching(/install\.js$/),
      'run build:renderer',
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[1]).toBe(join(root, 'main', 'server', 'serve.ts'));
    // Electron's arguments are not the web server's.
    expect(calls[0].args.slice(2)).toEqual(['--no-open']);
    const text = err.text();
    expect(text).toContain('cannot start the desktop app');
    expect(text).toContain('ECONNREFUSED 127.0.0.1:9');
    expect(text).toContain('node node_modules/electron/install.js');
    expect(text.match(/cannot start the desktop app/g)).toHaveLength(1);
    expect(out.text()).toContain('Bottleneck Studio (web mode) at http://127.0.0.1:5999/?token=abc');
    r.child!.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  it('the opener failing is not fatal: the address is printed', async () => {
    const { spawnApp } = fakeSpawner();
    const err = sink();
    const r = await mod.start({
      argv: ['--no-build'],
      env: { [mod.NO_DOWNLOAD_ENV]: '1' },
      root,
      findElectron: () => ({ error: 'its download never ran' }),
      run: fakeRunner(() => ({ code: 0 })).run,
      spawnApp,
      open: async () => ({ ok: false, reason: 'xdg-open: not found' }),
      err,
      out: sink(),
    });
    expect(r.mode).toBe('web');
    expect(await r.ready).toBe('http://127.0.0.1:5999/?token=abc');
    expect(err.text()).toContain(mod.NO_DOWNLOAD_ENV);
    expect(err.text()).toContain('could not open a browser (xdg-open: not found)');
    expect(err.text()).toContain('  http://127.0.0.1:5999/?token=abc');
    expect(r.child!.killed).toEqual([]);
    r.child!.kill();
  });

  it('--web skips Electron (even when it is there), passes the rest to the server; --no-open opens nothing', async () => {
    const { calls, spawnApp } = fakeSpawner();
    const runner = fakeRunner(() => ({ code: 0 }));
    const opened: string[] = [];
    const err = sink();
    const r = await mod.start({
      argv: ['--web', '--no-open', '--no-build', '--port', '5180'],
      env: {},
      root,
      findElectron: () => ({ path: '/opt/electron' }),
      run: runner.run,
      spawnApp,
      open: async (url: string) => {
        opened.push(url);
        return { ok: true };
      },
      err,
      out: sink(),
    });
    expect(r.mode).toBe('web');
    expect(await r.ready).toBe('http://127.0.0.1:5999/?token=abc');
    expect(runner.calls).toEqual([]);
    expect(opened).toEqual([]);
    expect(calls.map((c) => c.cmd)).toEqual([process.execPath]);
    expect(calls[0].args.slice(1)).toEqual([join(root, 'main', 'server', 'serve.ts'), '--no-open', '--port', '5180']);
    expect(err.text()).toBe('');
    r.child!.kill();
  });

  it('an Electron that cannot be started falls back to the web mode too', async () => {
    const { calls, spawnApp } = fakeSpawner({
      electronFails: Object.assign(new Error('spawn EACCES'), { code: 'EACCES' }),
    });
    const err = sink();
    const r = await mod.start({
      argv: ['--no-build', '--no-open'],
      env: {},
      root,
      findElectron: () => ({ path: '/opt/electron' }),
      run: fakeRunner(() => ({ code: 0 })).run,
      spawnApp,
      err,
      out: sink(),
    });
    expect(r.mode).toBe('web');
    expect(err.text()).toContain('could not be started (spawn EACCES)');
    expect(calls).toHaveLength(2);
    r.child!.kill();
  });

  it('a failed build starts nothing', async () => {
    const { calls, spawnApp } = fakeSpawner();
    const err = sink();
    const r = await mod.start({
      argv: [],
      env: {},
      root,
      findElectron: () => ({ path: '/opt/electron' }),
      run: async () => ({ code: 2 }),
      spawnApp,
      err,
    });
    expect(r).toEqual({ mode: 'failed', code: 2 });
    expect(calls).toEqual([]);
    expect(err.text()).toContain('the build failed');
  });
});

describe.skipIf(process.platform === 'win32')('npm start as a user runs it, Electron absent and offline', () => {
  it('falls back to the web mode: the fake opener gets the address, and the server answers there', async () => {
    const dir = mkdtempSync(join(top, 'real-'));
    const openedFile = join(dir, 'opened');
    const opener = join(dir, 'opener.sh');
    writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$1" > '${openedFile}'\n`);
    chmodSync(opener, 0o755);
    const env: Record<string, string | undefined> = {
      ...process.env,
      ELECTRON_MIRROR: 'http://127.0.0.1:9/',
      electron_config_cache: mkdtempSync(join(dir, 'cache-')),
      // Where a binary was downloaded on this machine, it still looks absent.
      ELECTRON_OVERRIDE_DIST_PATH: mkdtempSync(join(dir, 'dist-')),
      [mod.OPENER_ENV]: opener,
      BOTTLENECK_STUDIO_RESULTS: join(dir, 'results'),
      STUDIO_CACHE_DIR: join(dir, 'studio-cache'),
      XDG_CONFIG_HOME: join(dir, 'config'),
    };
    delete env[mod.NO_DOWNLOAD_ENV];
    delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
    // --no-build: dist/renderer is served when built, else the page says what to build (503).
    const child = spawn(process.execPath, [SCRIPT, '--no-build'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const waitFor = async <T>(what: string, get: () => T | undefined, ms = 90_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = get();
        if (v !== undefined) return v;
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`no ${what} (exit ${child.exitCode})\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      const url = await waitFor('address', () => /Bottleneck Studio \(web mode\) at (\S+)/.exec(out)?.[1]);
      const opened = await waitFor('opener call', () =>
        existsSync(openedFile) && readFileSync(openedFile, 'utf8') ? readFileSync(openedFile, 'utf8') : undefined,
      );
      expect(opened).toBe(url);
      expect(err).toContain('downloading the Electron binary (~100 MB, once)');
      expect(err).toContain('ECONNREFUSED');
      expect(err).toContain('node node_modules/electron/install.js');

      const page = await fetch(url);
      expect([200, 503]).toContain(page.status);
      if (page.status === 503) expect(await page.text()).toContain('npm run build:renderer');
      const { origin, searchParams } = new URL(url);
      const info = await fetch(`${origin}/api/app.info`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${searchParams.get('token')}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(info.status).toBe(200);
      expect(((await info.json()) as { mode: string }).mode).toBe('web');

      // A plain kill of `npm start` reaches the server, which stops cleanly.
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
