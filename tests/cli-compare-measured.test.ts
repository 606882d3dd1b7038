// `compare A B --measured` for any two targets (not only the seed pairs): the cost model's speed-up
// beside the measured one per setting, from saved results, in text and in --json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';
import { ResultsStore } from '../main/store/results-store.js';
import { cli, cliJson } from './helpers/cli.js';
import { fakeResult } from './helpers/fake-results.js';

const A = 'bottleneck:mid=32,stride=2';
const B = 'basic-residual';
const dir = mkdtempSync(join(tmpdir(), 'studio-compare-measured-'));
const macs = (t: string) => costGraph(buildTarget({ target: t })).totals.macs;

beforeAll(() => {
  const store = new ResultsStore(dir);
  const block = (name: string, params: Record<string, string>) => ({ kind: 'block' as const, name, params });
  // One thread: both measured (A at 2 ms, B at 4 ms: B is 0.5x as fast). Four threads: only A.
  store.save(fakeResult({ id: 'a-1t', target: block('bottleneck', { mid: '32', stride: '2' }), medianMs: 2, n: 60 }));
  store.save(fakeResult({ id: 'b-1t', target: block('basic-residual', {}), medianMs: 4, n: 60 }));
  store.save(
    fakeResult({ id: 'a-4t', target: block('bottleneck', { mid: '32', stride: '2' }), medianMs: 1, threads: 4 }),
  );
  // A quick run of B at four threads: left out unless --include-quick.
  const q = fakeResult({ id: 'b-4t-quick', target: block('basic-residual', {}), medianMs: 2, threads: 4 });
  store.save({ ...q, job: { ...q.job, measure: { ...q.job.measure, minTimeS: 0.5, maxTimeS: 3 } } });
  // Another target: not part of this pair.
  store.save(fakeResult({ id: 'other', target: block('separable', {}), medianMs: 1 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compare A B --measured', () => {
  it('prints the theoretical and the measured speed-up per setting, and the settings not measured', () => {
    const r = cli(['compare', A, B, '--measured', '--results', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`A = ${A}, B = ${B}`);
    expect(r.stdout).toMatch(/cost model at batch 1: MACs A\/B 0\.31x, memory traffic A\/B \d+\.\d+x/);
    const one = r.stdout.split('\n').find((l) => l.startsWith('ort-cpu, batch 1, 1 threads'))!;
    expect(one).toBeDefined();
    // MACs A/B 0.31x beside the measured 0.50x, verdict slower.
    expect(one).toMatch(/0\.31x .* 0\.(4[89]|5[01])x .* slower/);
    const four = r.stdout.split('\n').find((l) => l.startsWith('ort-cpu, batch 1, 4 threads'))!;
    expect(four).toContain(`not measured: no result of ${B}`);
    expect(r.stdout).toMatch(/1 setting not measured for both/);
    expect(r.stdout).toContain('(1 quick run left out: --include-quick pools them)');
  });

  it('pools quick runs with --include-quick', () => {
    const out = cliJson(['compare', A, B, '--measured', '--include-quick', '--results', dir]);
    expect(out.pair.measuredCount).toBe(2);
    expect(out.pair.excluded).toEqual([]);
    const four = out.pair.settings.find((s: { setting: string }) => s.setting === 'ort-cpu, batch 1, 4 threads');
    expect(four.ids).toEqual([['a-4t'], ['b-4t-quick']]);
  });

  it('answers the same in --json', () => {
    const out = cliJson(['compare', A, B, '--measured', '--results', dir]);
    expect(out.comparisons[0].targets).toEqual([A, B]);
    expect(out.pair.a).toBe(A);
    expect(out.pair.theory.macsRatio).toBeCloseTo(macs(A) / macs(B), 12);
    expect(out.pair.measuredCount).toBe(1);
    expect(out.pair.notMeasuredCount).toBe(1);
    expect(out.pair.excluded).toEqual([{ id: 'b-4t-quick', reason: expect.stringMatching(/^quick run/) }]);
    const [measured, missing] = out.pair.settings;
    expect(measured.ids).toEqual([['a-1t'], ['b-1t']]);
    expect(measured.measured.speedup).toBeGreaterThan(0.45);
    expect(measured.measured.speedup).toBeLessThan(0.55);
    expect(measured.theory.macsRatio).toBeCloseTo(macs(A) / macs(B), 12);
    expect(missing).toMatchObject({ setting: 'ort-cpu, batch 1, 4 threads', missing: 'B', ids: [['a-4t'], []] });
  });

  it('says how to measure when no result of either exists', () => {
    const r = cli(['compare', 'conv:out=32', 'pointwise', '--measured', '--results', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No saved results of conv:out=32 or pointwise/);
  });

  it('refuses --measured with three targets, naming what it takes', () => {
    const r = cli(['compare', A, B, 'conv', '--measured', '--results', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--measured compares two targets/);
  });
});
