// Untrusted model files (issue 9): every hostile file of tests/hostile/make-models.ts through the
// reader and the cost model in this process, then through the CLI as a user runs it (`cost` on
// each file, `bench` on the files a benchmark must refuse), asserting the exit code, that stderr
// names the file and the problem, and that no stack trace is printed.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnxFile } from '../main/onnx/onnx-file.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { StudioError } from '../shared/ir/types.js';
import { root } from './helpers/cli.js';
import { writeHostileCorpus, type HostileCase } from './hostile/make-models.js';

const dir = mkdtempSync(join(tmpdir(), 'hostile-models-'));
const corpus = writeHostileCorpus(dir);
const refusal = (c: HostileCase) => ('refused' in c.expect ? c.expect.refused : undefined);

/** A V8 stack frame line ("    at readOnnxFile (file:///...)"): never part of a user-facing message. */
const STACK_FRAME = /^\s+at .+[(:]/m;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (several at once keep the suite short). */
function cliAsync(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'main/cli/index.ts'), ...args], {
      cwd: root,
      env: { ...process.env, BOTTLENECK_STUDIO_RESULTS: join(dir, 'results') },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

describe('hostile model files through the reader', () => {
  for (const c of corpus)
    it(`${c.file}: ${c.what}`, () => {
      const started = performance.now();
      const expected = refusal(c);
      let error: unknown;
      let warnings: string[] = [];
      try {
        warnings = costGraph(readOnnxFile(c.path)).warnings;
      } catch (e) {
        error = e;
      }
      // Every case answers at once: nothing hangs on a hostile header.
      expect(performance.now() - started).toBeLessThan(2000);
      if (expected) {
        expect(error, 'a refusal').toBeInstanceOf(StudioError);
        const message = (error as Error).message;
        expect(message.startsWith(c.file), message).toBe(true);
        expect(message).toMatch(expected);
      } else {
        expect(error, String(error)).toBeUndefined();
        const warning = 'accepted' in c.expect ? c.expect.warning : undefined;
        if (warning) expect(warnings.join('\n')).toMatch(warning);
      }
    });
});

describe('hostile model files through the CLI', () => {
  it('cost: exit 2 with one line naming the file and the problem, or exit 0', { timeout: 300_000 }, async () => {
    const runs = await inBatches(corpus, 4, (c) => cliAsync(['cost', c.path]));
    corpus.forEach((c, i) => {
      const r = runs[i];
      const expected = refusal(c);
      const context = `${c.file}: ${r.stderr}`;
      expect(r.stderr, context).not.toMatch(STACK_FRAME);
      expect(r.stderr, context).not.toMatch(/internal error/);
      if (expected) {
        expect(r.code, context).toBe(2);
        expect(r.stderr.trim().split('\n'), context).toHaveLength(1);
        expect(r.stderr, context).toMatch(new RegExp(`^error: ${c.file.replace(/\./g, '\\.')}`));
        expect(r.stderr, context).toMatch(expected);
      } else {
        expect(r.code, context).toBe(0);
        expect(r.stdout, context).toMatch(/^params /m);
      }
    });
  });

  it(
    'bench: files the reader refuses stop the sweep before anything runs, each named with its reason',
    { timeout: 120_000 },
    async () => {
      const unreadable = corpus.filter((c) => refusal(c));
      const r = await cliAsync(['bench', ...unreadable.map((c) => c.path), '--repetitions', '1']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).toMatch(new RegExp(`${unreadable.length} targets cannot run, so nothing was started`));
      for (const c of unreadable) expect(r.stderr, c.file).toMatch(refusal(c)!);
    },
  );

  it(
    'bench: each file only a benchmark refuses is refused, up front or as its job, named with the reason',
    { timeout: 120_000 },
    async () => {
      // Readable files a benchmark cannot run: string inputs are known before anything runs (the
      // target preflight), a model too large to run only when its job asks for the memory.
      for (const c of corpus.filter((x) => !refusal(x) && x.bench)) {
        const r = await cliAsync(['bench', c.path, '--repetitions', '1']);
        expect([1, 2], `${c.file}: ${r.stderr}`).toContain(r.code);
        expect(r.stderr).not.toMatch(STACK_FRAME);
        expect(r.stderr).not.toMatch(/internal error/);
        const line = r.stderr
          .split('\n')
          .find((l) => l.startsWith(`failed: ${c.path} `) || l.startsWith(`error: targets[0] (file ${c.file})`));
        expect(line, `${c.file}: ${r.stderr}`).toBeDefined();
        expect(line).toMatch(c.bench!);
      }
    },
  );

  it('inspect, where the CLI has it, answers like cost', { timeout: 300_000 }, async () => {
    const help = await cliAsync(['--help']);
    if (!/^\s+inspect\b/m.test(help.stdout)) return; // the command is not part of this build of the CLI
    const runs = await inBatches(corpus, 4, (c) => cliAsync(['inspect', c.path]));
    corpus.forEach((c, i) => {
      const r = runs[i];
      const context = `${c.file}: ${r.stderr}`;
      expect(r.stderr, context).not.toMatch(STACK_FRAME);
      expect(r.code, context).toBe(refusal(c) ? 2 : 0);
      if (refusal(c)) expect(r.stderr, context).toMatch(refusal(c)!);
    });
  });
});
