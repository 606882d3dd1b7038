// Precision variants through the real CLI: `bench --precision` (the worker builds the variant,
// measures fidelity, then times it like fp32) and `precision` (the fidelity table, no timing).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultSchema, type BenchResult } from '../shared/contract/result.js';
import { cli, cliJson } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-precision-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');
const quick = ['--min-runs', '10', '--min-time', '0.05', '--max-time', '0.5', '--results', results];

describe('bench --precision', () => {
  it('runs int8 on ort-cpu with fidelity and calibration, and refuses int8 on native before running it', () => {
    const r = cli([
      'bench',
      'bottleneck',
      '--set',
      'height=8,width=8',
      '--precision',
      'fp32,int8',
      '--backend',
      'ort-cpu,native',
      '--calibration',
      'percentile',
      '--calibration-samples',
      '4',
      ...quick,
      '--json',
    ]);
    // The refused native int8 job makes the run fail as a whole, with the reason on stderr.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /failed: .*int8 on native.*refused: native cannot run the int8 variant: the native kernels are fp32 only/,
    );
    const doc = JSON.parse(r.stdout);
    const by = (backend: string, precision: string): BenchResult =>
      doc.results.find((x: BenchResult) => x.job.backend.backend === backend && x.job.precision === precision);
    expect(doc.results).toHaveLength(4);

    const int8 = by('ort-cpu', 'int8');
    expect(int8.status).toBe('ok');
    expect(int8.label).toMatch(/ int8 on ort-cpu/);
    expect(int8.stats!.n).toBeGreaterThanOrEqual(10);
    expect(int8.job.calibration).toMatchObject({ method: 'percentile', samples: 4, percentile: 99.999 });
    const p = int8.precision!;
    expect(p.calibration).toMatchObject({ method: 'percentile', samples: 4, seed: 1000, percentile: 99.999 });
    expect(p.fidelity!.overall.cosine).toBeGreaterThan(0.99);
    expect(p.fidelity!.outputs[0].name).toBeTruthy();
    expect(p.fidelity!.reference).toMatch(/CPU, fp32/);
    expect(p.quantization!.runtimeKernels!.QLinearConv).toBe(3);
    // int8 weights at one byte per value in the cost.
    const fp32 = by('ort-cpu', 'fp32');
    expect(fp32.precision).toBeUndefined();
    expect(int8.cost!.weightBytes).toBe(fp32.cost!.weightBytes / 4);
    expect(by('native', 'fp32').status).toBe('ok');

    const refused = by('native', 'int8');
    expect(refused.status).toBe('failed');
    expect(refused.failure!.kind).toBe('refused');
    expect(refused.failure!.reason).toMatch(/native kernels are fp32 only/);
    expect(refused.samplesMs).toEqual([]);

    // The saved files are valid results (version 1, precision details optional).
    const saved = readdirSync(results).filter((f) => f.endsWith('.json'));
    expect(saved).toHaveLength(4);
    for (const f of saved) ResultSchema.parse(JSON.parse(readFileSync(join(results, f), 'utf8')));
  }, 120_000);

  it('refuses fp16 on ort-cpu with the operators and the reason, never timing fp32 under an fp16 label', () => {
    const r = cli(['bench', 'pointwise', '--set', 'height=8,width=8', '--precision', 'fp16', ...quick, '--json']);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout).results[0];
    expect(res.failure.kind).toBe('refused');
    expect(res.failure.reason).toMatch(/ort-cpu cannot run the fp16 variant: .*no float16 kernel for Conv .*float32/);
    expect(res.samplesMs).toEqual([]);
    expect(res.precision.notes[0]).toMatch(/Cast nodes at the boundary/);
  });

  it('rejects an unknown precision or calibration method before anything runs', () => {
    const a = cli(['bench', 'pointwise', '--precision', 'int4', ...quick]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown precision 'int4'. Precisions: fp32, fp16, int8/);
    const b = cli(['bench', 'pointwise', '--precision', 'int8', '--calibration', 'mse', ...quick]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--calibration must be one of minmax, percentile, entropy/);
  });
});

describe('precision command', () => {
  it('prints the fidelity of each variant against fp32 as JSON', () => {
    const doc = cliJson([
      'precision',
      'inception',
      '--set',
      'height=8,width=8',
      '--precision',
      'fp16,int8',
      '--calibration',
      'percentile',
      '--percentile',
      '99.99',
    ]);
    expect(doc.reference).toMatch(/CPU, fp32/);
    const [fp16, int8] = doc.variants;
    expect(fp16.precision).toBe('fp16');
    expect(fp16.status).toBe('refused');
    expect(fp16.reason).toMatch(/no float16 kernel/);
    expect(int8.status).toBe('ok');
    expect(int8.details.calibration).toMatchObject({ method: 'percentile', percentile: 99.99, samples: 8 });
    expect(int8.details.fidelity.overall.cosine).toBeGreaterThan(0.99);
    expect(int8.details.quantization.runtimeKernels.QLinearConcat).toBe(1);
  });
});
