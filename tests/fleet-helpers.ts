// Helpers of the fleet tests (tests/fleet-*.test.ts): agents and enqueuers as real child processes of
// the CLI (tsx main/cli/index.ts ...), as a user runs them, with short heartbeats and staleness.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { root } from './helpers/cli.js';

/** Heartbeat, staleness and polling small enough for tests, the same for every agent. */
export const FAST = ['--heartbeat', '0.3', '--stale-after', '3', '--poll', '0.2'];
export const FAST_ENV = { BOTTLENECK_FLEET_STALE_AFTER: '3' };
/** A tiny target measured quickly. */
export const TINY = ['pointwise', '--set', 'height=8,width=8', '--warmup-runs', '1', '--min-runs', '5'];
export const QUICK = [...TINY, '--min-time', '0.05', '--max-time', '0.3'];

export interface Proc {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stderr matches (rejects after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

/** Runs the CLI as a child process (asynchronously: agents and enqueuers run side by side). */
export function cliProcess(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'main/cli/index.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of [...waiters]) if (w.pattern.test(stderr)) w.resolve();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(pattern, ms = 60_000) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern} in:\n${stderr.slice(-3000)}`)),
          ms,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        exited.then(() =>
          setTimeout(() => {
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern}:\n${stderr.slice(-3000)}`));
          }, 50),
        );
      });
    },
  };
}

/** Runs the CLI to its end. */
export async function cliRun(args: string[], env: Record<string, string> = {}) {
  const p = cliProcess(args, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Starts an agent and waits until it is ready. */
export async function startAgent(url: string, name: string, tags: string[], dir: string, extra: string[] = []) {
  const p = cliProcess([
    'agent',
    '--db',
    url,
    '--name',
    name,
    ...(tags.length ? ['--tags', tags.join(',')] : []),
    '--results',
    join(dir, name),
    ...FAST,
    ...extra,
  ]);
  await p.waitFor(/ready on/, 90_000);
  return p;
}

/** Stops agents (SIGTERM), waiting for them to exit. */
export async function stopAll(procs: (Proc | undefined)[]) {
  for (const p of procs) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p?.exited));
}

/** One query with a short-lived client (rows as objects). */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** Polls until `fn` returns a truthy value. */
export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 60_000, every = 200): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet (a table not there, the server restarting)
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
