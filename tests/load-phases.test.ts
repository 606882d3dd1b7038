// Load phases (LoadPhases in shared/contract/result.ts): real runs through the CLI on ort-cpu and
// native (and ort-webgpu where a Vulkan device exists, else listed as skipped with the reason),
// the schema's compatibility with results saved before it, the shared helpers, the GPU providers'
// reasons, and the reports' "Load phases" section in every format.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultSchema, type BenchResult, type LoadPhases } from '../shared/contract/result.js';
import {
  loadPhasesLines,
  loadPhasesOf,
  phaseSegments,
  sessionRestMs,
  LEGACY_PHASES_NOTE,
} from '../shared/stats/load-phases.js';
import { parseOrtSessionEvents } from '../main/backends/ort/profile.js';
import { OrtBackend } from '../main/backends/ort/ort-backend.js';
import { renderReport } from '../main/reports/index.js';
import { cli, cliJson } from './helpers/cli.js';
import { fakeGpuResult, fakeResult } from './helpers/fake-results.js';
import { gpuIt } from './helpers/vulkan.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-load-phases-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');
const quick = ['--min-runs', '10', '--min-time', '0.05', '--max-time', '0.5', '--results', results];
const block = ['pointwise', '--set', 'height=8,width=8'];

/** The runtime's clock (ORT's events) and the worker's differ by microseconds: a small tolerance. */
const TOLERANCE_MS = 0.5;

/** What every measured result's phases must satisfy, whatever the backend. */
function checkCommon(r: BenchResult): LoadPhases {
  expect(r.status, r.failure?.reason).toBe('ok');
  const p = r.phases!;
  expect(p, 'the result records its load phases').toBeDefined();
  // The same figures as coldStart (kept for older readers) and the statistics.
  expect(p.sessionCreateMs).toBe(r.coldStart!.sessionMs);
  expect(p.firstRunMs).toBe(r.coldStart!.firstRunMs);
  expect(p.firstRunMs).toBeGreaterThanOrEqual(0);
  expect(p.warmMedianMs).toBe(r.stats!.p50);
  expect(p.firstRunOverheadMs).toBeCloseTo(p.firstRunMs - p.warmMedianMs, 9);
  expect(p.build!.ms).toBeGreaterThan(0);
  expect(p.build!.ms).toBeLessThanOrEqual(r.coldStart!.loadMs);
  expect(p.build!.method).toMatch(/wall time/);
  const partsMs = p.sessionParts.reduce((s, x) => s + x.ms, 0);
  expect(partsMs).toBeLessThanOrEqual(p.sessionCreateMs + TOLERANCE_MS);
  for (const part of p.sessionParts) {
    expect(part.ms).toBeGreaterThanOrEqual(0);
    expect(part.method.length, `${part.part} says how it was measured`).toBeGreaterThan(10);
  }
  // What cannot be told apart is said, never left silent.
  expect(p.sessionUnseparated.length).toBeGreaterThan(0);
  return p;
}

describe('load phases of real runs (CLI bench)', () => {
  let doc: { results: BenchResult[] } | undefined;
  const run = (): { results: BenchResult[] } =>
    (doc ??= cliJson(['bench', ...block, '--backend', 'ort-cpu,native', ...quick]) as { results: BenchResult[] });

  it("ort-cpu: parsing and initialization from ONNX Runtime's own session events; no GPU split", () => {
    const r = run().results.find((x) => x.job.backend.backend === 'ort-cpu')!;
    const p = checkCommon(r);
    expect(p.sessionParts.map((x) => x.part)).toEqual(['load', 'initialization']);
    expect(p.sessionParts[0].method).toMatch(/event model_loading_array/);
    expect(p.sessionParts[1].method).toMatch(/event session_initialization/);
    expect(p.sessionUnseparated.join(' ')).toMatch(/session_initialization.*cannot be told apart/);
    expect(p.gpu).toBeUndefined();
    expect(p.gpuUnmeasured).toBeUndefined();
  });

  it('native: the TypeScript lowering and the addon compile timed apart; no GPU split', () => {
    const r = run().results.find((x) => x.job.backend.backend === 'native')!;
    const p = checkCommon(r);
    // The worker hands the studio graph over: nothing is parsed, so there is no 'load' part.
    expect(p.sessionParts.map((x) => x.part)).toEqual(['graphOptimization', 'compile']);
    expect(p.sessionParts[0].method).toMatch(/lowerGraph/);
    expect(p.sessionParts[1].method).toMatch(/addon's createSession/);
    expect(p.gpu).toBeUndefined();
    expect(p.gpuUnmeasured).toBeUndefined();
  });

  it('`results show --phases` prints them as text; plain `show` stays JSON', () => {
    const r = run().results.find((x) => x.job.backend.backend === 'ort-cpu')!;
    const text = cli(['results', 'show', r.id, '--phases', '--results', results]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/session create .*\(model parsed .*; session initialization .*; not attributed/);
    expect(text.stdout).toMatch(/first run /);
    expect(text.stdout).toMatch(/warm median /);
    expect(text.stdout).toMatch(/first-run overhead [+-]/);
    expect(text.stdout).toMatch(/how measured:\n {2}- build: wall time/);
    expect(cliJson(['results', 'show', r.id, '--results', results]).phases.sessionCreateMs).toBe(
      r.phases!.sessionCreateMs,
    );
  });

  gpuIt(
    'ort-webgpu: the upload / compute / read-back split, compute = the device-resident median',
    () => {
      const r = cliJson(['bench', ...block, '--backend', 'ort-webgpu', ...quick]).results[0] as BenchResult;
      const p = checkCommon(r);
      expect(p.sessionParts.map((x) => x.part)).toEqual(['load', 'initialization']);
      expect(p.firstRunNotes.join(' ')).toMatch(/shader/);
      expect(p.gpuUnmeasured).toBeUndefined();
      const g = p.gpu!;
      expect(g, 'the WebGPU result carries the split').toBeDefined();
      expect(g.computeMs).toBe(r.deviceResident!.medianMs);
      expect(g.uploadMs).toBeGreaterThanOrEqual(0);
      expect(g.readbackMs).toBeGreaterThanOrEqual(0);
      expect(g.runs).toBeGreaterThanOrEqual(3);
      expect(g.method).toMatch(/upload: .*compute: .*read-back: /);
    },
    180_000,
  );
});

describe('GPU providers without the split say why', () => {
  it('names what onnxruntime-node lacks for CUDA, TensorRT and DirectML; CoreML moves tensors itself', () => {
    for (const name of ['ort-cuda', 'ort-tensorrt', 'ort-dml'] as const)
      expect(new OrtBackend(name).gpuSplitUnmeasured).toMatch(/no I\/O binding.*cannot be timed apart/);
    expect(new OrtBackend('ort-coreml').gpuSplitUnmeasured).toMatch(/CoreML decides/);
    // CPU has nothing to split; WebGPU measures it.
    expect(new OrtBackend('ort-cpu').gpuSplitUnmeasured).toBeUndefined();
    expect(new OrtBackend('ort-webgpu').gpuSplitUnmeasured).toBeUndefined();
  });
});

describe("ONNX Runtime's session events", () => {
  it('reads model loading and session initialization, in ms; a missing event stays absent', () => {
    const trace = [
      { cat: 'Session', name: 'model_loading_array', dur: 2157, ph: 'X' },
      { cat: 'Session', name: 'session_initialization', dur: 13630, ph: 'X' },
      { cat: 'Node', name: 'conv_kernel_time', dur: 40 },
    ];
    expect(parseOrtSessionEvents(JSON.stringify(trace))).toEqual({
      load: { name: 'model_loading_array', ms: 2.157 },
      initialization: { name: 'session_initialization', ms: 13.63 },
    });
    expect(parseOrtSessionEvents(JSON.stringify(trace.slice(1)))).toEqual({
      initialization: { name: 'session_initialization', ms: 13.63 },
    });
    expect(() => parseOrtSessionEvents('{"a":1}')).toThrow(/not a JSON array/);
  });
});

/** Phases as a worker records them on ort-cpu: two parts of a 50 ms creation. */
const CPU_PHASES: LoadPhases = {
  build: { ms: 12, method: 'wall time: the target built' },
  sessionCreateMs: 50,
  sessionParts: [
    { part: 'load', label: 'model parsed', ms: 3, method: 'event model_loading_array' },
    { part: 'initialization', label: 'session initialization', ms: 20, method: 'event session_initialization' },
  ],
  sessionUnseparated: ['one event covers optimization and kernel creation'],
  firstRunMs: 8,
  warmMedianMs: 1.5,
  firstRunOverheadMs: 6.5,
  firstRunNotes: [],
};

function withPhases(r: BenchResult, phases: LoadPhases): BenchResult {
  return ResultSchema.parse({ ...r, phases: { ...phases, warmMedianMs: r.stats!.p50 } });
}

describe('the schema and the shared helpers', () => {
  it('a result saved before load phases still validates, and shows its cold start as phases, not split', () => {
    const old = fakeResult({ id: 'old' });
    const json = JSON.parse(JSON.stringify(old)) as Record<string, unknown>;
    expect('phases' in json).toBe(false);
    const parsed = ResultSchema.parse(json);
    expect(parsed.phases).toBeUndefined();
    const lp = loadPhasesOf(parsed)!;
    expect(lp.legacy).toBe(true);
    expect(lp.phases.sessionCreateMs).toBe(old.coldStart!.sessionMs);
    expect(lp.phases.firstRunMs).toBe(old.coldStart!.firstRunMs);
    expect(lp.phases.warmMedianMs).toBe(old.stats!.p50);
    expect(lp.phases.sessionParts).toEqual([]);
    expect(lp.phases.sessionUnseparated).toEqual([LEGACY_PHASES_NOTE]);
    expect(phaseSegments(lp.phases).map((s) => s.key)).toEqual(['build', 'session', 'first-run', 'warm']);
  });

  it('a result with phases round-trips; a phases object without its session figure is refused', () => {
    const r = withPhases(fakeResult({ id: 'new' }), CPU_PHASES);
    expect(ResultSchema.parse(JSON.parse(JSON.stringify(r))).phases).toEqual(r.phases);
    const broken = { ...CPU_PHASES } as Partial<LoadPhases>;
    delete broken.sessionCreateMs;
    expect(ResultSchema.safeParse({ ...r, phases: broken }).success).toBe(false);
    expect(
      ResultSchema.safeParse({
        ...r,
        phases: { ...CPU_PHASES, sessionParts: [{ part: 'magic', label: 'x', ms: 1, method: 'm' }] },
      }).success,
    ).toBe(false);
  });

  it('the rest of the creation is what its parts leave, never negative; segments are in time order', () => {
    expect(sessionRestMs(CPU_PHASES)).toBe(27);
    expect(sessionRestMs({ ...CPU_PHASES, sessionCreateMs: 22.9 })).toBe(0);
    expect(sessionRestMs({ ...CPU_PHASES, sessionParts: [] })).toBeUndefined();
    expect(phaseSegments(CPU_PHASES).map((s) => [s.key, s.ms])).toEqual([
      ['build', 12],
      ['session:load', 3],
      ['session:initialization', 20],
      ['session:rest', 27],
      ['first-run', 8],
      ['warm', 1.5],
    ]);
    expect(loadPhasesLines(CPU_PHASES).join('\n')).toMatch(
      /session create 50\.0 ms \(model parsed 3\.00 ms; session initialization 20\.0 ms; not attributed 27\.0 ms\)/,
    );
  });

  it('a failed result has no phases to show', () => {
    expect(loadPhasesOf(fakeResult({ status: 'failed' }))).toBeUndefined();
  });
});

describe('reports: the Load phases section', () => {
  const ctx = { createdAt: '2025-06-01T12:00:00.000Z', title: 'Load phases' };
  const cpu = withPhases(fakeResult({ id: 'lp-cpu', label: 'pointwise on ort-cpu' }), CPU_PHASES);
  const webgpu = withPhases(fakeGpuResult({ id: 'lp-webgpu', backend: 'ort-webgpu', label: 'pointwise on webgpu' }), {
    ...CPU_PHASES,
    firstRunNotes: ['shaders compiled on first use'],
    gpu: { uploadMs: 0.25, computeMs: 1.25, readbackMs: 0.5, method: 'upload: x; compute: y; read-back: z', runs: 5 },
  });
  const cuda = withPhases(fakeGpuResult({ id: 'lp-cuda', backend: 'ort-cuda', label: 'pointwise on cuda' }), {
    ...CPU_PHASES,
    gpuUnmeasured: 'onnxruntime-node has no I/O binding',
  });
  const old = fakeResult({ id: 'lp-old', label: 'saved long ago' });
  const set = [cpu, webgpu, cuda, old];

  it('Markdown: a row per result with the session parts, first run, warm median, overhead and GPU split or reason', () => {
    const md = renderReport(set, 'md', ctx);
    const section = md.slice(md.indexOf('## Load phases'));
    expect(md).toContain('## Load phases');
    const row = (label: string) => section.split('\n').find((l) => l.startsWith(`| ${label} |`))!;
    expect(row('pointwise on ort-cpu')).toMatch(
      /\| 50\.0 ms \| model parsed 3\.00 ms; session initialization 20\.0 ms; not attributed 27\.0 ms \| 8\.00 ms \| 1\.\d+ ms \| \+6\.\d+ ms \|/,
    );
    expect(row('pointwise on webgpu')).toMatch(/upload 250 µs, compute 1\.25 ms, read-back 500 µs \|$/);
    expect(row('pointwise on cuda')).toMatch(/not measurable here: onnxruntime-node has no I\/O binding \|$/);
    expect(row('saved long ago')).toMatch(/not split \(saved before load phases\)/);
    // How each figure was measured, per backend, once.
    expect(section).toContain('- ort-cpu: model parsed: event model\\_loading\\_array');
    expect(section).toContain('- ort-webgpu: first run: shaders compiled on first use');
  });

  it("HTML: a card with a row per result and the notes, all escaped (no inline styles: the stacked bar is the app's)", () => {
    const html = renderReport(set, 'html', ctx);
    expect(html).toContain('<h2>Load phases</h2>');
    const table = html.slice(
      html.indexOf('id="load-phases-table"'),
      html.indexOf('</table>', html.indexOf('id="load-phases-table"')),
    );
    const row = (id: string) =>
      table.slice(table.indexOf(`data-id="${id}"`), table.indexOf('</tr>', table.indexOf(`data-id="${id}"`)));
    const cells = (id: string) => [...row(id).matchAll(/<td class="(num|wrap)">([^<]*)<\/td>/g)].map((m) => m[2]);
    expect(cells('lp-cpu').slice(1, 5)).toEqual([
      '12.0 ms',
      '50.0 ms',
      'model parsed 3.00 ms; session initialization 20.0 ms; not attributed 27.0 ms',
      '8.00 ms',
    ]);
    expect(cells('lp-webgpu').at(-1)).toBe('upload 250 µs, compute 1.25 ms, read-back 500 µs');
    expect(cells('lp-old')[3]).toBe('not split (saved before load phases)');
    expect(table).not.toMatch(/style=/);
    expect(html).toContain('ort-cuda: GPU split not measurable: onnxruntime-node has no I/O binding');
  });

  it('CSV: raw figures in columns of their own', () => {
    const lines = renderReport(set, 'csv', ctx).trimEnd().split('\r\n');
    const header = lines[0].split(',');
    const cells = (id: string) => splitCsvLine(lines.find((l) => l.startsWith(`${id},`))!);
    const col = (id: string, name: string) => {
      expect(header).toContain(name);
      return cells(id)[header.indexOf(name)];
    };
    expect(col('lp-cpu', 'session_create_ms')).toBe('50');
    expect(col('lp-cpu', 'session_parts_ms')).toBe('load=3; initialization=20');
    expect(col('lp-cpu', 'session_unattributed_ms')).toBe('27');
    expect(col('lp-cpu', 'first_run_ms')).toBe('8');
    expect(col('lp-cpu', 'gpu_upload_ms')).toBe('');
    expect(col('lp-webgpu', 'gpu_readback_ms')).toBe('0.5');
    expect(col('lp-cuda', 'gpu_split_unmeasured')).toBe('onnxruntime-node has no I/O binding');
    expect(col('lp-old', 'session_parts_ms')).toBe('');
    expect(col('lp-old', 'session_create_ms')).toBe(String(old.coldStart!.sessionMs));
  });

  it('JSON: the phases travel inside each result', () => {
    const doc = JSON.parse(renderReport(set, 'json', ctx)) as { results: BenchResult[] };
    expect(doc.results.find((r) => r.id === 'lp-webgpu')!.phases!.gpu!.computeMs).toBe(1.25);
  });
});

/** One CSV line's fields (RFC 4180 quoting: "a, b" and doubled quotes). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}
