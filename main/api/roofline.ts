// The roofline for machine.roofline, measured in a child process (see roofline-child.ts): a fresh
// process per measurement, so `fresh: true` really measures again (measureRoofline caches per process).
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Roofline } from '../machine/roofline.js';

function childPath(): string {
  const js = fileURLToPath(new URL('./roofline-child.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./roofline-child.ts', import.meta.url));
}

/** Forks the child (through tsx when running from source) and resolves with its measurement. */
export function measureRooflineInChild(timeoutMs = 120_000): Promise<Roofline> {
  const path = childPath();
  const execArgv = path.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : [];
  return new Promise((resolve, reject) => {
    const child = fork(path, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    let stderr = '';
    let settled = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (t: string) => (stderr = (stderr + t).slice(-2000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`the roofline measurement took over ${timeoutMs / 1000} s and was stopped`)));
    }, timeoutMs);
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    child.on('message', (m: { ok: boolean; roofline?: Roofline; message?: string }) =>
      finish(() => (m.ok ? resolve(m.roofline!) : reject(new Error(m.message)))),
    );
    child.on('error', (e) => finish(() => reject(new Error(`could not start the roofline measurement: ${e.message}`))));
    child.on('exit', (code, signal) =>
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
