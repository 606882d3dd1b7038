// `npm start`: builds the app (renderer + main) and launches Electron on it. `npm ci` does not
// download Electron's binary here (`allowScripts` skips its postinstall), so where the binary is
// missing this runs Electron's own installer once (its output shown); where that fails (offline,
// no permission, a bad download, a timeout) it starts the same UI in the browser (web mode,
// main/server/serve.ts) and says why and how to retry, instead of failing.
//
//   npm start -- --web        the web mode straight away (no Electron)
//   npm start -- --no-open    web mode without opening a browser (the address is printed)
//   npm start -- --no-build   use what is already built
//   BOTTLENECK_STUDIO_NO_ELECTRON_DOWNLOAD=1   never download Electron (web mode when it is missing)
//   BOTTLENECK_STUDIO_OPENER=<command>         opens the web address instead of the platform's opener
//
// Everything that spawns, downloads or opens is injected into start(), so tests do none of it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const INSTALL_COMMAND = 'node node_modules/electron/install.js';
export const NO_DOWNLOAD_ENV = 'BOTTLENECK_STUDIO_NO_ELECTRON_DOWNLOAD';
export const OPENER_ENV = 'BOTTLENECK_STUDIO_OPENER';
/** In CI a stuck download must end; elsewhere a slow line gets longer for ~100 MB. */
export const INSTALL_TIMEOUT_CI_MS = 5 * 60_000;
export const INSTALL_TIMEOUT_MS = 20 * 60_000;
/** The line main/server/serve.ts prints once it listens; the address (with its token) is read from it. */
export const WEB_URL_LINE = /Bottleneck Studio \(web mode\) at (\S+)/;

const OUR_FLAGS = new Set(['--web', '--no-open', '--open', '--no-build']);

/** Our own flags; the rest goes to Electron (or, with --web, to the web server). */
export function parseArgs(args) {
  return {
    web: args.includes('--web'),
    open: !args.includes('--no-open'),
    build: !args.includes('--no-build'),
    rest: args.filter((a) => !OUR_FLAGS.has(a)),
  };
}

/** Set and not "0"/"false"/"no": how CI and our switches read. */
export function envFlag(value) {
  return value !== undefined && !['', '0', 'false', 'no'].includes(String(value).trim().toLowerCase());
}

function requireFrom(root) {
  return createRequire(join(root, 'package.json'));
}

/** The Electron binary's path, or why there is none. */
export function electronBinary({ root = ROOT } = {}) {
  const req = requireFrom(root);
  try {
    const id = req.resolve('electron');
    // Read afresh: the installer may have run since the last look.
    delete req.cache[id];
    // The electron package's main export is the binary's path; it throws when the download never ran.
    const path = req(id);
    if (typeof path !== 'string') return { error: 'the electron package did not give a binary path' };
    if (!existsSync(path)) return { error: `the Electron binary is not at ${path}` };
    return { path };
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') return { error: 'the electron package is not installed (run `npm ci`)' };
    // Electron's own words ("failed to install correctly, please delete node_modules/electron") send
    // people the wrong way: here it only means the download never ran.
    if (/failed to install correctly/.test(e.message)) return { error: 'its download never ran' };
    return { error: e.message.split('\n')[0] };
  }
}

/** Electron's own installer (node_modules/electron/install.js), or why there is none. */
export function electronInstaller({ root = ROOT } = {}) {
  try {
    return { path: requireFrom(root).resolve('electron/install.js') };
  } catch {
    return { error: 'the electron package is not installed (run `npm ci`)' };
  }
}

/** Why no download is tried, or null when it may be. */
export function downloadOff(env) {
  if (envFlag(env[NO_DOWNLOAD_ENV])) return `${NO_DOWNLOAD_ENV} turns its download off`;
  // Electron's installer would exit 0 without downloading anything.
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) return 'ELECTRON_SKIP_BINARY_DOWNLOAD turns its download off';
  return null;
}

/**
 * What to start: { mode: 'electron', path } | { mode: 'install', reason } (the binary is missing and
 * may be downloaded) | { mode: 'web', reason? } (reason: why not Electron; none when --web asked).
 */
export function decideStart({ web, binary, env }) {
  if (web) return { mode: 'web' };
  if (binary.path) return { mode: 'electron', path: binary.path };
  const off = downloadOff(env);
  if (off) return { mode: 'web', reason: `the Electron binary is missing (${binary.error}) and ${off}` };
  return { mode: 'install', reason: binary.error };
}

export function downloadingMessage(reason) {
  return (
    `Bottleneck Studio: the Electron binary is missing (${reason}).\n` +
    `Bottleneck Studio: downloading the Electron binary (~100 MB, once) with \`${INSTALL_COMMAND}\`...\n`
  );
}

/**
 * For whoever must stop without the binary (`npm run dev`): what is missing, how to get it, and the
 * browser alternative.
 */
export function missingElectronMessage(reason) {
  return [
    `Bottleneck Studio: cannot start the desktop app: the Electron binary is missing (${reason}).`,
    '',
    '  Fix (needs internet access, downloads ~100 MB once; `npm start` runs it for you):',
    `    ${INSTALL_COMMAND}`,
    '',
    '  Or use the same UI in a browser, without Electron:',
    '    npm start -- --web',
    '',
  ].join('\n');
}

/** `npm start`'s one message when it falls back: why no desktop app, what starts instead, how to retry. */
export function webFallbackMessage(reason) {
  return [
    `Bottleneck Studio: cannot start the desktop app: ${reason}.`,
    '  Starting the same UI in your browser instead (web mode).',
    '  To get the desktop app (needs internet access, downloads ~100 MB once), run',
    `    ${INSTALL_COMMAND}`,
    '  then `npm start` again. (`npm start -- --web` always starts the web mode.)',
    '',
  ].join('\n');
}

export function openFailedMessage(url, reason) {
  return `Bottleneck Studio: could not open a browser (${reason}); open this address yourself:\n  ${url}\n`;
}

/** A plain hint for the usual causes, after the installer's own error line. */
function hintFor(line) {
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up/i.test(line))
    return ' (no internet access, or a proxy or firewall in the way?)';
  if (/EACCES|EPERM|EROFS/.test(line)) return ' (no permission to write into node_modules/electron?)';
  if (/checksum|end of central directory|invalid zip|corrupt/i.test(line)) return ' (a bad download: try again)';
  return '';
}

/** The installer's failure reason from what it wrote on stderr (its error line, not the stack frames). */
export function installerFailure(stderr) {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() && !/^\s+at /.test(l) && !/^\(node:\d+\)/.test(l) && !/^\(Use `node --trace/.test(l));
  const line = lines.find((l) => /\b\w*Error\b/.test(l)) ?? lines[0];
  if (!line) return null;
  return `${line.trim()}${hintFor(line)}`;
}

/**
 * Runs a command to its end. stdio 'inherit' (the build), or 'capture' (the installer): its stdout
 * shown as is, its stderr shown without stack frames and kept for the failure reason. With
 * timeoutMs it is killed when over time. Resolves { code, signal, timedOut, error?, stderr }.
 */
export function runCommand(cmd, args, { cwd, env, stdio = 'inherit', timeoutMs, shell, err = process.stderr } = {}) {
  return new Promise((resolvePromise) => {
    let stderr = '';
    let partial = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(cmd, args, {
        cwd,
        env,
        shell,
        stdio: stdio === 'capture' ? ['ignore', 'inherit', 'pipe'] : 'inherit',
      });
    } catch (e) {
      resolvePromise({ code: null, signal: null, timedOut: false, error: e.message, stderr });
      return;
    }
    const showLine = (line) => {
      if (!/^\s+at /.test(line)) err.write(`${line}\n`);
    };
    child.stderr?.on('data', (chunk) => {
      const text = chunk.toString();
      // The tail is enough for the reason; a chatty installer must not grow this without end.
      stderr = (stderr + text).slice(-64 * 1024);
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      lines.forEach(showLine);
    });
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }, timeoutMs)
        : null;
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (partial) showLine(partial);
      resolvePromise({ timedOut, stderr, ...result });
    };
    child.on('error', (e) => finish({ code: null, signal: null, error: e.message }));
    child.on('close', (code, signal) => finish({ code, signal }));
  });
}

function minutes(ms) {
  const m = ms / 60_000;
  return m >= 1 ? `${Math.round(m * 10) / 10} minutes` : `${Math.round(ms / 1000)} s`;
}

/** The installer's time limit: always one, shorter in CI. */
export function installTimeoutMs(env) {
  return envFlag(env.CI) ? INSTALL_TIMEOUT_CI_MS : INSTALL_TIMEOUT_MS;
}

/**
 * Runs Electron's own installer (its output shown). Resolves { ok: true } or { ok: false, reason }.
 * A "still downloading" line every heartbeatMs says it is not stuck (its progress bar only shows on
 * a terminal, and its stderr is read here).
 */
export async function installElectron({
  root = ROOT,
  env = process.env,
  run = runCommand,
  timeoutMs = installTimeoutMs(env),
  heartbeatMs = 30_000,
  err = process.stderr,
} = {}) {
  const installer = electronInstaller({ root });
  if (installer.error) return { ok: false, reason: installer.error };
  const started = Date.now();
  const beat =
    heartbeatMs > 0
      ? setInterval(() => {
          err.write(
            `Bottleneck Studio: still downloading the Electron binary (${Math.round((Date.now() - started) / 1000)} s)...\n`,
          );
        }, heartbeatMs)
      : null;
  let r;
  try {
    r = await run(process.execPath, [installer.path], { cwd: root, env, stdio: 'capture', timeoutMs, err });
  } finally {
    if (beat) clearInterval(beat);
  }
  if (r.error) return { ok: false, reason: `its installer could not be run: ${r.error}` };
  if (r.timedOut) return { ok: false, reason: `the download did not finish within ${minutes(timeoutMs)}` };
  if (r.code !== 0)
    return {
      ok: false,
      reason:
        installerFailure(r.stderr ?? '') ??
        `the installer ${r.signal ? `ended on ${r.signal}` : `exited with code ${r.code}`}`,
    };
  return { ok: true };
}

/** The command that opens `url` in the default browser: $BOTTLENECK_STUDIO_OPENER, else the platform's. */
export function openerCommand(url, { platform = process.platform, env = process.env } = {}) {
  if (env[OPENER_ENV]) return { cmd: env[OPENER_ENV], args: [url] };
  if (platform === 'darwin') return { cmd: 'open', args: [url] };
  // `start`'s first quoted argument is the window title; verbatim, so cmd sees exactly this line.
  if (platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""', url], windowsVerbatimArguments: true };
  return { cmd: 'xdg-open', args: [url] };
}

/**
 * Opens `url` (detached, best effort). Resolves { ok: true } once the opener exits 0 (or is still
 * running after waitMs: some openers stay until the browser closes), else { ok: false, reason }.
 */
export function openUrl(
  url,
  { spawnApp = spawn, platform = process.platform, env = process.env, waitMs = 10_000 } = {},
) {
  const { cmd, args, windowsVerbatimArguments } = openerCommand(url, { platform, env });
  return new Promise((resolvePromise) => {
    let child;
    try {
      child = spawnApp(cmd, args, { detached: true, stdio: 'ignore', windowsVerbatimArguments });
    } catch (e) {
      resolvePromise({ ok: false, reason: `${cmd}: ${e.message}` });
      return;
    }
    const timer = setTimeout(() => resolvePromise({ ok: true }), waitMs);
    timer.unref?.();
    child.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ ok: false, reason: `${cmd}: ${e.code === 'ENOENT' ? 'not found' : e.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise(
        code === 0
          ? { ok: true }
          : { ok: false, reason: `${cmd} ${signal ? `ended on ${signal}` : `exited with ${code}`}` },
      );
    });
    child.unref?.();
  });
}

function npmCommand(platform) {
  return platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** Spawns a long-running child; resolves { child, exited } once it runs, or { error } when it cannot start. */
function launch(spawnApp, cmd, args, options) {
  return new Promise((resolvePromise) => {
    let child;
    try {
      child = spawnApp(cmd, args, options);
    } catch (e) {
      resolvePromise({ error: e.message });
      return;
    }
    const exited = new Promise((res) => child.once('exit', (code, signal) => res(signal ? 1 : (code ?? 0))));
    child.once('error', (e) => resolvePromise({ error: e.message }));
    child.once('spawn', () => resolvePromise({ child, exited }));
  });
}

/**
 * Starts the web server (tsx main/server/serve.ts, as `npm run serve` does, without its own
 * opener), passing its output through. `url` resolves with the address it prints (null if it
 * ends first).
 */
async function startWeb({ root, args, env, spawnApp, out }) {
  let tsxCli;
  try {
    tsxCli = requireFrom(root).resolve('tsx/cli');
  } catch {
    return { error: 'tsx is not installed (run `npm ci`)' };
  }
  const started = await launch(
    spawnApp,
    process.execPath,
    [tsxCli, join(root, 'main', 'server', 'serve.ts'), '--no-open', ...args],
    { cwd: root, env, stdio: ['inherit', 'pipe', 'inherit'] },
  );
  if (started.error) return started;
  const { child } = started;
  const url = new Promise((resolvePromise) => {
    let partial = '';
    child.stdout.on('data', (chunk) => {
      out.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const m = WEB_URL_LINE.exec(line);
        if (m) resolvePromise(m[1]);
      }
    });
    child.once('exit', () => resolvePromise(null));
  });
  return { ...started, url };
}

/**
 * Decides, downloads, builds and starts. Resolves one of
 *   { mode: 'electron', child, exited }
 *   { mode: 'web', child, exited, reason?, ready } (ready: the address once printed (null if the
 *     server ended first), after the browser was asked to open it)
 *   { mode: 'failed', code } (nothing runs: a build failed, or the web server could not start).
 * `exited` resolves with the exit code to end with.
 */
export async function start({
  argv = process.argv.slice(2),
  env = process.env,
  root = ROOT,
  platform = process.platform,
  findElectron = electronBinary,
  install = installElectron,
  run = runCommand,
  spawnApp = spawn,
  open = openUrl,
  out = process.stdout,
  err = process.stderr,
} = {}) {
  const args = parseArgs(argv);
  // Checked before any build: no point building for a minute to then download or fall back.
  let decision = decideStart({ web: args.web, binary: findElectron({ root }), env });
  if (decision.mode === 'install') {
    err.write(downloadingMessage(decision.reason));
    const installed = await install({ root, env, run, err });
    if (installed.ok) {
      const bin = findElectron({ root });
      decision = bin.path
        ? { mode: 'electron', path: bin.path }
        : { mode: 'web', reason: `Electron's installer finished, but ${bin.error}` };
      if (bin.path) err.write('Bottleneck Studio: the Electron binary is installed.\n');
    } else {
      decision = {
        mode: 'web',
        reason: `the Electron binary is missing and downloading it failed: ${installed.reason}`,
      };
    }
  }
  const npm = npmCommand(platform);
  const shell = platform === 'win32';

  if (decision.mode === 'electron') {
    if (args.build) {
      const built = await run(npm, ['run', 'build'], { cwd: root, env, stdio: 'inherit', shell });
      if (built.code !== 0) {
        err.write('Bottleneck Studio: the build failed (see above); not starting.\n');
        return { mode: 'failed', code: built.code || 1 };
      }
    }
    if (!existsSync(join(root, 'dist', 'main', 'app', 'electron-main.js'))) {
      err.write('Bottleneck Studio: dist/main/app/electron-main.js is missing; run `npm run build`.\n');
      return { mode: 'failed', code: 1 };
    }
    const electronEnv = { ...env };
    // Set by some tools (and by Electron's own fork()); it would make Electron behave as plain Node.
    delete electronEnv.ELECTRON_RUN_AS_NODE;
    const launched = await launch(spawnApp, decision.path, [root, ...args.rest], {
      cwd: root,
      stdio: 'inherit',
      env: electronEnv,
    });
    if (!launched.error) return { mode: 'electron', ...launched };
    decision = { mode: 'web', reason: `the Electron binary could not be started (${launched.error})` };
  }

  // Web mode. Electron's own arguments mean nothing to the web server: only --web passes them on.
  if (decision.reason) err.write(webFallbackMessage(decision.reason));
  // The desktop build may have run already; the renderer is all the web mode needs.
  if (args.build) {
    const built = await run(npm, ['run', 'build:renderer'], { cwd: root, env, stdio: 'inherit', shell });
    if (built.code !== 0) {
      err.write('Bottleneck Studio: the renderer build failed (see above); not starting.\n');
      return { mode: 'failed', code: built.code || 1 };
    }
  }
  const web = await startWeb({ root, args: args.web ? args.rest : [], env, spawnApp, out });
  if (web.error) {
    err.write(`Bottleneck Studio: the web mode could not start: ${web.error}.\n`);
    return { mode: 'failed', code: 1 };
  }
  const ready = web.url.then(async (url) => {
    if (url && args.open) {
      const opened = await open(url, { spawnApp, platform, env }).catch((e) => ({ ok: false, reason: e.message }));
      if (!opened.ok) err.write(openFailedMessage(url, opened.reason));
    }
    return url;
  });
  return { mode: 'web', child: web.child, exited: web.exited, reason: decision.reason, ready };
}

async function main() {
  const started = await start();
  if (started.mode === 'failed') process.exit(started.code);
  // Ctrl-C reaches the child through the terminal's process group; forward a plain kill too.
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => started.child.kill(s));
  process.exit(await started.exited);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`Bottleneck Studio: npm start failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
