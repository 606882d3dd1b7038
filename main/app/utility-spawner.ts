// The job worker in Electron: a utilityProcess (a Node process Electron starts and supervises,
// with no window and no Chromium renderer) instead of child_process.fork, which in a packaged app
// would need ELECTRON_RUN_AS_NODE. The worker speaks through process.parentPort there
// (main/engine/worker.ts picks its channel), and the queue sees the same JobProcess as with
// NodeSpawner. The utilityProcess module is a constructor parameter, so tests pass a fake.
import type { JobProcess, ProcessExit, SpawnOptions, Spawner } from '../process/spawner.js';
import type { ParentMessage } from '../process/job-protocol.js';
import type { TaskStartMessage } from '../process/task-protocol.js';

/** The part of a child's stdout/stderr used here (Electron types them as NodeJS.ReadableStream). */
export interface ChildStream {
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', cb: (chunk: string) => void): unknown;
  once(event: 'end' | 'close' | 'error', cb: () => void): unknown;
}

/** The part of Electron's UtilityProcess used here. */
export interface UtilityChild {
  readonly pid: number | undefined;
  readonly stdout: ChildStream | null;
  readonly stderr: ChildStream | null;
  postMessage(message: unknown): void;
  on(event: 'message', cb: (message: unknown) => void): unknown;
  on(event: 'spawn', cb: () => void): unknown;
  on(event: 'exit', cb: (code: number) => void): unknown;
  kill(): boolean;
}

export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args?: string[],
    options?: {
      env?: Record<string, string | undefined>;
      stdio?: 'pipe' | 'ignore' | 'inherit' | Array<'pipe' | 'ignore' | 'inherit'>;
      serviceName?: string;
    },
  ): UtilityChild;
}

export const SERVICE_NAME = 'Bottleneck Studio job';

/** How long to wait for the last stderr lines after the process exits (they explain a crash). */
const DRAIN_MS = 500;

function ended(stream: ChildStream | null): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
  });
}

export class UtilitySpawner implements Spawner {
  constructor(
    private readonly utilityProcess: UtilityProcessModule,
    private readonly workerPath: string,
    private readonly killPid: (pid: number) => void = (pid) => process.kill(pid, 'SIGKILL'),
  ) {}

  start(opts: SpawnOptions = {}): JobProcess {
    const child = this.utilityProcess.fork(this.workerPath, [], {
      env: { ...process.env, ...opts.env },
      stdio: 'pipe',
      serviceName: SERVICE_NAME,
    });
    let exitedAlready = false;
    child.stderr?.setEncoding('utf8');
    child.stdout?.setEncoding('utf8');
    // Watched from the start: a pipe that ends before 'exit' must not be waited for afterwards.
    const drained = Promise.all([ended(child.stderr), ended(child.stdout)]);
    const exited = new Promise<ProcessExit>((resolve) => {
      child.on('exit', (code) => {
        exitedAlready = true;
        // 'exit' can come before the pipes are drained; wait for them a little, not forever.
        const timeout = new Promise<void>((r) => setTimeout(r, DRAIN_MS).unref?.());
        void Promise.race([drained, timeout]).then(() =>
          // utilityProcess reports no signal; a SIGKILLed worker shows as a non-zero code.
          resolve({ code, signal: null }),
        );
      });
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (msg: ParentMessage | TaskStartMessage) => {
        if (!exitedAlready) child.postMessage(msg);
      },
      onMessage: (cb) => void child.on('message', cb),
      onStderr: (cb) => {
        child.stderr?.on('data', cb);
        child.stdout?.on('data', cb);
      },
      exited,
      kill: () => {
        if (exitedAlready) return;
        // UtilityProcess.kill() sends SIGTERM, which a worker stuck in a native call may never
        // act on; the queue's contract is SIGKILL, so that goes first where there is a pid.
        const pid = child.pid;
        if (pid !== undefined && process.platform !== 'win32')
          try {
            this.killPid(pid);
            return;
          } catch {
            // already gone, or not ours to signal: fall back to Electron's kill
          }
        child.kill(); // TerminateProcess on Windows: immediate there
      },
    };
  }
}
