// The Electron job spawner (utilityProcess) with a fake utilityProcess module: first a scripted
// fake for the plumbing, then an emulation on child_process.fork that gives the real job worker a
// process.parentPort (as Electron does), so a real job runs, crashes and hangs through it.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
type UtilityProcessStatic = typeof Electron.UtilityProcess;
import { runJobs } from '../main/engine/queue.js';
import type { JobSpecInput } from '../shared/contract/job.js';
import {
  SERVICE_NAME,
  UtilitySpawner,
  type UtilityChild,
  type UtilityProcessModule,
} from '../main/app/utility-spawner.js';

// Electron's module must fit the structural type (checked by tsc, nothing runs).
export const _typeCheck = (u: UtilityProcessStatic): UtilityProcessModule => u;

class FakeChild extends EventEmitter implements UtilityChild {
  pid: number | undefined = undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly posted: unknown[] = [];
  killed = 0;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  kill() {
    this.killed++;
    return true;
  }
}

function fakeModule() {
  const children: {
    path: string;
    args?: string[];
    options?: Parameters<UtilityProcessModule['fork']>[2];
    child: FakeChild;
  }[] = [];
  const mod: UtilityProcessModule = {
    fork: (path, args, options) => {
      const child = new FakeChild();
      children.push({ path, args, options, child });
      return child;
    },
  };
  return { mod, children };
}

const start = { type: 'start', job: {} } as never;

describe('UtilitySpawner with a scripted fake', () => {
  it('forks the worker path with piped stdio, the service name and the job environment', () => {
    const { mod, children } = fakeModule();
    new UtilitySpawner(mod, '/app/dist/main/engine/worker.js').start({ env: { STUDIO_X: '1' } });
    expect(children).toHaveLength(1);
    const c = children[0];
    expect(c.path).toBe('/app/dist/main/engine/worker.js');
    expect(c.args).toEqual([]);
    expect(c.options).toMatchObject({ stdio: 'pipe', serviceName: SERVICE_NAME });
    expect(c.options!.env).toMatchObject({ STUDIO_X: '1', PATH: process.env.PATH });
  });

  it('passes messages both ways and reads the pid once spawned', () => {
    const { mod, children } = fakeModule();
    const p = new UtilitySpawner(mod, 'w.js').start();
    const child = children[0].child;
    expect(p.pid).toBeUndefined();
    child.pid = 4242;
    expect(p.pid).toBe(4242);
    p.send(start);
    expect(child.posted).toEqual([start]);
    const got: unknown[] = [];
    p.onMessage((m) => got.push(m));
    child.emit('message', { type: 'ready', pid: 4242 });
    expect(got).toEqual([{ type: 'ready', pid: 4242 }]);
  });

  it('collects stderr and stdout, and resolves exited after the pipes drain', async () => {
    const { mod, children } = fakeModule();
    const p = new UtilitySpawner(mod, 'w.js').start();
    const child = children[0].child;
    let text = '';
    p.onStderr((t) => (text += t));
    child.stderr.write('native crash\n');
    child.emit('exit', 3);
    child.stdout.write('last words\n');
    child.stderr.end();
    child.stdout.end();
    expect(await p.exited).toEqual({ code: 3, signal: null });
    expect(text).toBe('native crash\nlast words\n');
    // Nothing is posted to a process that is gone.
    p.send(start);
    expect(child.posted).toEqual([]);
  });

  it('resolves exited even if a pipe never ends', async () => {
    const { mod, children } = fakeModule();
    const p = new UtilitySpawner(mod, 'w.js').start();
    const t0 = Date.now();
    children[0].child.emit('exit', 0);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('kills with SIGKILL by pid on POSIX, falling back to kill() when that fails or there is no pid', () => {
    const { mod, children } = fakeModule();
    const killPid = vi.fn();
    const sp = new UtilitySpawner(mod, 'w.js', killPid);
    const a = sp.start();
    children[0].child.pid = 99;
    a.kill();
    if (process.platform === 'win32') expect(children[0].child.killed).toBe(1);
    else {
      expect(killPid).toHaveBeenCalledWith(99);
      expect(children[0].child.killed).toBe(0);
    }

    const b = sp.start();
    b.kill(); // not spawned yet: no pid
    expect(children[1].child.killed).toBe(1);

    const failing = new UtilitySpawner(mod, 'w.js', () => {
      throw new Error('ESRCH');
    });
    const c = failing.start();
    children[2].child.pid = 100;
    c.kill();
    expect(children[2].child.killed).toBe(1);
  });

  it('does not kill a process that has exited (its pid may be reused)', () => {
    const { mod, children } = fakeModule();
    const killPid = vi.fn();
    const p = new UtilitySpawner(mod, 'w.js', killPid).start();
    children[0].child.pid = 5;
    children[0].child.emit('exit', 0);
    p.kill();
    expect(killPid).not.toHaveBeenCalled();
    expect(children[0].child.killed).toBe(0);
  });
});

/**
 * utilityProcess emulated on child_process.fork: the child gets a process.parentPort (postMessage,
 * on('message', e => e.data)) like Electron's, through an --import shim; the source worker runs
 * through tsx as under NodeSpawner.
 */
function forkEmulation(): UtilityProcessModule {
  const shim = [
    'process.parentPort = {',
    '  postMessage: (m) => process.send(m),',
    "  on: (ev, cb) => process.on('message', (data) => cb({ data })),",
    '};',
  ].join('\n');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return {
    fork(modulePath, args, options) {
      const c = fork(modulePath, args ?? [], {
        execArgv: ['--import', `data:text/javascript,${encodeURIComponent(shim)}`, '--import', tsx],
        env: options?.env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
      const child = Object.assign(new EventEmitter(), {
        get pid() {
          return c.pid;
        },
        stdout: c.stdout,
        stderr: c.stderr,
        postMessage: (m: unknown) => void c.send(m as never),
        kill: () => c.kill(),
      });
      c.on('message', (m) => child.emit('message', m));
      c.on('spawn', () => child.emit('spawn'));
      c.on('exit', (code) => child.emit('exit', code ?? 1));
      return child as unknown as UtilityChild;
    },
  };
}

describe('UtilitySpawner running the real job worker (emulated utilityProcess)', () => {
  const worker = fileURLToPath(new URL('../main/engine/worker.ts', import.meta.url));
  const measure = { warmupRuns: 1, minRuns: 5, minTimeS: 0.05, maxTimeS: 1 };
  const job = (id: string, over: Partial<JobSpecInput> = {}): JobSpecInput => ({
    version: 1,
    id,
    target: { kind: 'block', name: 'pointwise', params: { height: 8, width: 8 } },
    backend: { backend: 'ort-cpu', intraOpThreads: 1 },
    measure,
    ...over,
  });

  it('measures a job, records a crash with its stderr, and kills a hung worker at its time limit', async () => {
    const spawner = new UtilitySpawner(forkEmulation(), worker);
    const results = await runJobs([job('ok'), job('crash'), job('hang', { timeLimitS: 2 })], {
      spawner,
      availableMemory: async () => undefined,
      workerEnv: (j) => (j.id === 'ok' ? undefined : { STUDIO_TEST_FAULT: j.id, TSX_DISABLE_CACHE: '1' }),
    });
    const by = Object.fromEntries(results.map((r) => [r.job.id, r]));
    expect(by.ok.status).toBe('ok');
    expect(by.ok.runtime?.name).toBe('onnxruntime-node');
    expect(by.crash).toMatchObject({ status: 'failed', failure: { kind: 'crash' } });
    expect(by.crash.failure!.detail).toMatch(/simulated native crash/);
    expect(by.hang.failure).toMatchObject({ kind: 'timeout' });
  });
});
