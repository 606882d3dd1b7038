import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvField } from '../main/reports/csv.js';
import { histogram, reportPolicy } from '../main/reports/html.js';
import {
  exportReport,
  formatFromPath,
  parseReport,
  renderReport,
  REPORT_SCHEMA,
  type ReportFormat,
} from '../main/reports/index.js';
import { mdEscape } from '../main/reports/markdown.js';
import { fmtCi, fmtMs } from '../main/reports/rows.js';
import { fakeReportSet, fakeResult, fakeSamples } from './helpers/fake-results.js';

const ctx = { createdAt: '2025-06-01T12:00:00.000Z', title: 'Weekly run' };
const dir = mkdtempSync(join(tmpdir(), 'studio-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A strict RFC 4180 reader, to check that what the writer quotes reads back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let [row, field, quoted, i] = [[] as string[], '', false, 0];
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') [field, i] = [field + '"', i + 2];
      else if (c === '"') [quoted, i] = [false, i + 1];
      else [field, i] = [field + c, i + 1];
    } else if (c === '"') [quoted, i] = [true, i + 1];
    else if (c === ',') [row, field, i] = [[...row, field], '', i + 1];
    else if (c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      [row, field, i] = [[], '', i + 2];
    } else if (c === '\n' || c === '\r') throw new Error(`bare line break at ${i}`);
    else [field, i] = [field + c, i + 1];
  }
  if (row.length || field) rows.push([...row, field]);
  return rows;
}

describe('report registry', () => {
  it('picks the format from the file extension and explains an unknown one', () => {
    const cases: [string, ReportFormat][] = [
      ['out/report.html', 'html'],
      ['REPORT.HTM', 'html'],
      ['r.json', 'json'],
      ['r.csv', 'csv'],
      ['notes.md', 'md'],
      ['notes.markdown', 'md'],
    ];
    for (const [path, format] of cases) expect(formatFromPath(path)).toBe(format);
    expect(() => formatFromPath('report.pdf')).toThrow(/cannot tell the report format of 'report.pdf': name it .html/);
    expect(() => renderReport([], 'pdf' as ReportFormat)).toThrow(
      /unknown report format 'pdf'; use one of html, json, csv, md/,
    );
  });

  it('exports atomically: the file is complete and no temporary file is left', () => {
    const results = fakeReportSet();
    const out = exportReport(results, join(dir, 'all.md'), undefined, ctx);
    expect(out).toMatchObject({ format: 'md', results: 8 });
    expect(readFileSync(out.path, 'utf8')).toBe(renderReport(results, 'md', ctx));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(() => exportReport([], join(dir, 'missing-folder', 'r.csv'))).toThrow(
      /cannot write .*: the folder does not exist/,
    );
  });
});

describe('JSON report', () => {
  it('is the versioned envelope with every result in full, and reads back', () => {
    const results = fakeReportSet();
    const text = renderReport(results, 'json', ctx);
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ schema: REPORT_SCHEMA, version: 1, createdAt: ctx.createdAt, title: 'Weekly run' });
    expect(doc.results).toEqual(JSON.parse(JSON.stringify(results)));
    expect(parseReport(text, 'r.json').results).toHaveLength(8);
  });
});

describe('CSV report', () => {
  it('has one row per result with raw numbers, and quotes per RFC 4180', () => {
    const tricky = 'conv, "wide" k=3\non two lines';
    const results = [...fakeReportSet(), fakeResult({ id: 'tricky', label: tricky })];
    const text = renderReport(results, 'csv', ctx);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"conv, ""wide"" k=3\non two lines"');
    const rows = parseCsv(text);
    const [header, ...body] = rows;
    expect(header.slice(0, 8)).toEqual(['id', 'label', 'target', 'backend', 'batch', 'threads', 'status', 'n']);
    expect(header).toEqual(expect.arrayContaining(['p50_ms', 'ci95_low_ms', 'ci95_high_ms', 'gflops', 'macs']));
    expect(header).toEqual(expect.arrayContaining(['peak_rss_bytes', 'machine_cpu', 'params', 'throughput_per_s']));
    expect(body).toHaveLength(results.length);
    for (const r of body) expect(r).toHaveLength(header.length);
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    const last = body[body.length - 1];
    expect(col(last, 'label')).toBe(tricky);
    expect(Number(col(last, 'p50_ms'))).toBe(results[results.length - 1].stats!.p50);
    const rn50 = body.find((r) => r[0] === 'rn50-cpu')!;
    expect(col(rn50, 'target')).toBe('resnet50/keras');
    expect(col(rn50, 'macs')).toBe('4089184256');
    expect(col(rn50, 'flags')).toMatch(/^high variation/);
    const failed = body.find((r) => r[0] === 'xcep-cuda')!;
    expect(col(failed, 'status')).toBe('failed');
    expect(col(failed, 'p50_ms')).toBe('');
    expect(col(failed, 'failure')).toMatch(/^refused: the CUDA execution provider is not installed/);
  });

  it('quotes exactly the fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
    expect(csvField(1.5)).toBe('1.5');
    expect(csvField(NaN)).toBe('');
    expect(csvField(undefined)).toBe('');
  });
});

describe('Markdown report', () => {
  const md = renderReport(fakeReportSet(), 'md', ctx);

  it('summarizes the machines, tables the results, and lists flags and failures', () => {
    expect(md).toMatch(/^# Weekly run\n/);
    expect(md).toContain('8 results, 7 ok, 1 failed, on 2 machines');
    expect(md).toContain('## Machines');
    expect(md).toContain('- CPU: AMD Ryzen 9 7950X 16\\-Core Processor'.replace('\\-', '-'));
    expect(md).toContain('Generated 2025-06-01 12:00 UTC by Bottleneck Studio');
    expect(md).toContain('**M1** (7 results)');
    expect(md).toContain('**M2** (1 result)');
    expect(md).toMatch(/\| Target \| Backend \| Batch \| Threads \| Status \| n \| p50 \| 95% CI of p50 \|/);
    // The results table only (the devices and GPU tables that follow it have tests of their own).
    const tableRows = md
      .slice(md.indexOf('## Results'), md.indexOf('## Flags'))
      .split('\n')
      .filter((l) => l.startsWith('| '));
    expect(tableRows).toHaveLength(2 + 8);
    expect(md).toContain('| resnet50/keras | ort-cpu | 1 | 1 | ok | 120 | 24.');
    expect(md).toMatch(/\| bottleneck:mid=64 \| ort-cpu \| 1 \| 1 \| ok \| 200 \| .* \| M2 \|\n/);
    expect(md).toMatch(/## Flags\n\n- \*\*resnet50\/keras on ort-cpu, batch 1, 1 threads\*\*: high variation/);
    expect(md).toMatch(
      /## Failures\n\n- \*\*xception on ort-cuda, batch 1, 1 threads\*\* \(failed\): refused: the CUDA/,
    );
  });

  it('escapes labels so that they cannot break the table', () => {
    expect(mdEscape('a|b *c* <x> [l](u) `c` _i_')).toBe('a\\|b \\*c\\* \\<x\\> \\[l\\](u) \\`c\\` \\_i\\_');
    const target = { kind: 'block' as const, name: 'odd|name', params: { note: 'a\nb' } };
    const out = renderReport([fakeResult({ target, label: 'pipe | in\nlabel', flags: ['x'] })], 'md', ctx);
    expect(out).toContain('| odd\\|name:note=a b | ort-cpu |');
    expect(out).toContain('- **pipe \\| in label**: x');
  });

  it('says so when nothing was flagged or failed', () => {
    const out = renderReport([fakeResult({ flags: [] })], 'md', ctx);
    expect(out).toContain('No result was flagged.');
    expect(out).toContain('Every job ran.');
    expect(out).toContain('## Machine\n');
  });
});

describe('HTML report (as a file)', () => {
  const html = renderReport(fakeReportSet(), 'html', ctx);

  it('is one self-contained file: CSP, inlined Chart.js, inlined data, no URL anywhere', () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${reportPolicy()}">`);
    expect(html).toMatch(/Chart\.js v4\.\d+\.\d+/);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href)\s*=/i);
    expect(html).not.toMatch(/[\s:(]url\(|@import|sourceMappingURL/i); // (canvas.toDataURL( is code, not a URL)
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]);
    expect(data.charted).toHaveLength(7);
    expect(data.charted[0]).toMatchObject({ id: 'bneck-1t', backend: 'ort-cpu', macs: 218_103_808 });
  });

  it('escapes data that looks like markup in every place it appears', () => {
    const label = '</script><script>alert(1)</script><!-- "x" & \'y\'';
    const out = renderReport([fakeResult({ label, flags: [label] })], 'html', ctx);
    expect(out.match(/<\/script/gi)).toHaveLength(3);
    expect(out).not.toContain('<!-- "x"');
    expect(out).toContain(
      '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &quot;x&quot; &amp; &#39;y&#39;',
    );
  });

  it('draws histograms over [min, p99] and counts the slow tail', () => {
    const samples = [...fakeSamples(990, 2, 0.05, 3), ...Array(10).fill(50)];
    const h = histogram(samples);
    expect(h.counts.reduce((s, c) => s + c, 0) + h.above).toBe(1000);
    expect(h.above).toBeGreaterThanOrEqual(9);
    expect(h.counts.length).toBeGreaterThanOrEqual(8);
    expect(h.counts.length).toBeLessThanOrEqual(40);
    expect(h.start).toBe(Math.min(...samples));
    expect(histogram([3, 3, 3])).toMatchObject({ counts: [3], above: 0 });
  });
});

describe('number formatting', () => {
  it('picks a unit per value', () => {
    expect(fmtMs(0.00532)).toBe('5.32 µs');
    expect(fmtMs(1.5)).toBe('1.50 ms');
    expect(fmtMs(2345)).toBe('2.35 s');
    expect(fmtCi({ ciLow: 1.52, ciHigh: 1.54 })).toBe('1.52–1.54 ms');
    expect(fmtCi({ ciLow: 0.98, ciHigh: 1.02 })).toBe('980 µs – 1.02 ms');
  });
});

describe('per-layer times in the Markdown report', () => {
  it('lists profiled nodes by time with their studio layers and the fallbacks', async () => {
    const { fakeResult } = await import('./helpers/fake-results.js');
    const r = fakeResult();
    r.nodes = [
      {
        name: 'conv1.relu_nchwc',
        op: 'Conv',
        provider: 'CPUExecutionProvider',
        meanUs: 600,
        graphNodes: ['conv1', 'conv1.bn', 'conv1.relu'],
        macs: 51_380_224,
        gflops: 171.3,
      },
      {
        name: 'ReorderInput',
        op: 'ReorderInput',
        provider: 'CPUExecutionProvider',
        meanUs: 200,
        graphNodes: [],
        macs: 0,
        gflops: 0,
      },
    ];
    r.placement = { nodesByProvider: { CPUExecutionProvider: 2 }, fallbackNodes: ['softmax'] };
    const md = renderReport([r], 'md');
    expect(md).toMatch(/## Per-layer times/);
    expect(md).toMatch(
      /\| conv1\.relu\\_nchwc \| Conv \| CPU \| 600\.0 \| 75\.0% \|.*\| conv1, conv1\.bn, conv1\.relu \|/,
    );
    expect(md).toMatch(/Fell back from the requested provider: softmax/);
    expect(renderReport([fakeResult()], 'md')).not.toMatch(/Per-layer/);
  });
});
