// The transport-agnostic API (main/api): request validation, model files, settings, results, and
// one real benchmark run in a worker process (tiny pointwise block, a few measured runs).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEvents } from '../shared/contract/api.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeResult } from './helpers/fake-results.js';
import { apiError, studioApis, recordEvents as record } from './helpers/studio-api.js';

const { root, makeApi } = studioApis('api-studio');
let n = 0;

/** A small valid ONNX model (the pointwise block at 8x8) as bytes, and its cost as the studio computes it. */
function smallModel() {
  const graph = buildTarget({ target: 'pointwise', set: { height: '8', width: '8', channels: '16', out: '8' } });
  const path = join(root, `pointwise-${n++}.onnx`);
  writeOnnxFile(graph, path);
  return { path, bytes: new Uint8Array(readFileSync(path)), cost: costGraph(graph), graph };
}

const tinyMeasure = { minRuns: 3, minTimeS: 0, maxTimeS: 1, warmupRuns: 1, warmupTimeS: 0 };
const tinyBlock = { kind: 'block' as const, name: 'pointwise', params: { height: 8, width: 8, channels: 16, out: 8 } };

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
};

describe('request handling', () => {
  it('refuses unknown methods, naming the valid ones', async () => {
    const api = makeApi();
    const e = await apiError(api.handle('machine.explode', {}));
    expect(e.code).toBe('not-found');
    expect(e.message).toMatch(/unknown API method 'machine.explode'.*bench.start/);
    expect((await apiError(api.handle('__proto__', {}))).code).toBe('not-found');
  });

  it('turns a schema failure into a bad-request naming the field and what to do', async () => {
    const api = makeApi();
    const e = await apiError(api.handle('bench.start', { targets: [{ kind: 'block', name: '' }], backends: ['nope'] }));
    expect(e.code).toBe('bad-request');
    expect(e.message).toContain('invalid request for bench.start');
    expect(e.message).toContain('targets[0].name');
    expect(e.message).toMatch(/backends\[0\]: .*ort-cpu/);
    expect(e.message).toMatch(/Correct these fields/);
    const e2 = await apiError(api.handle('results.get', 'not an object'));
    expect(e2.code).toBe('bad-request');
  });

  it('answers app.info', async () => {
    const info = await makeApi().call('app.info', {});
    expect(info).toMatchObject({ apiVersion: 1, mode: 'web', platform: process.platform });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses the native dialogs in web mode, saying what to use instead', async () => {
    const api = makeApi();
    const open = await apiError(api.call('files.openModelDialog', {}));
    expect(open.code).toBe('unsupported');
    expect(open.message).toMatch(/upload/);
    const save = await apiError(api.call('results.exportDialog', { ids: ['x'], format: 'md' }));
    expect(save.code).toBe('unsupported');
    expect(save.message).toMatch(/download/);
  });
});

describe('model files', () => {
  it('imports a real ONNX file: cost, graph view, handle; close deletes the copy', async () => {
    const api = makeApi();
    const m = smallModel();
    const opened = await api.call('files.importModel', { name: '../../sneaky/dir/pointwise.onnx', bytes: m.bytes });
    expect(opened.fileId).toMatch(/^file-[A-Za-z0-9_-]+$/);
    expect(opened.name).toBe('pointwise.onnx');
    expect(opened.sizeBytes).toBe(m.bytes.length);
    expect(opened.cost.totals.macs).toBe(m.cost.totals.macs);
    expect(opened.cost.totals.params).toBe(m.cost.totals.params);
    expect(opened.unknownOps).toEqual([]);
    expect(opened.graph.nodes.map((x) => x.op)).toEqual(m.cost.layers.map((l) => l.op));
    expect(opened.graph.inputs).toEqual(m.graph.inputs.map((i) => i.name));
    const copy = join(api.cacheDir, 'models', opened.fileId, 'pointwise.onnx');
    expect(existsSync(copy)).toBe(true);
    // The name's folders were stripped: nothing was written outside the handle's folder.
    expect(readdirSync(join(api.cacheDir, 'models'))).toEqual([opened.fileId]);
    expect(await api.call('files.closeModel', { fileId: opened.fileId })).toEqual({ closed: true });
    expect(existsSync(copy)).toBe(false);
    expect(await api.call('files.closeModel', { fileId: opened.fileId })).toEqual({ closed: false });
  });

  it('flags operators the studio does not know (kept, costed as 0)', async () => {
    const g = buildTarget({ target: 'pointwise', set: { height: '8', width: '8', channels: '16', out: '8' } });
    const out = g.outputs[0];
    g.nodes.push({
      name: 'custom',
      op: 'FancyOp',
      domain: 'com.example',
      inputs: [out.name],
      outputs: ['y2'],
      attrs: {},
    });
    g.values.set('y2', { ...out, name: 'y2' });
    g.outputs = [{ ...out, name: 'y2' }];
    const opened = await makeApi().call('files.importModel', {
      name: 'custom.onnx',
      bytes: new Uint8Array(graphToOnnx(g)),
    });
    expect(opened.unknownOps).toEqual(['com.example.FancyOp']);
    expect(opened.cost.totals.unknownNodes).toBe(1);
    expect(opened.graph.nodes.at(-1)).toEqual({
      name: 'custom',
      op: 'com.example.FancyOp',
      inputs: [out.name],
      outputs: ['y2'],
    });
  });

  it('refuses garbage bytes with a message naming the file, and leaves nothing behind', async () => {
    const api = makeApi();
    const e = await apiError(
      api.call('files.importModel', {
        name: 'notes.onnx',
        bytes: new TextEncoder().encode('hello, this is not a model\n'),
      }),
    );
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(/^notes\.onnx .*ONNX/);
    expect(readdirSync(join(api.cacheDir, 'models'))).toEqual([]);
    const empty = await apiError(api.call('files.importModel', { name: 'empty.onnx', bytes: new Uint8Array() }));
    expect(empty.message).toMatch(/empty/);
  });

  it('opens a file through an injected dialog in place (no copy), and a cancelled dialog as null', async () => {
    const m = smallModel();
    let answer: string | null = m.path;
    const api = makeApi({ mode: 'electron', dialogs: { openModel: async () => answer } });
    const opened = await api.call('files.openModelDialog', {});
    expect(opened?.name).toBe(m.path.split('/').pop());
    expect(existsSync(join(api.cacheDir, 'models'))).toBe(false);
    await api.call('files.closeModel', { fileId: opened!.fileId });
    expect(existsSync(m.path)).toBe(true); // the user's own file is never deleted
    answer = null;
    expect(await api.call('files.openModelDialog', {})).toBeNull();
  });
});

describe('settings', () => {
  it('persists settings; a partial set keeps the other keys', async () => {
    const dataDir = join(root, `settings-${n++}`);
    const api = makeApi({ dataDir });
    expect(await api.call('settings.get', {})).toEqual({ theme: 'system' });
    await api.call('settings.set', { theme: 'dark' });
    const after = await api.call('settings.set', { lastView: 'benchmark', lastBench: { batches: [1, 8] } });
    expect(after).toEqual({ theme: 'dark', lastView: 'benchmark', lastBench: { batches: [1, 8] } });
    const again = makeApi({ dataDir });
    expect(await again.call('settings.get', {})).toEqual(after);
    expect((await apiError(api.handle('settings.set', { theme: 'purple' }))).message).toContain('theme');
  });

  it('a corrupt settings file gives the defaults and is kept aside', async () => {
    const dataDir = join(root, `settings-${n++}`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'settings.json'), '{"theme": "dark", oops');
    const api = makeApi({ dataDir });
    const got = await api.call('settings.get', {});
    // The defaults, and why (the page shows it once).
    expect(got).toMatchObject({ theme: 'system' });
    expect(got.problem).toMatch(/could not be read .*moved to .*settings\.json\.corrupt-.*using the defaults/);
    const aside = readdirSync(dataDir).filter((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dataDir, aside[0]), 'utf8')).toContain('oops');
    await api.call('settings.set', { theme: 'light' });
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).toEqual({ theme: 'light' });
  });

  it('stores the Benchmark form by its schema: old keys stripped, a field that does not fit dropped, depth refused', async () => {
    const dataDir = join(root, `settings-${n++}`);
    const api = makeApi({ dataDir });
    const form = {
      targets: [{ kind: 'block' as const, name: 'pointwise', params: { out: 8 } }],
      backends: ['ort-cpu' as const],
      batches: [1, 8],
      sweep: { block: 'pointwise', param: 'out', from: 8, to: 64, step: 2, mode: 'mul' as const, base: {} },
    };
    // As the renderer's form may hold them: a key from an older studio, a number the form could not read.
    const saved = await api.handle('settings.set', {
      lastBench: { ...form, removedLongAgo: { a: [1] }, repetitions: Number.NaN, preset: 'extreme' },
    });
    expect(saved).toEqual({ theme: 'system', lastBench: form });
    // Over IPC, objects arrive as they are (no JSON): a deep one is refused just the same, nothing written.
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    const refused = await apiError(api.handle('settings.set', { lastBench: deep }));
    expect(refused.code).toBe('bad-request');
    expect(refused.message).toMatch(/nest deeper than 16 levels .*nothing was saved/);
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).toEqual(saved);
    expect(await makeApi({ dataDir }).call('settings.get', {})).toEqual(saved);
  });
});

describe('results', () => {
  it('lists, exports (md, json), imports the export elsewhere, deletes', async () => {
    const a = makeApi();
    const rs = [fakeResult({ id: 'r-one', medianMs: 2 }), fakeResult({ id: 'r-two', medianMs: 3, seed: 2 })];
    for (const r of rs) a.store.save(r);
    const list = await a.call('results.list', {});
    expect(list.results.map((r) => r.id).sort()).toEqual(['r-one', 'r-two']);
    expect(list.results[0]).not.toHaveProperty('file');
    expect((await a.call('results.get', { ids: ['r-two'] }))[0].id).toBe('r-two');
    expect((await apiError(a.call('results.get', { ids: ['missing'] }))).code).toBe('not-found');

    const md = await a.call('results.export', { ids: ['r-one', 'r-two'], format: 'md' });
    expect(md.filename).toMatch(/\.md$/);
    expect(md.mime).toMatch(/^text\/markdown/);
    expect(md.content).toContain('|');
    const json = await a.call('results.export', { ids: ['r-one', 'r-two'], format: 'json' });
    expect(json.mime).toMatch(/^application\/json/);

    const b = makeApi();
    const changed = record(b);
    const outcome = await b.call('results.import', { name: json.filename, text: json.content });
    expect(outcome.added.sort()).toEqual(['r-one', 'r-two']);
    expect(outcome.source).toBe(json.filename);
    expect(changed.events.find((e) => e.event === 'results.changed')?.payload).toEqual({ ids: outcome.added });
    expect((await b.call('results.import', { name: 'again.json', text: json.content })).skipped).toHaveLength(2);
    expect(readdirSync(join(b.cacheDir, 'imports'))).toEqual([]);
    const bad = await apiError(b.call('results.import', { name: 'bad.json', text: '{"nope": 1}' }));
    expect(bad.code).toBe('bad-request');
    expect(bad.message).toContain('bad.json');

    expect(await b.call('results.delete', { ids: ['r-one', 'never-was'] })).toEqual({ deleted: ['r-one'] });
    expect((await b.call('results.list', {})).results.map((r) => r.id)).toEqual(['r-two']);
  });

  it('results.exportDialog writes the report where the injected dialog says', async () => {
    const target = join(root, `saved-${n++}.html`);
    const api = makeApi({
      mode: 'electron',
      dialogs: { saveReport: async ({ filename }) => (filename.endsWith('.html') ? target : null) },
    });
    api.store.save(fakeResult({ id: 'r-x' }));
    expect(await api.call('results.exportDialog', { ids: ['r-x'], format: 'html' })).toEqual({ savedTo: target });
    expect(readFileSync(target, 'utf8')).toMatch(/<html/i);
    expect(await api.call('results.exportDialog', { ids: ['r-x'], format: 'csv' })).toEqual({ savedTo: null });
  });
});

describe('benchmark runs', () => {
  it('refuses bad targets at once, naming the target', async () => {
    const api = makeApi();
    const unknown = await apiError(
      api.call('bench.start', { targets: [{ kind: 'block', name: 'no-such-block' }], backends: ['ort-cpu'] }),
    );
    expect(unknown.code).toBe('bad-request');
    expect(unknown.message).toMatch(/targets\[0\] \(block no-such-block\).*unknown target/);
    const param = await apiError(
      api.call('bench.start', {
        targets: [{ kind: 'block', name: 'pointwise', params: { out: -3 } }],
        backends: ['ort-cpu'],
      }),
    );
    expect(param.code).toBe('bad-request');
    expect(param.message).toMatch(/out/);
    const file = await apiError(
      api.call('bench.start', { targets: [{ kind: 'file', fileId: 'file-nope' }], backends: ['ort-cpu'] }),
    );
    expect(file.code).toBe('not-found');
    expect((await apiError(api.call('bench.cancel', { runId: 'run-x' }))).code).toBe('not-found');
    // A file target's dims must be symbolic dimensions of the file (this one fixes every dimension).
    const fixed = await api.call('files.importModel', { name: 'fixed.onnx', bytes: smallModel().bytes });
    const dims = await apiError(
      api.call('bench.start', {
        targets: [{ kind: 'file', fileId: fixed.fileId, dims: { batch: 8 } }],
        backends: ['ort-cpu'],
      }),
    );
    expect(dims.code).toBe('bad-request');
    expect(dims.message).toMatch(/unknown dimension 'batch': the file has no symbolic dimensions to set/);
  });

  it('runs a sweep end to end (a second run queued behind the first), emitting events and saving results', async () => {
    const store = new ResultsStore(join(root, `bench-${n++}`));
    const api = makeApi({ store });
    const { events, waitFor } = record(api);
    const m = smallModel();
    const opened = await api.call('files.importModel', { name: 'pw.onnx', bytes: m.bytes });
    const first = await api.call('bench.start', {
      targets: [tinyBlock],
      backends: ['ort-cpu'],
      threads: [1],
      measure: tinyMeasure,
    });
    const second = await api.call('bench.start', {
      targets: [{ kind: 'file', fileId: opened.fileId }],
      backends: ['ort-cpu'],
      threads: [1],
      measure: tinyMeasure,
    });
    expect(first.jobs).toHaveLength(1);
    expect(first.jobs[0].label).toMatch(/^pointwise:.* on ort-cpu, batch 1, 1 threads$/);
    await waitFor(
      (e) => e.event === 'bench.run-end' && (e.payload as ApiEvents['bench.run-end']).runId === second.runId,
    );

    const names = events.map((e) => `${e.event}:${(e.payload as { runId?: string }).runId ?? ''}`);
    const idx = (s: string) => names.indexOf(s);
    // One job at a time: the second run's job starts only after the first run ended.
    expect(idx(`bench.job-start:${first.runId}`)).toBeGreaterThanOrEqual(0);
    expect(idx(`bench.run-end:${first.runId}`)).toBeLessThan(idx(`bench.job-start:${second.runId}`));
    const progress = events
      .filter((e) => e.event === 'bench.progress')
      .map((e) => e.payload as ApiEvents['bench.progress']);
    expect(progress.some((p) => p.phase === 'measure')).toBe(true);
    for (const p of progress) if (p.fraction !== undefined) expect(p.fraction).toBeGreaterThanOrEqual(0);
    const start = events.find((e) => e.event === 'bench.job-start')!.payload as ApiEvents['bench.job-start'];
    expect(start).toMatchObject({ runId: first.runId, jobId: first.jobs[0].id, index: 0, total: 1 });
    const ends = events.filter((e) => e.event === 'bench.run-end').map((e) => e.payload);
    expect(ends).toEqual([
      { runId: first.runId, ok: 1, failed: 0, cancelled: 0 },
      { runId: second.runId, ok: 1, failed: 0, cancelled: 0 },
    ]);
    const jobEnd = events.find((e) => e.event === 'bench.job-end')!.payload as ApiEvents['bench.job-end'];
    expect(jobEnd.result.status).toBe('ok');
    expect(jobEnd.result.samplesMs.length).toBeGreaterThanOrEqual(3);
    const changed = events
      .filter((e) => e.event === 'results.changed')
      .flatMap((e) => (e.payload as { ids: string[] }).ids);
    const saved = (await api.call('results.list', {})).results;
    expect(saved.map((r) => r.id).sort()).toEqual(changed.sort());
    expect(saved).toHaveLength(2);
    expect(saved.every((r) => r.status === 'ok' && r.group !== undefined)).toBe(true);
  });

  it('cancels a whole run: the running worker is killed, queued jobs end cancelled', async () => {
    const api = makeApi();
    const { waitFor } = record(api);
    const long = { minRuns: 1_000_000, minTimeS: 30, maxTimeS: 60, warmupRuns: 1, warmupTimeS: 0 };
    const run = await api.call('bench.start', {
      targets: [tinyBlock],
      backends: ['ort-cpu'],
      threads: [1],
      repetitions: 3,
      measure: long,
    });
    expect(run.jobs).toHaveLength(3);
    await waitFor(
      (e) => e.event === 'bench.progress' && (e.payload as ApiEvents['bench.progress']).phase === 'measure',
    );
    const pid = api.activeWorkerPid!;
    expect(pid).toBeGreaterThan(0);
    expect(await api.call('bench.cancel', { runId: run.runId, jobId: run.jobs[2].id })).toEqual({ cancelled: 1 });
    expect(await api.call('bench.cancel', { runId: run.runId })).toEqual({ cancelled: 2 });
    const end = await waitFor((e) => e.event === 'bench.run-end');
    expect(end.payload).toEqual({ runId: run.runId, ok: 0, failed: 0, cancelled: 3 });
    expect(gone(pid)).toBe(true);
    expect(await api.call('bench.cancel', { runId: run.runId })).toEqual({ cancelled: 0 });
  });

  it('dispose cancels a running job and kills its worker', async () => {
    const api = makeApi();
    const { waitFor } = record(api);
    const long = { minRuns: 1_000_000, minTimeS: 30, maxTimeS: 60, warmupRuns: 1, warmupTimeS: 0 };
    await api.call('bench.start', { targets: [tinyBlock], backends: ['ort-cpu'], threads: [1], measure: long });
    await waitFor((e) => e.event === 'bench.job-start');
    await new Promise((r) => setTimeout(r, 200));
    const pid = api.activeWorkerPid;
    await api.dispose();
    if (pid) expect(gone(pid)).toBe(true);
    expect(api.activeWorkerPid).toBeUndefined();
    expect((await apiError(api.call('app.info', {}))).code).toBe('refused');
  });
});
