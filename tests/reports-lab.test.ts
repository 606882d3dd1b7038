// Saved lab results in the reports (a heads table in HTML, Markdown and JSON), which ones are
// included (tied to the report's targets, or named with --lab), and `results export` on the CLI
// adding the matching accuracy and lab results as the app's export does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../main/reports/index.js';
import { labRows, matchingLab, selectLab } from '../main/reports/lab.js';
import { accuracyStore, labStore } from '../main/store/document-store.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeAccuracy, fakeLab } from './helpers/fake-accuracy.js';
import { fakeResult } from './helpers/fake-results.js';
import { cliJson } from './helpers/cli.js';

const head = { kind: 'block' as const, name: 'head-fc', params: { classes: 3 } };
const bench = [fakeResult({ id: 'a', target: head, samplesMs: [2, 2, 2] })];
const byBase = fakeLab({ id: 'lab-base', base: { ...fakeLab().base, target: 'head-fc:classes=3', isDefault: false } });
const exported = fakeLab({
  id: 'lab-export',
  createdAt: '2025-06-03T09:00:00.000Z',
  heads: fakeLab().heads.map((h) => ({ ...h, exported: { path: `/out/lab_mini_resnet-${h.head}.onnx`, bytes: 10 } })),
});
const unrelated = fakeLab({ id: 'lab-other' });
const fileBench = fakeResult({ id: 'f', target: { kind: 'file', path: '/x/y/lab_mini_resnet-fc.onnx', dims: {} } });

const tmp = mkdtempSync(join(tmpdir(), 'studio-reports-lab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lab results in reports', () => {
  it('includes the labs tied to the targets: the same base, or an exported classifier benchmarked as a file', () => {
    expect(matchingLab(bench, [unrelated, exported, byBase]).map((l) => l.id)).toEqual(['lab-base']);
    expect(matchingLab([fileBench], [unrelated, exported, byBase]).map((l) => l.id)).toEqual(['lab-export']);
    expect(selectLab(bench, [unrelated, byBase], 'lab-other').map((l) => l.id)).toEqual(['lab-base', 'lab-other']);
    expect(selectLab(bench, [unrelated, byBase], 'all')).toHaveLength(2);
    expect(() => selectLab(bench, [unrelated], 'lab-nope')).toThrow(/no saved lab result 'lab-nope'.*lab-other/);
    expect(labRows([byBase])).toEqual([
      expect.objectContaining({ head: 'gap', params: 99, valAccuracy: 0.7, testAccuracy: 0.7, cacheHit: false }),
      expect.objectContaining({ head: 'fc', params: 4707, testAccuracy: 0.8, trainMs: 50 }),
    ]);
  });

  it('adds a heads table to Markdown and HTML (escaped) and the documents to JSON; none without labs', () => {
    const evil = fakeLab({
      id: 'lab-evil',
      base: { ...fakeLab().base, target: '<img src=x onerror=alert(1)>.onnx' },
      cache: { ...fakeLab().cache, hit: true },
    });
    const md = renderReport(bench, 'md', { lab: [byBase] });
    expect(md).toMatch(
      /## Bottleneck-feature lab[\s\S]*\| head-fc:classes=3 \(features\) \| fashion-mnist \(180 train, 100 test\) \| flatten \+ linear \| 4,707 \| 80\.0+% \| 80\.0+% \| 50 ms \| miss \|/,
    );
    const html = renderReport(bench, 'html', { lab: [byBase, evil] });
    expect(html).toContain('<table class="sortable lab" id="lab-table">');
    expect(html).toContain('global average pooling + linear');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.onnx');
    expect(html).toMatch(/<span class="badge ok">hit<\/span>/);
    const json = JSON.parse(renderReport(bench, 'json', { lab: [byBase] }));
    expect(json.lab.map((l: { id: string }) => l.id)).toEqual(['lab-base']);
    expect(renderReport(bench, 'md')).not.toContain('Bottleneck-feature lab');
    expect(renderReport(bench, 'html')).not.toContain('id="lab-table"');
    expect(JSON.parse(renderReport(bench, 'json')).lab).toBeUndefined();
  });

  it('`results export` adds the matching accuracy and lab results, and the ones --lab names', () => {
    const dir = join(tmp, 'results');
    const store = new ResultsStore(dir);
    store.save(bench[0]);
    accuracyStore(dir).save(fakeAccuracy({ id: 'acc-match', targetSpec: head }));
    accuracyStore(dir).save(
      fakeAccuracy({ id: 'acc-other', targetSpec: { kind: 'block', name: 'pointwise', params: {} } }),
    );
    labStore(dir).save(byBase);
    labStore(dir).save(unrelated);
    const out = join(tmp, 'report.json');
    const written = cliJson(['results', 'export', '--results', dir, '--out', out]);
    expect(written).toMatchObject({ results: 1, accuracy: ['acc-match'], lab: ['lab-base'] });
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.accuracy.map((a: { id: string }) => a.id)).toEqual(['acc-match']);
    expect(report.lab.map((l: { id: string }) => l.id)).toEqual(['lab-base']);
    const md = join(tmp, 'report.md');
    expect(cliJson(['results', 'export', '--results', dir, '--out', md, '--lab', 'lab-other'])).toMatchObject({
      lab: ['lab-base', 'lab-other'],
    });
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('## Accuracy');
    expect(text).toContain('## Bottleneck-feature lab');
  }, 60_000);
});

describe('precision variants in reports', () => {
  it('lists each fp16 / int8 result with its fidelity, calibration and integer kernels, or why it was refused', () => {
    const base = fakeResult({ id: 'v8', target: head, samplesMs: [1, 1, 1] });
    const int8 = {
      ...base,
      job: { ...base.job, precision: 'int8' as const },
      label: 'head-fc:classes=3 int8 on ort-cpu, batch 1',
      precision: {
        precision: 'int8' as const,
        notes: [],
        fidelity: {
          reference: 'fp32',
          inputs: 'seeded',
          outputs: [],
          overall: {
            maxAbsError: 0.0123,
            meanAbsError: 0.001,
            relError: null,
            cosine: 0.99995,
            top1Agreement: 0.9,
            elements: 3,
          },
        },
        calibration: { method: 'minmax' as const, samples: 8, source: 'seeded-random' as const, tensors: 3, ms: 1 },
        quantization: {
          format: 'QDQ' as const,
          weights: 'int8',
          activations: 'uint8',
          ops: {},
          qdqTensors: 3,
          foldedBatchNorms: 0,
          removedActivations: 0,
          floatOps: [],
          runtimeKernels: { QGemm: 1, QuantizeLinear: 2 },
        },
      },
    };
    const refused = fakeResult({
      id: 'v16',
      target: head,
      status: 'failed',
      failure: { kind: 'refused', reason: 'fp16 <has> no float16 Gemm kernel on ort-cpu' },
    });
    const fp16 = { ...refused, job: { ...refused.job, precision: 'fp16' as const } };
    const results = [...bench, int8, fp16];
    const md = renderReport(results, 'md');
    expect(md).toMatch(
      /## Precision variants[\s\S]*\| head-fc:classes=3 int8 on ort-cpu, batch 1 \| int8 \| 1\.23e-2 \| 1\.00e-3 \| n\/a \| 0\.999950 \| 90\.0% \| minmax, 8 seeded inputs \| QGemm x1 \|/,
    );
    expect(md).toMatch(/\| fp16 \| \*\*failed\*\*: fp16 \\<has\\> no float16 Gemm kernel on ort-cpu \|/);
    const html = renderReport(results, 'html');
    expect(html).toContain('id="precision-table"');
    expect(html).toContain('fp16 &lt;has&gt; no float16 Gemm kernel');
    expect(renderReport(bench, 'md')).not.toContain('## Precision variants');
  });
});
