// The web-mode server as a process (`npm run serve`'s main/server/serve.ts): SIGTERM while a big run
// is queued and its first job measures ends the process cleanly well within its 10 s deadline, with
// no worker left behind (issue 19: a 64,000-job cancel kept the server busy past its force-exit timer).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'serve-sigterm-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Every process below `pid` (Linux /proc): tsx's node, the server's job workers. */
function descendantsOf(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendantsOf(k)]);
}

describe('serve.ts under SIGTERM', () => {
  it.skipIf(process.platform !== 'linux')(
    'ends within its deadline while a 3,000-job run is queued and one job measures, leaving no worker',
    async () => {
      child = spawn(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'main/server/serve.ts'), '--port', '0', '--results', join(tmp, 'results')],
        {
          cwd: ROOT,
          env: { ...process.env, HOME: tmp, XDG_DATA_HOME: tmp, XDG_CACHE_HOME: tmp, XDG_CONFIG_HOME: tmp },
        },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const url = await new Promise<URL>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no address printed:\n${out}`)), 60_000);
        child!.stdout!.on('data', () => {
          const m = /at (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(new URL(m[1]));
          }
        });
      });
      const token = url.searchParams.get('token')!;
      const call = (method: string, body: unknown) =>
        fetch(`${url.origin}/api/${method}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      const targets = Array.from({ length: 30 }, (_, i) => ({
        kind: 'block',
        name: 'pointwise',
        params: { height: 8, width: 8, channels: 16, out: i + 1 },
      }));
      const started = await call('bench.start', {
        targets,
        backends: ['ort-cpu'],
        repetitions: 100,
        measure: { minTimeS: 30, maxTimeS: 60, warmupTimeS: 0 },
      });
      expect(started.status, await started.clone().text()).toBe(200);
      expect(((await started.json()) as { jobs: unknown[] }).jobs).toHaveLength(3000);
      // Wait for the first job's worker: below tsx are the server's node process and its workers.
      const deadline = Date.now() + 60_000;
      while (descendantsOf(child.pid!).length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const below = descendantsOf(child.pid!);
      expect(below.length, 'the server and a job worker run').toBeGreaterThanOrEqual(2);
      const workers = below.slice(1);

      const t0 = Date.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)));
      const seconds = (Date.now() - t0) / 1000;
      expect(code, out).toBe(0);
      expect(seconds).toBeLessThan(8);
      expect(out).toMatch(/SIGTERM: stopping/);
      for (const pid of workers) {
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
        expect(alive, `worker ${pid} outlived the server`).toBe(false);
      }
    },
    120_000,
  );
});
