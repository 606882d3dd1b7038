// Saved accuracy results in the reports: matched to the report's results by target and precision.
import { describe, expect, it } from 'vitest';
import { accuracyRows, matchingAccuracy } from '../main/reports/accuracy.js';
import { renderReport } from '../main/reports/index.js';
import { fakeAccuracy } from './helpers/fake-accuracy.js';
import { fakeResult } from './helpers/fake-results.js';

const target = { kind: 'block' as const, name: 'head-fc', params: { classes: 3 } };
const bench = [fakeResult({ id: 'a', target, samplesMs: [2, 2, 2] }), fakeResult({ id: 'b' })];
const older = fakeAccuracy({ id: 'old', createdAt: '2025-01-01T00:00:00.000Z' });
const newer = fakeAccuracy({ id: 'new', targetSpec: { ...target, params: { classes: '3' } } });
const other = fakeAccuracy({ id: 'x', targetSpec: { kind: 'block', name: 'head-gap', params: {} } });
const fp16 = fakeAccuracy({ id: 'h', precision: 'fp16' });

describe('reports with accuracy', () => {
  it('keeps the latest accuracy per matching target and precision, with the fastest matching median', () => {
    const m = matchingAccuracy(bench, [older, newer, other, fp16]);
    expect(m.map((a) => a.id)).toEqual(['new']);
    expect(accuracyRows(bench, m)).toEqual([
      expect.objectContaining({ target: 'head-fc:classes=3', top1: 0.6, images: 30, fastestP50: 2 }),
    ]);
  });

  it('adds an Accuracy section to Markdown and HTML and the documents to JSON; none without accuracy', () => {
    const accuracy = matchingAccuracy(bench, [newer]);
    const md = renderReport(bench, 'md', { accuracy });
    expect(md).toMatch(/## Accuracy[\s\S]*\| head-fc:classes=3 \| fashion-mnist \(test\) \| 30 \| 60\.0+% \|/);
    const html = renderReport(bench, 'html', { accuracy });
    expect(html).toContain('<table class="accuracy">');
    expect(html).toContain('head-fc:classes=3');
    const json = JSON.parse(renderReport(bench, 'json', { accuracy }));
    expect(json.accuracy.map((a: { id: string }) => a.id)).toEqual(['new']);
    expect(renderReport(bench, 'md')).not.toContain('## Accuracy');
    expect(JSON.parse(renderReport(bench, 'json')).accuracy).toBeUndefined();
  });
});
