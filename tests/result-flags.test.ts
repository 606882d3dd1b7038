// Results that do not mislead quietly (issue 18): warnings apart from notes (shared/stats/flags.ts),
// quick runs told apart and left out of comparisons, pooled results said as such, the CPU named once,
// and a bad import refused with a short, clear reason instead of its raw bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobSpecSchema } from '../shared/contract/job.js';
import { ResultSchema, type BenchResult } from '../shared/contract/result.js';
import { softwareAdapterFlag } from '../shared/hardware/adapters.js';
import { compareDevices } from '../shared/stats/devices.js';
import {
  DEFAULT_MEASURE,
  isNoteLine,
  isQuick,
  quickReason,
  splitFlags,
  warningCount,
  withoutQuick,
} from '../shared/stats/flags.js';
import { instabilityFlags, poolSummary } from '../shared/stats/latency.js';
import { renderReport } from '../main/reports/index.js';
import { cpuText, machineLine } from '../main/reports/rows.js';
import { importResultsText } from '../main/store/import-text.js';
import { notJsonReason, parseReport } from '../main/store/report-file.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeAdapters, fakeGpuResult, fakeMachine, fakeResult, fakeSamples } from './helpers/fake-results.js';

const dir = mkdtempSync(join(tmpdir(), 'studio-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = { createdAt: '2025-06-01T12:00:00.000Z', title: 'Flags' };

/** The lines the studio wrote into `flags` before `notes` existed. */
const OLD_NOTES = [
  "native plan: avx2 kernels, 4 threads, activation arena 1.5 MiB (cost model's peak activations: 3.1 MiB), packed weights 280.0 KiB, workspace 0.0 KiB",
  'native lowering: 3 BatchNormalization folded into Conv, 1 residual Add fused into Conv, 3 Relu/Clip fused into Conv',
  "ran the studio's re-export of /models/net.onnx (some nodes are unnamed or share a name)",
  softwareAdapterFlag(fakeAdapters.llvmpipe),
];
const OLD_WARNINGS = [
  'high variation: coefficient of variation 113.0%',
  'repetitions disagree: medians spread 75.0%',
  '3 of 40 nodes did not run on WebGpuExecutionProvider (operators Shape; 0.0% of the MACs ran there): /shape_0',
  'profiling failed, so node placement and per-node times are unknown: boom',
  'the WebGPU adapter is unknown (no Vulkan adapter listed): it may be a software device',
];

/** A result measured with other rules (job.measure), e.g. the Quick preset's. */
function measuredWith(r: BenchResult, measure: Partial<BenchResult['job']['measure']>): BenchResult {
  return ResultSchema.parse({
    ...r,
    job: JobSpecSchema.parse({ ...r.job, measure: { ...r.job.measure, ...measure } }),
  });
}
const QUICK = { warmupRuns: 3, warmupTimeS: 0.5, minRuns: 10, minTimeS: 0.5, maxTimeS: 3, targetRelCi: 0.05 };
const THOROUGH = { warmupRuns: 20, warmupTimeS: 5, minRuns: 100, minTimeS: 5, maxTimeS: 60, targetRelCi: 0.005 };

describe('warnings and notes (shared/stats/flags.ts)', () => {
  it('splits an old result whose flags mix both: only warnings are flags, unknown lines stay warnings', () => {
    const split = splitFlags({ flags: [...OLD_WARNINGS.slice(0, 2), ...OLD_NOTES, ...OLD_WARNINGS.slice(2)] });
    expect(split.warnings).toEqual(OLD_WARNINGS);
    expect(split.notes).toEqual(OLD_NOTES);
    for (const n of OLD_NOTES) expect(isNoteLine(n)).toBe(true);
    for (const w of OLD_WARNINGS) expect(isNoteLine(w)).toBe(false);
    expect(isNoteLine('something a newer studio says')).toBe(false);
  });

  it('reads a new result: its notes, plus any old-style note, each once', () => {
    const split = splitFlags({ flags: ['only 4 samples', OLD_NOTES[0]], notes: [OLD_NOTES[0], OLD_NOTES[1]] });
    expect(split).toEqual({ warnings: ['only 4 samples'], notes: [OLD_NOTES[0], OLD_NOTES[1]] });
    expect(warningCount({ flags: OLD_NOTES })).toBe(0);
    // The instability rules produce warnings only.
    const stats = fakeResult({ samplesMs: [1, 1.5, 3, 1] }).stats!;
    expect(instabilityFlags(stats).every((f) => !isNoteLine(f))).toBe(true);
  });

  it('the results schema keeps notes apart, empty for results saved before it', () => {
    const old = fakeResult({ flags: [OLD_WARNINGS[0], OLD_NOTES[0]] });
    expect(old.notes).toEqual([]);
    const parsed = ResultSchema.parse({ ...old, notes: ['native plan: x'] });
    expect(parsed.notes).toEqual(['native plan: x']);
  });

  it('summaries (results.list) count warnings only', () => {
    const store = new ResultsStore(join(dir, 'summaries'));
    store.save(fakeResult({ id: 'old-mixed', flags: [OLD_WARNINGS[0], ...OLD_NOTES] }));
    store.save({ ...fakeResult({ id: 'new-notes', flags: [] }), notes: OLD_NOTES.slice(0, 2) });
    const flags = Object.fromEntries(store.list().results.map((s) => [s.id, s.flags]));
    expect(flags).toEqual({ 'old-mixed': 1, 'new-notes': 0 });
  });

  it('reports count warnings as flags and list notes apart', () => {
    const notesOnly = { ...fakeResult({ id: 'notes-only', flags: [] }), notes: OLD_NOTES.slice(0, 2) };
    const oldMixed = fakeResult({ id: 'old-mixed', flags: [OLD_WARNINGS[0], OLD_NOTES[0], OLD_NOTES[1]] });
    const html = renderReport([notesOnly, oldMixed], 'html', ctx);
    // One result flagged (the 'flagged' stat), not two: notes are not flags.
    expect(html).toMatch(/<div class="stat warn"><b>1<\/b><span>flagged<\/span><\/div>/);
    expect(html).toContain('<span class="badge flag" title="high variation: coefficient of variation 113.0%">1</span>');
    expect(html).toContain('2 notes</span>');
    expect(html).toMatch(/<details class="notes" id="notes"><summary>Notes on 2 results \(information, not flags\)/);
    const flagsList = /<ul class="flags">([\s\S]*?)<\/ul>/.exec(html)![1];
    expect(flagsList).toContain('high variation');
    expect(flagsList).not.toContain('native plan');

    const onlyNotes = renderReport([notesOnly], 'html', ctx);
    expect(onlyNotes).toMatch(/<div class="stat "><b>0<\/b><span>flagged<\/span><\/div>/);
    expect(onlyNotes).toContain('No result was flagged.');

    const md = renderReport([notesOnly, oldMixed], 'md', ctx);
    const flagsSection = md.slice(md.indexOf('## Flags'), md.indexOf('### Notes'));
    expect(flagsSection).toContain('high variation');
    expect(flagsSection).not.toContain('native plan');
    expect(md.slice(md.indexOf('### Notes'))).toContain('native plan');

    const csv = renderReport([oldMixed], 'csv', ctx).split('\r\n');
    const header = csv[0].split(',');
    expect(csv[1]).toContain('native lowering');
    expect(header.indexOf('notes')).toBeGreaterThan(header.indexOf('ratio_to_ort_cpu'));
  });
});

describe('quick runs', () => {
  it('are told from their measuring rules: the Quick preset is quick, Standard and Thorough are not', () => {
    const r = fakeResult();
    expect(r.job.measure.minTimeS).toBe(DEFAULT_MEASURE.minTimeS);
    expect(isQuick(r)).toBe(false);
    expect(isQuick(measuredWith(r, THOROUGH))).toBe(false);
    expect(quickReason(measuredWith(r, QUICK))).toBe(
      'quick run: minimum time 0.5 s (default minimum 1 s), early stop at ±5% (default ±1%)',
    );
    // A short maximum time cuts the minimum; a minimum set by the user holds (no early stop to loosen).
    expect(quickReason(measuredWith(r, { maxTimeS: 0.3, minTimeS: 0.2 }))).toMatch(/^quick run: minimum time 0\.2 s/);
    expect(isQuick(measuredWith(r, { userMinimums: true, minTimeS: 2, targetRelCi: 0.2 }))).toBe(false);
    expect(isQuick(measuredWith(r, { userMinimums: true, minTimeS: 0.1 }))).toBe(true);
  });

  it('are left out of comparisons by default, and counted', () => {
    const rs = [fakeResult(), measuredWith(fakeResult(), QUICK), measuredWith(fakeResult(), QUICK)];
    const { kept, leftOut } = withoutQuick(rs);
    expect(kept).toHaveLength(1);
    expect(leftOut).toHaveLength(2);
    expect(withoutQuick(rs, true).kept).toHaveLength(3);
  });

  it("leave the report's devices comparison, which says how many and why", () => {
    const target = { kind: 'block' as const, name: 'bottleneck', params: { mid: 64 } };
    const cpu = fakeGpuResult({ id: 'cpu', backend: 'ort-cpu', target, medianMs: 8 });
    const cuda = fakeGpuResult({ id: 'cuda', backend: 'ort-cuda', target, medianMs: 1 });
    const quickCuda = measuredWith(
      fakeGpuResult({ id: 'cuda-quick', backend: 'ort-cuda', target, medianMs: 1.75 }),
      QUICK,
    );
    const html = renderReport([cpu, cuda, quickCuda], 'html', ctx);
    expect(html).toContain('<p class="note quick-left-out">1 quick run left out of this comparison');
    // The quick run is not pooled into the CUDA entry: one result, 1 ms.
    const devices = /<table class="devices">[\s\S]*?<\/table>/.exec(html)![0];
    const cudaMedian = Number(/<td>ort-cuda<\/td><td class="num" data-v="([\d.]+)">/.exec(devices)![1]);
    expect(cudaMedian).toBeLessThan(1.2);
    expect(devices).toContain('one result');
    expect(html).toMatch(/title="quick run: minimum time 0\.5 s[^"]*">quick<\/span>/);
    const md = renderReport([cpu, quickCuda], 'md', ctx);
    expect(md).toMatch(
      /## Devices compared\n\n1 quick run left out of this comparison .*Measure with the default rules/,
    );
  });
});

describe('pooled results say so', () => {
  const run = (group: string, medianMs: number, reps: number) =>
    Array.from({ length: reps }, (_, i) =>
      fakeResult({ group, repetition: i, samplesMs: fakeSamples(200, medianMs, 0.01, medianMs * 100 + i) }),
    );

  it('counts runs and repetitions, the spread of medians, and disagreement beyond the intervals', () => {
    const agree = poolSummary([...run('a', 1, 2), ...run('b', 1.01, 2), ...run('c', 1, 2)]);
    expect(agree.text).toMatch(/^pooled: 3 runs, 2 repetitions each; medians spread 1\.0\d×$/);
    expect(agree.disagree).toBe(false);
    const quickAndThorough = poolSummary([...run('thorough', 1, 2), ...run('quick', 1.75, 1)]);
    expect(quickAndThorough.text).toBe(
      'pooled: 3 results of 2 runs (2 + 1 repetitions); medians spread 1.75× — the runs disagree beyond their 95% intervals',
    );
    expect(quickAndThorough.disagree).toBe(true);
    expect(poolSummary(run('one', 1, 1)).text).toBe('');
    expect(poolSummary(run('one', 1, 3)).text).toMatch(/^pooled: 3 repetitions of one run/);
  });

  it('Devices compared says which configuration it took and what it pooled, never silently', () => {
    const target = { kind: 'block' as const, name: 'bottleneck', params: { mid: 64 } };
    const rs = [
      fakeGpuResult({ id: 'c1', backend: 'ort-cpu', target, threads: 1, medianMs: 8, group: 'r1' }),
      fakeGpuResult({ id: 'c4a', backend: 'ort-cpu', target, threads: 4, medianMs: 4, group: 'r1' }),
      fakeGpuResult({ id: 'c4b', backend: 'ort-cpu', target, threads: 4, medianMs: 4.1, group: 'r2' }),
      fakeGpuResult({ id: 'gpu', backend: 'ort-cuda', target, threads: 0, medianMs: 1 }),
    ];
    const [g] = compareDevices(rs);
    const cpu = g.entries.find((e) => e.backend === 'ort-cpu')!;
    expect(cpu.resultIds).toEqual(['c4a', 'c4b']);
    expect(cpu.configurations).toBe(2);
    expect(cpu.choice).toMatch(
      /^fastest of 2 configurations \(4 threads 4\.\d\d ms, 1 thread [78]\.\d\d ms\); pooled: 2 runs; medians spread 1\.0\d×$/,
    );
    expect(g.entries.find((e) => e.backend === 'ort-cuda')!.choice).toBe('one result');
    const html = renderReport(rs, 'html', ctx);
    expect(html).toContain('<th scope="col">Taken</th>');
    expect(html).toContain('fastest of 2 configurations');
  });
});

describe('the CPU is named once', () => {
  it('leaves the vendor out when the brand already starts with it', () => {
    expect(cpuText({ manufacturer: 'AMD', brand: 'AMD EPYC 7B13 64-Core Processor' })).toBe(
      'AMD EPYC 7B13 64-Core Processor',
    );
    expect(cpuText({ manufacturer: 'GenuineIntel', brand: 'Intel(R) Xeon(R) CPU @ 2.20GHz' })).toBe(
      'Intel(R) Xeon(R) CPU @ 2.20GHz',
    );
    expect(cpuText({ manufacturer: 'AMD', brand: 'Ryzen 9 7950X' })).toBe('AMD Ryzen 9 7950X');
    expect(cpuText({ manufacturer: 'unknown', brand: 'Neoverse-N1' })).toBe('Neoverse-N1');
  });

  it('in the HTML and Markdown reports', () => {
    const epyc = fakeMachine({
      cpu: { ...fakeMachine().cpu, manufacturer: 'AMD', brand: 'AMD EPYC 7B13 64-Core Processor' },
    });
    expect(machineLine(epyc)).toMatch(/^AMD EPYC 7B13 64-Core Processor \(16C\/32T/);
    const r = fakeResult({ machine: epyc });
    for (const format of ['html', 'md'] as const) {
      const out = renderReport([r], format, ctx);
      expect(out).toContain('AMD EPYC 7B13');
      expect(out).not.toContain('AMD AMD');
    }
  });
});

describe('a bad import says what the file looks like, never its raw bytes', () => {
  const refusal = async (name: string, text: string) => {
    try {
      await importResultsText(new ResultsStore(join(dir, 'import')), join(dir, 'scratch'), name, text);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('imported');
  };
  // eslint-disable-next-line no-control-regex
  const RAW = /[\u0000-\u0008\u000e-\u001f\ufffd]/;

  it('a ZIP archive, an image, binary data', async () => {
    const zip = await refusal(
      'results.zip',
      'PK\u0003\u0004\u0014\u0000\u0008\u0000\u0008\u0000\ufffd\ufffdresults.json\u0000\u0000',
    );
    expect(zip).toBe(
      'results.zip is not a report: not valid JSON (it looks like a ZIP archive (or an Office document)); an import reads a Bottleneck Studio JSON report (Export → JSON) or a single result file (.json)',
    );
    expect(zip).not.toMatch(RAW);
    expect(zip).not.toContain('PK');
    expect(await refusal('shot.png', '\ufffdPNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR')).toMatch(
      /looks like a PNG image/,
    );
    const blob = await refusal('data.bin', '\u0000\u0001\u0002\ufffd\ufffd'.repeat(50));
    expect(blob).toMatch(/not valid JSON \(it looks like binary data, not text\); an import reads/);
    expect(blob).not.toMatch(RAW);
    expect(await refusal('model.json', `\u0008\u0007\u0012\u0007pytorch\u001a\u00032.1${'\u0000'.repeat(20)}`)).toMatch(
      /looks like an ONNX model/,
    );
  });

  it('other text, quoted short and sanitized; an HTML report; damaged JSON as the parser says it', async () => {
    const text = await refusal(
      'notes.txt',
      `hello\u202e world, this is a long line of plain text that goes on and on\nmore`,
    );
    expect(text).toContain('it looks like text that is not JSON, starting "hello world, this is a long line of plai…"');
    expect(text).not.toContain('\u202e');
    expect(await refusal('report.html', '<!doctype html><html><body>x</body></html>')).toMatch(
      /looks like an HTML page \(an HTML report is for reading: import its JSON export instead\)/,
    );
    expect(await refusal('report.csv', 'id,label,target\r\na,b,c\r\nd,e,f\r\n')).toMatch(/looks like CSV text/);
    expect(await refusal('cut.json', '{"schema": "bottleneck-studio/report", "results": [')).toMatch(
      /^cut\.json is not a report: not valid JSON \(.*\): the file looks truncated$/,
    );
    // The parser's own message quotes the start of the file: never passed on.
    const quoted = notJsonReason('{\u0001\u0002}', 'Unexpected token \'\u0001\', "{\u0001\u0002}" is not valid JSON');
    expect(quoted).toBe(
      'not valid JSON (it looks like binary data, not text); an import reads a Bottleneck Studio JSON report (Export → JSON) or a single result file (.json)',
    );
    expect(() => parseReport('{x', 'x.json')).toThrow(/^x\.json is not a report: not valid JSON \(/);
  });

  it('reaches the CLI path too (a file on disk)', () => {
    const path = join(dir, 'archive.json');
    writeFileSync(path, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00]));
    const store = new ResultsStore(join(dir, 'cli'));
    expect(() => store.importReport(path)).toThrow(
      /archive\.json is not a report: not valid JSON \(it looks like a ZIP archive/,
    );
    try {
      store.importReport(path);
    } catch (e) {
      expect((e as Error).message).not.toMatch(RAW);
    }
  });
});
