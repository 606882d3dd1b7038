// `results history` and `results regressions` (main/cli/commands/history.ts): the command functions
// on a results folder of synthetic histories, the commands through a commander program, and the CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  historyDocument,
  historyText,
  regressionsDocument,
  regressionsText,
  registerHistory,
} from '../main/cli/commands/history.js';
import { FolderResultsRepository } from '../main/store/results-repository.js';
import { ResultsStore } from '../main/store/results-store.js';
import { StudioError } from '../shared/ir/types.js';
import { cli, cliJson } from './helpers/cli.js';
import { fakeResult } from './helpers/fake-results.js';
import { fakeHistory } from './helpers/regression-series.js';

const dir = mkdtempSync(join(tmpdir(), 'studio-history-'));
const repo = () => new FolderResultsRepository(dir);

beforeAll(() => {
  const store = new ResultsStore(dir);
  // A 15% slowdown at its 11th result (2025-06-11), on one thread...
  for (const r of fakeHistory({ prefix: 'slow', points: 14, runNoise: 0.01, stepAt: 10, stepFactor: 1.15, seed: 3 }))
    store.save(r);
  // ...noise only (2% between runs) on four threads, with a quick run...
  for (const r of fakeHistory({
    prefix: 'calm',
    points: 20,
    threads: 4,
    medianMs: 0.6,
    runNoise: 0.02,
    quickAt: [15],
    seed: 11,
  }))
    store.save(r);
  // ...and a failure, which is no point of any series.
  store.save(fakeResult({ id: 'broken', status: 'failed', createdAt: '2025-06-08T12:00:00.000Z' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('results history and regressions, the command functions', () => {
  it('lists every series with its judged points', async () => {
    const doc = await historyDocument(repo());
    expect(doc.location).toBe(dir);
    expect(doc.series.map((s) => [s.description.label, s.points.length])).toEqual([
      ['bottleneck:mid=64 on ort-cpu, batch 1, 1 threads', 14],
      ['bottleneck:mid=64 on ort-cpu, batch 1, 4 threads', 20],
    ]);
    const [slow, calm] = doc.series;
    expect(slow.points.filter((p) => p.flagged).map((p) => p.resultId)).toEqual(['slow-10']);
    expect(calm.points.filter((p) => p.flagged)).toEqual([]);
    expect(calm.points[15].verdict).toBe('excluded');
    const text = historyText(doc);
    expect(text).toMatch(/slow-10 .* SLOWER \(confirmed\)/);
    expect(text).toMatch(/calm-15 .* quick run, left out/);
    expect(text).toMatch(/slow-00 .* too little history/);
  });

  it('selects series by threads, batch, precision, machine and time', async () => {
    const labels = async (o: Parameters<typeof historyDocument>[1]) =>
      (await historyDocument(repo(), o)).series.map((s) => s.points[0].resultId.slice(0, 4));
    expect(await labels({ threads: '4' })).toEqual(['calm']);
    expect(await labels({ batch: '8' })).toEqual([]);
    expect(await labels({ precision: 'fp32', machine: 'ryzen 9' })).toEqual(['slow', 'calm']);
    expect(await labels({ machine: 'xeon' })).toEqual([]);
    expect(await labels({ target: 'bottleneck', backend: 'ort-cpu' })).toEqual(['slow', 'calm']);
    expect(await labels({ target: 'inception' })).toEqual([]);
    // Part of the target's name or of the label, any case (the History view's rule).
    expect(await labels({ target: 'BOTTLE' })).toEqual(['slow', 'calm']);
    expect(await labels({ target: '4 threads' })).toEqual(['calm']);
    expect(await labels({ backend: 'ort-cuda' })).toEqual([]);
    const since = await historyDocument(repo(), { since: '2025-06-19' });
    expect(since.series.map((s) => s.points.map((p) => p.resultId))).toEqual([['calm-18', 'calm-19']]);
    // Judged on the whole history all the same.
    expect(since.series[0].points[0].check!.baselineIds).toHaveLength(10);
    await expect(historyDocument(repo(), { batch: 'two' })).rejects.toThrow(StudioError);
    await expect(historyDocument(repo(), { precision: 'fp64' })).rejects.toThrow(/--precision must be one of/);
    await expect(historyDocument(repo(), { since: 'yesterday' })).rejects.toThrow(/--since: 'yesterday' is not a date/);
  });

  it('finds the injected slowdown and nothing in the noise', async () => {
    const doc = await regressionsDocument(repo());
    expect(doc).toMatchObject({ seriesCount: 2, slower: 1, faster: 0, failing: 1 });
    expect(doc.regressions).toHaveLength(1);
    expect(doc.regressions[0]).toMatchObject({ resultId: 'slow-10', baselineId: 'slow-09', direction: 'slower' });
    expect(regressionsText(doc)).toMatch(/1 slower, 0 faster \(2 series in .*\)[^]*slow-10\s+slow-09\s+1\.1\d/);
    const later = await regressionsDocument(repo(), { since: '2025-06-12' });
    expect(later.regressions).toEqual([]);
    expect(regressionsText(later)).toMatch(/^no change flagged \(2 series in .*, since 2025-06-12\)$/);
    // A floor above the step: nothing counts.
    expect((await regressionsDocument(repo(), { threshold: '20%' })).regressions).toEqual([]);
    await expect(regressionsDocument(repo(), { threshold: 'lots' })).rejects.toThrow(/--threshold must be/);
  });
});

describe('results history and regressions, as commands', () => {
  let out = '';
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    out = '';
    process.exitCode = undefined;
  });
  afterAll(() => vi.restoreAllMocks());

  const run = async (args: string[]) => {
    const program = new Command().exitOverride();
    const results = program.command('results');
    const opened: string[] = [];
    registerHistory(results, async (o) => {
      opened.push(o.results!);
      return new FolderResultsRepository(o.results!);
    });
    await program.parseAsync(['results', ...args, '--results', dir], { from: 'user' });
    expect(opened).toEqual([dir]);
  };

  it('prints the history as JSON, and a regression report that exits 0 unless asked to fail', async () => {
    await run(['history', '--threads', '1', '--json']);
    expect(JSON.parse(out).series.map((s: { key: string }) => s.key)).toHaveLength(1);
    out = '';
    await run(['regressions']);
    expect(out).toMatch(/SLOWER\s+confirmed/);
    expect(process.exitCode).toBeUndefined();
    out = '';
    await run(['regressions', '--fail-on-regression', '--json']);
    expect(JSON.parse(out).regressions.map((r: { resultId: string }) => r.resultId)).toEqual(['slow-10']);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    await run(['regressions', '--fail-on-regression', '--since', '2025-06-12']);
    expect(process.exitCode).toBeUndefined();
  });
});

describe('results history and regressions, through the CLI', () => {
  it('finds the injected slowdown and lists the series', () => {
    const doc = cliJson(['results', 'regressions', '--results', dir]);
    expect(doc.regressions.map((r: { resultId: string }) => r.resultId)).toEqual(['slow-10']);
    const history = cliJson(['results', 'history', '--results', dir, '--target', 'bottleneck']);
    expect(history.series).toHaveLength(2);
    const failing = cli(['results', 'regressions', '--results', dir, '--fail-on-regression']);
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/slow-10/);
  });
});
