// The measuring side of the CLI end to end: bench, backends, hw and results, as a user runs them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');
const quick = ['--min-runs', '10', '--min-time', '0.05', '--max-time', '0.5', '--results', results];

describe('CLI bench', () => {
  let group = '';

  it('measures a block, saves the result and writes an HTML report', () => {
    const report = join(tmp, 'report.html');
    const doc = cliJson([
      'bench',
      'pointwise',
      '--set',
      'height=8,width=8',
      '--backend',
      'ort-cpu',
      ...quick,
      '--report',
      report,
    ]);
    expect(doc.results).toHaveLength(1);
    const r = doc.results[0];
    expect(r.status).toBe('ok');
    expect(r.stats.n).toBeGreaterThanOrEqual(10);
    expect(r.stats.p50).toBeGreaterThan(0);
    expect(r.machine.cpu.threads).toBeGreaterThan(0);
    expect(r.cost.macs).toBe(8 * 8 * 152 * 64);
    group = r.job.group;
    expect(readdirSync(results).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(readFileSync(report, 'utf8')).toMatch(/<canvas/);
  });

  it('refuses a CUDA job on a machine without CUDA, clearly, and exits non-zero', () => {
    const r = cli(['bench', 'pointwise', '--set', 'height=8,width=8', '--backend', 'ort-cuda', ...quick, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].status).toBe('failed');
    expect(doc.results[0].failure.kind).toBe('refused');
    expect(r.stderr).toMatch(/failed: .*ort-cuda.*refused: .*CUDA/);
    // Never a silent fallback: no samples were taken on another provider.
    expect(doc.results[0].samplesMs).toEqual([]);
  });

  it('benches a seed comparison and sets the measured speed-up beside the MACs ratio', () => {
    const doc = cliJson(
      ['bench', '--seed', 'reduce-then-conv', '--set', 'height=8,width=8', '--repetitions', '1', ...quick],
      { allowStderr: true },
    );
    const [v] = doc.comparisons;
    expect(doc.comparisons).toHaveLength(1);
    expect(v.comparison).toBe('reduce-then-conv');
    expect(v.setting).toBe('ort-cpu, batch 1');
    expect(v.macsRatio).toBeCloseTo(256 / 68, 3);
    expect(v.speedup).toBeGreaterThan(0);
    expect(v.speedupCi.low).toBeLessThanOrEqual(v.speedupCi.high);
  });

  it('answers a seed comparison per backend, never pooling two backends into one speed-up', () => {
    const doc = cliJson(
      [
        'bench',
        '--seed',
        'reduce-then-conv',
        '--set',
        'height=8,width=8',
        '--backend',
        'ort-cpu,native',
        '--repetitions',
        '1',
        ...quick,
      ],
      { allowStderr: true },
    );
    expect(doc.comparisons.map((v: { setting: string }) => v.setting).sort()).toEqual([
      'native, batch 1',
      'ort-cpu, batch 1',
    ]);
    for (const v of doc.comparisons) expect(v.repetitions).toEqual([1, 1]);
  });

  it('runs the offline scenario over batch sizes', () => {
    const doc = cliJson(
      ['bench', 'pointwise', '--set', 'height=8,width=8', '--scenario', 'offline', '--batch', '1,4', ...quick],
      {
        allowStderr: true,
      },
    );
    expect(doc.results.map((r: { job: { batch: number; scenario: string } }) => [r.job.batch, r.job.scenario])).toEqual(
      [
        [1, 'offline'],
        [4, 'offline'],
      ],
    );
  });

  it('lists, exports, imports, compares and deletes results', () => {
    const listed = cliJson(['results', 'list', '--results', results, '--status', 'ok']);
    expect(listed.results.length).toBeGreaterThanOrEqual(4);
    const csv = join(tmp, 'all.csv');
    cliJson(['results', 'export', '--results', results, '--out', csv]);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/p50/);
    const json = join(tmp, 'all.json');
    cliJson(['results', 'export', '--results', results, '--group', group, '--out', json]);
    const other = join(tmp, 'other-machine');
    const imported = cliJson(['results', 'import', json, '--results', other]);
    expect(imported.added).toHaveLength(1);
    const cmp = cliJson(['results', 'compare', group, json, '--results', results]);
    expect(cmp.pairs).toHaveLength(1);
    expect(cmp.pairs[0].comparison.ratio).toBeCloseTo(1, 6);
    const id = listed.results[0].id;
    expect(cli(['results', 'delete', id, '--results', results]).code).toBe(0);
    expect(cli(['results', 'show', id, '--results', results, '--json']).code).toBe(2);
  });

  it('reports the execution providers with reasons', () => {
    const { backends } = cliJson(['backends'], { allowStderr: true });
    const cpu = backends.find((b: { backend: string }) => b.backend === 'ort-cpu');
    expect(cpu.available).toBe(true);
    for (const b of backends.filter((x: { available: boolean }) => !x.available)) expect(b.reason).toBeTruthy();
  });

  it('compares backends on a large output (800k values) and finds them in agreement', () => {
    const doc = cliJson(['compare-backends', 'bottleneck', '--backends', 'native,ort-cpu'], { allowStderr: true });
    expect(doc.differences).toHaveLength(1);
    expect(doc.differences[0].shape).toEqual([1, 256, 56, 56]);
    expect(doc.differences[0].agrees).toBe(true);
  });

  it('prints the machine profile', () => {
    const m = cliJson(['hw']);
    expect(m.cpu.threads).toBeGreaterThan(0);
    expect(m.versions.onnxruntime).toBeTruthy();
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown backend', ['bench', 'pointwise', '--backend', 'ort-tpu'], /unknown backend 'ort-tpu'/],
    ['no target', ['bench'], /needs targets/],
    ['a bad scenario', ['bench', 'pointwise', '--scenario', 'server'], /--scenario must be/],
    ['a bad block parameter', ['bench', 'pointwise', '--set', 'out=0'], /parameter 'out' must be at least 1/],
    ['a missing report to import', ['results', 'import', join(tmp, 'none.json'), '--results', results], /none\.json/],
    [
      'a minimum time above the maximum',
      ['bench', 'pointwise', '--min-time', '2', '--max-time', '0.3'],
      /--min-time \(2 s\) must not exceed --max-time \(0\.3 s\)/,
    ],
    [
      // Issue 19: the bench service counts the sweep (duplicates merged) before it builds anything.
      'a sweep past the cap of 10,000 jobs',
      [
        'bench',
        'pointwise',
        '--batch',
        Array.from({ length: 64 }, (_, i) => i + 1).join(','),
        '--threads',
        Array.from({ length: 64 }, (_, i) => i).join(','),
        '--repetitions',
        '3',
      ],
      /^error: a run of 12,288 jobs \(1 target x 1 backend x 64 batches x 64 thread counts x 3 repetitions\) is past the cap of 10,000: split it or use fewer values$/m,
    ],
  ];
  for (const [name, args, message] of bad)
    it(`rejects ${name} before anything runs`, () => {
      const r = cli([...args, '--results', join(tmp, 'unused')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(tmp, 'unused')) ? readdirSync(join(tmp, 'unused')) : []).toEqual([]);
    });
});
