// The roofline for machine.roofline, measured in a child process (see roofline-child.ts): a fresh
// process per measurement, so `fresh: true` really measures again (measureRoofline caches per process).
// The child starts through a Spawner like the job and task workers: a forked Node process by
// default, Electron's utilityProcess in the app (so the packaged app needs no ELECTRON_RUN_AS_NODE
// and its runAsNode fuse is off).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NodeSpawner, type Spawner } from '../process/spawner.js';
import type { Roofline } from '../backends/native/roofline.js';

/** The child module next to this file: the compiled .js in a build, otherwise the .ts source (tsx). */
export function rooflineChildPath(): string {
  const js = fileURLToPath(new URL('./roofline-child.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./roofline-child.ts', import.meta.url));
}

/** Starts the child and resolves with its one message's measurement. */
export function measureRooflineInChild(
  spawner: Spawner = new NodeSpawner(rooflineChildPath()),
  timeoutMs = 120_000,
): Promise<Roofline> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<Spawner['start']>;
    try {
      child = spawner.start();
    } catch (e) {
      reject(new Error(`could not start the roofline measurement: ${(e as Error).message}`));
      return;
    }
    let stderr = '';
    let settled = false;
    child.onStderr((t) => (stderr = (stderr + t).slice(-2000)));
    const timer = setTimeout(() => {
      child.kill();
      finish(() => reject(new Error(`the roofline measurement took over ${timeoutMs / 1000} s and was stopped`)));
    }, timeoutMs);
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    child.onMessage((raw) => {
      const m = raw as { ok?: boolean; roofline?: Roofline; message?: string };
      finish(() => (m.ok ? resolve(m.roofline!) : reject(new Error(m.message ?? 'the roofline measurement failed'))));
    });
    void child.exited.then(({ code, signal }) =>
      finish(() =>
        reject(
          new Error(
            `the roofline measurement exited (${signal ?? `code ${code}`}) without a result${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
          ),
        ),
      ),
    );
  });
}
