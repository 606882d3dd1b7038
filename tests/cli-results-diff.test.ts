// `results diff A B` on real profiled runs: a small bottleneck block measured with --profile on
// ONNX Runtime CPU and on the native backend (which fuse differently and name their nodes
// differently), diffed as JSON and as text; the refusals (two different models, a run without
// --profile, an ambiguous id prefix) exit 2 with the reason; a report of the runs has a Node diff.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import type { RunDiff } from '../shared/contract/run-diff.js';
import { ModelNodeDataSchema } from '../shared/explorer/node-data.js';
import { cli, cliJson } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');
const quick = ['--min-runs', '10', '--min-time', '0.05', '--max-time', '0.5', '--results', results];
const SET = ['--set', 'height=8,width=8'];

let ort: BenchResult;
let native: BenchResult;
let other: BenchResult;
let otherNative: BenchResult;
let unprofiled: BenchResult;

beforeAll(() => {
  // One run: a bottleneck and a basic-residual block, each on both backends, all profiled.
  const profiled = cliJson(
    ['bench', 'bottleneck', 'basic-residual', ...SET, '--backend', 'ort-cpu,native', '--profile', ...quick],
    { allowStderr: true },
  ).results as BenchResult[];
  const find = (target: string, backend: string) =>
    profiled.find(
      (r) => r.job.target.kind === 'block' && r.job.target.name === target && r.job.backend.backend === backend,
    )!;
  ort = find('bottleneck', 'ort-cpu');
  native = find('bottleneck', 'native');
  other = find('basic-residual', 'ort-cpu');
  otherNative = find('basic-residual', 'native');
  for (const r of [ort, native, other, otherNative]) {
    expect(r?.status, r?.failure?.reason).toBe('ok');
    expect(r.nodes?.length).toBeGreaterThan(0);
  }
  unprofiled = cliJson(['bench', 'bottleneck', ...SET, '--backend', 'ort-cpu', ...quick], { allowStderr: true })
    .results[0] as BenchResult;
}, 180_000);

const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('results diff', () => {
  it('matches the convolutions of ort-cpu and native through the graph (--json)', () => {
    const d = cliJson(['results', 'diff', ort.id, native.id, '--results', results]) as RunDiff;
    expect(d.model).toBe('bottleneck:height=8,width=8, batch 1');
    expect(d.graph).toBe(true);
    expect([d.a.id, d.b.id]).toEqual([ort.id, native.id]);
    // Every Conv of the block is the compute node of a unit both runs ran.
    const convs = ['conv1', 'conv2', 'conv3'];
    for (const c of convs) {
      const u = d.units.find((x) => x.name === c);
      expect(u, `unit ${c}`).toBeDefined();
      expect(u!.op).toBe('Conv');
      expect(u!.presence).toBe('both');
      expect(u!.a.us).toBeGreaterThan(0);
      expect(u!.b.us).toBeGreaterThan(0);
      expect(u!.deltaUs).toBeCloseTo(u!.b.us - u!.a.us, 9);
    }
    // The native backend names only its Convs: its runtime nodes are all in the conv units.
    expect(d.units.flatMap((u) => u.b.nodes.map((n) => n.name)).sort()).toEqual(
      native.nodes!.map((n) => n.name).sort(),
    );
    // Totals are exact: units + runtime-only = every node's time, as the results recorded them.
    expect(d.a.kernelUs).toBeCloseTo(total(ort.nodes!.map((n) => n.meanUs)), 9);
    expect(d.b.kernelUs).toBeCloseTo(total(native.nodes!.map((n) => n.meanUs)), 9);
    expect(total(d.units.map((u) => u.a.us)) + d.a.runtimeOnly.us).toBeCloseTo(d.a.kernelUs, 6);
    expect(total(d.units.map((u) => u.b.us)) + d.b.runtimeOnly.us).toBeCloseTo(d.b.kernelUs, 6);
    expect(d.a.medianMs).toBe(ort.stats!.p50);
    expect(d.totals.medianRatio).toBeCloseTo(native.stats!.p50 / ort.stats!.p50, 9);
    // Sorted by |delta|.
    const deltas = d.units.map((u) => Math.abs(u.deltaUs));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    expect(d.environment.differs.find((f) => f.field === 'backend')).toEqual({
      field: 'backend',
      a: 'ort-cpu',
      b: 'native',
    });
    expect(d.environment.same.map((f) => f.field)).toEqual(expect.arrayContaining(['precision', 'batch', 'CPU']));
  });

  it('prints the header, the units by |delta| and the operators as text; ids may be unique prefixes', () => {
    const r = cli(['results', 'diff', ort.id.slice(0, -4), native.id.slice(0, -4), '--results', results]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Node diff of bottleneck:height=8,width=8, batch 1');
    expect(r.stdout).toContain(ort.id);
    expect(r.stdout).toMatch(/kernel time, µs/);
    expect(r.stdout).toMatch(/^backend\s+ort-cpu\s+native$/m);
    expect(r.stdout).toMatch(/^unit\s+op\s+A µs\s+B µs\s+delta µs\s+B\/A\s+note$/m);
    for (const c of ['conv1', 'conv2', 'conv3']) expect(r.stdout).toMatch(new RegExp(`^${c}\\s+Conv\\s`, 'm'));
    expect(r.stdout).toMatch(/^By operator:\nop\s+units/m);
  });

  it('--node-data writes the per-node delta as Model Explorer node data that its format accepts', () => {
    const file = join(tmp, 'delta.json');
    const r = cli(['results', 'diff', ort.id, native.id, '--results', results, '--json', '--node-data', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/node data \(delta, µs\) written to/);
    const data = ModelNodeDataSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    const graphs = Object.keys(data);
    expect(graphs).toHaveLength(1);
    const graph = data[graphs[0]];
    const d = JSON.parse(r.stdout) as RunDiff;
    // Each unit's delta sits once, on its compute node: the keys' values add up to the kernel delta
    // of the units (runtime-only nodes are on no graph node).
    const unitsDelta = total(d.units.map((u) => u.deltaUs));
    const exported = total(Object.values(graph.results).map((x) => x.value));
    expect(exported).toBeCloseTo(unitsDelta, 3);
    expect(graph.results.conv2).toBeDefined();
  });

  it('refuses two different models, a run without --profile and an ambiguous prefix (exit 2, the reason)', () => {
    const models = cli(['results', 'diff', ort.id, other.id, '--results', results]);
    expect(models.code).toBe(2);
    expect(models.stdout).toBe('');
    expect(models.stderr).toBe(
      'error: these are runs of different models: bottleneck:height=8,width=8 vs basic-residual:height=8,width=8 — a node diff needs two runs of the same model (the same target, parameters and batch)\n',
    );
    const plain = cli(['results', 'diff', ort.id, unprofiled.id, '--results', results, '--json']);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/has no per-node times: it was measured without --profile/);
    const ambiguous = cli(['results', 'diff', ort.id.slice(0, 8), native.id, '--results', results]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/is the start of \d+ result ids .*: give more of the id/);
    const missing = cli(['results', 'diff', 'no-such-result', native.id, '--results', results]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no result with the id or id prefix 'no-such-result'/);
  });

  it('a report of the runs has a Node diff section per model (Markdown and JSON)', () => {
    const md = join(tmp, 'diff.md');
    const group = ort.job.group!;
    cliJson(['results', 'export', '--results', results, '--group', group, '--out', md]);
    const text = readFileSync(md, 'utf8');
    const section = text.slice(text.indexOf('## Node diff'));
    expect(text).toContain('## Node diff');
    expect(section).toContain(`### ${ort.label} vs ${native.label}`);
    expect(section).toMatch(/\| backend \| ort-cpu \| native \|/);
    expect(section).toMatch(/\| conv2 \| Conv \|/);
    // Each model's later run against its first: never a bottleneck against a basic-residual.
    expect(section).toContain(`### ${other.label} vs ${otherNative.label}`);
    expect(section).not.toContain(`${ort.label} vs ${other.label}`);
    const json = join(tmp, 'diff.json');
    cliJson(['results', 'export', '--results', results, '--group', group, '--out', json]);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { nodeDiffs: RunDiff[] };
    expect(doc.nodeDiffs.map((d) => [d.a.id, d.b.id])).toEqual([
      [ort.id, native.id],
      [other.id, otherNative.id],
    ]);
  });
});
