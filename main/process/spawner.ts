// Starting a job worker in a fresh process, behind one small interface: the Node implementation
// below forks a child process; the Electron app adds one built on utilityProcess.fork (postMessage,
// 'message', kill(), 'exit'), and the queue never knows which it has.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TaskStartMessage } from './task-protocol.js';
import type { ParentMessage } from './job-protocol.js';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface JobProcess {
  readonly pid: number | undefined;
  /** A job (job-protocol.ts) or a task (task-protocol.ts), by the worker the spawner starts. */
  send(msg: ParentMessage | TaskStartMessage): void;
  /** Raw messages from the worker; the queue validates them (protocol.ts). */
  onMessage(cb: (msg: unknown) => void): void;
  /** The worker's stderr (and stdout) text, for the last lines of a crash report. */
  onStderr(cb: (text: string) => void): void;
  /** Resolves once the process is gone and its output is drained. */
  readonly exited: Promise<ProcessExit>;
  /** Ends the process (and its process group where there is one) at once with SIGKILL: a hung native call cannot ignore it. */
  kill(): void;
}

export interface SpawnOptions {
  /** Added to the worker's environment (the tests' fault hook uses this). */
  env?: Record<string, string>;
  /** The worker's JavaScript heap limit (node's --max-old-space-size), in MiB. */
  maxOldSpaceMb?: number;
}

export interface Spawner {
  start(opts?: SpawnOptions): JobProcess;
}

/**
 * The worker module next to this file: the compiled .js when there is one (a build, Electron),
 * otherwise the .ts source, run through tsx.
 */
export function defaultWorkerPath(): string {
  const js = fileURLToPath(new URL('../engine/worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('../engine/worker.ts', import.meta.url));
}

/**
 * `node --import tsx worker.ts` (tsx 4 on Node >= 20.6) registers tsx's loader before the module
 * loads. The loader is passed as an absolute file URL so that it resolves from any working folder.
 */
function execArgvFor(modulePath: string): string[] {
  if (!modulePath.endsWith('.ts')) return [];
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href];
}

/** Starts a worker module some other way than child_process.fork (see setDefaultStarter). */
export type ProcessStarter = (modulePath: string, opts: SpawnOptions) => JobProcess;

let defaultStarter: ProcessStarter | undefined;

/**
 * Makes every NodeSpawner start its module through this function instead of forking Node; undefined
 * restores forking. The Electron app's headless command line (`--cli`, see main/app/headless.ts)
 * routes the workers the CLI's commands start to utilityProcess: the packaged app's runAsNode fuse
 * is off, so forking its binary would not start Node.
 */
export function setDefaultStarter(starter: ProcessStarter | undefined): void {
  defaultStarter = starter;
}

export class NodeSpawner implements Spawner {
  constructor(private readonly modulePath = defaultWorkerPath()) {}

  start(opts: SpawnOptions = {}): JobProcess {
    if (defaultStarter) return defaultStarter(this.modulePath, opts);
    // On POSIX the worker leads its own process group, so that one kill(-pid) also ends anything
    // running under it: the worker starts nothing itself, but in development tsx keeps an esbuild
    // service child, which would otherwise outlive a killed worker for a few seconds. The price:
    // a terminal's Ctrl-C no longer reaches the worker directly, so a CLI cancels its queue on
    // SIGINT (and a worker whose parent is gone exits by itself, see worker.ts).
    const group = process.platform !== 'win32';
    const child = fork(this.modulePath, [], {
      execArgv: [
        ...execArgvFor(this.modulePath),
        ...(opts.maxOldSpaceMb ? [`--max-old-space-size=${Math.max(16, Math.floor(opts.maxOldSpaceMb))}`] : []),
      ],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      detached: group,
    });
    const killAll = () => {
      if (group && child.pid !== undefined)
        try {
          process.kill(-child.pid, 'SIGKILL');
          return;
        } catch {
          // the group is already empty
        }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    child.stderr?.setEncoding('utf8');
    child.stdout?.setEncoding('utf8');
    // 'close' (not 'exit') fires after stderr is drained, so the last lines explain a crash.
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('close', (code, signal) => {
        // A worker that exited by itself may leave its group's helpers (tsx's esbuild) behind.
        if (group) killAll();
        resolve({ code, signal });
      });
      // A failed spawn (missing node binary) emits 'error' and may never emit 'close'.
      child.once('error', (err) => {
        child.stderr?.emit('data', `could not start the job worker: ${err.message}\n`);
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    return {
      pid: child.pid,
      send: (msg) => {
        if (child.connected) child.send(msg);
      },
      onMessage: (cb) => child.on('message', cb),
      // The worker prints nothing on stdout itself; a runtime's native logs may, so they join stderr.
      onStderr: (cb) => {
        child.stderr?.on('data', cb);
        child.stdout?.on('data', cb);
      },
      exited,
      kill: killAll,
    };
  }
}
