import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INDEX_FILE, INDEX_WRITE_AFTER, ResultsStore } from '../main/store/results-store.js';
import { ResultsService } from '../main/services/results.js';
import { exportReport } from '../main/reports/index.js';
import { fakeResult } from './helpers/fake-results.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const folder = () => join(dir, 'results');

describe('ResultsStore: save, get, list, filter, delete', () => {
  it('creates its folder and saves a result as <date>_<id>.json that reads back identical', () => {
    const store = new ResultsStore(folder());
    const r = fakeResult({ id: 'abc-1', createdAt: '2025-06-02T08:30:00.000Z' });
    const saved = store.save(r);
    expect(saved.path).toBe(join(folder(), '2025-06-02_abc-1.json'));
    expect(readdirSync(folder())).toEqual(['2025-06-02_abc-1.json']);
    expect(store.get('abc-1')).toEqual(r);
    // samples stay on one line; the rest is indented for people
    const text = readFileSync(saved.path, 'utf8');
    expect(text).toMatch(/"samplesMs": \[[\d., ]+\]/);
    expect(text).toContain('\n  "label": ');
  });

  it('refuses an invalid result and an id that cannot name a file', () => {
    const store = new ResultsStore(folder());
    const bad = { ...fakeResult(), job: { ...fakeResult().job, batch: 'one' } };
    expect(() => store.save(bad as never)).toThrow(/refusing to save an invalid result: job.batch/);
    expect(() => store.save(fakeResult({ id: '../escape' }))).toThrow(/cannot name a file/);
    expect(readdirSync(folder())).toEqual([]);
  });

  it('replaces a result saved again with the same id, even under another date', () => {
    const store = new ResultsStore(folder());
    store.save(fakeResult({ id: 'same', createdAt: '2025-06-01T00:00:00.000Z', medianMs: 1 }));
    store.save(fakeResult({ id: 'same', createdAt: '2025-06-03T00:00:00.000Z', medianMs: 2 }));
    expect(readdirSync(folder())).toEqual(['2025-06-03_same.json']);
    expect(store.get('same').stats!.p50).toBeCloseTo(2, 1);
  });

  it('lists summaries oldest first and filters by target, backend, status, group and dates', () => {
    const store = new ResultsStore(folder());
    const conv = { kind: 'block' as const, name: 'conv', params: {} };
    const model = { kind: 'model' as const, name: 'resnet50', variant: 'keras', params: {} };
    const file = { kind: 'file' as const, path: '/models/net.onnx', dims: {} };
    store.save(fakeResult({ id: 'a', createdAt: '2025-06-03T10:00:00Z', target: conv, group: 'g1' }));
    store.save(fakeResult({ id: 'b', createdAt: '2025-06-01T10:00:00Z', target: model, backend: 'ort-cuda' }));
    store.save(fakeResult({ id: 'c', createdAt: '2025-06-02T23:59:00Z', target: file, status: 'failed' }));
    store.save(fakeResult({ id: 'd', createdAt: '2025-06-05T00:00:00Z', target: conv, group: 'g1' }));
    const ids = (f: Parameters<ResultsStore['list']>[0]) => store.list(f).results.map((s) => s.id);
    expect(ids({})).toEqual(['b', 'c', 'a', 'd']);
    expect(ids({ target: 'CONV' })).toEqual(['a', 'd']);
    expect(ids({ target: 'resnet50/keras' })).toEqual(['b']);
    expect(ids({ target: 'net.onnx' })).toEqual(['c']);
    expect(ids({ backend: 'ort-cuda' })).toEqual(['b']);
    expect(ids({ status: 'failed' })).toEqual(['c']);
    expect(ids({ group: 'g1' })).toEqual(['a', 'd']);
    expect(ids({ since: '2025-06-02', until: '2025-06-03' })).toEqual(['c', 'a']);
    expect(ids({ since: new Date('2025-06-03T12:00:00Z') })).toEqual(['d']);
    expect(() => store.list({ since: 'last tuesday' })).toThrow(/not a date/);
    const summary = store.list({ target: 'resnet50/keras' }).results[0];
    expect(summary).toMatchObject({ id: 'b', backend: 'ort-cuda', batch: 1, threads: 1, status: 'ok', n: 200 });
    expect(summary.p50).toBeGreaterThan(0);
    expect(store.list({ status: 'failed' }).results[0].failure).toMatch(/SIGSEGV/);
  });

  it('deletes by id and says clearly when an id is unknown', () => {
    const store = new ResultsStore(folder());
    store.save(fakeResult({ id: 'keep' }));
    store.save(fakeResult({ id: 'drop' }));
    expect(store.delete('drop')).toEqual(['2025-06-01_drop.json']);
    expect(store.list().results.map((s) => s.id)).toEqual(['keep']);
    expect(() => store.delete('drop')).toThrow(/no result with id 'drop'/);
    expect(() => store.get('drop')).toThrow(/no result with id 'drop'/);
  });

  it('finds a result by its content when the file was renamed by hand', () => {
    const store = new ResultsStore(folder());
    const r = fakeResult({ id: 'renamed' });
    writeFileSync(join(folder(), 'my copy.json'), JSON.stringify(r));
    expect(store.get('renamed').id).toBe('renamed');
    expect(store.delete('renamed')).toEqual(['my copy.json']);
  });
});

describe('ResultsStore: many at once, and the index of summaries (issue 19)', () => {
  it('gets and deletes many ids with one look at the folder; an id already gone is what the caller wanted', async () => {
    const store = new ResultsStore(folder());
    for (const id of ['a', 'b', 'c']) store.save(fakeResult({ id }));
    expect(store.getMany(['c', 'a']).map((r) => r.id)).toEqual(['c', 'a']);
    expect(() => store.getMany(['a', 'nope'])).toThrow(/no result with id 'nope'/);
    expect(store.deleteMany(['a', 'nope', 'a'])).toEqual([
      { id: 'a', files: ['2025-06-01_a.json'] },
      { id: 'nope', files: [] },
      { id: 'a', files: [] },
    ]);
    expect(await new ResultsService(store).delete(['b', 'gone'])).toEqual(['b']);
    expect(store.list().results.map((r) => r.id)).toEqual(['c']);
    // A file whose name does not carry its id is still found by its content.
    writeFileSync(join(folder(), 'renamed.json'), JSON.stringify(fakeResult({ id: 'moved' })));
    expect(store.get('moved').id).toBe('moved');
    expect(store.delete('moved')).toEqual(['renamed.json']);
  });

  it('never trusts an index entry that is not a summary, or one of a file that changed', () => {
    const store = new ResultsStore(folder());
    const many = INDEX_WRITE_AFTER + 10;
    for (let i = 0; i < many; i++)
      writeFileSync(join(folder(), `2025-06-01_r${i}.json`), JSON.stringify(fakeResult({ id: `r${i}` })));
    expect(store.list().results).toHaveLength(many);
    const index = JSON.parse(readFileSync(join(folder(), INDEX_FILE), 'utf8')) as { entries: unknown[][] };
    expect(index.entries).toHaveLength(many);
    // Forged: a summary of the wrong shape, and a label changed behind an unchanged file.
    const at = (file: string) => index.entries.find((e) => e[0] === file)!;
    (at('2025-06-01_r1.json')[3] as Record<string, unknown>).batch = 'one';
    (at('2025-06-01_r2.json')[3] as Record<string, unknown>).status = 'great';
    writeFileSync(join(folder(), INDEX_FILE), JSON.stringify(index));
    const fresh = new ResultsStore(folder()).list().results;
    expect(fresh.find((r) => r.id === 'r1')?.batch).toBe(1);
    expect(fresh.find((r) => r.id === 'r2')?.status).toBe('ok');
    // Another version of the index is ignored whole.
    writeFileSync(join(folder(), INDEX_FILE), JSON.stringify({ ...index, version: 99 }));
    expect(new ResultsStore(folder()).list().results).toHaveLength(many);
    // The index is not a result, nor a problem.
    expect(store.list().problems).toEqual([]);
  });
});

describe('ResultsStore: files it cannot read are reported, never misread', () => {
  it('reports damaged, foreign and newer-version files by name and reason', () => {
    const store = new ResultsStore(folder());
    store.save(fakeResult({ id: 'good' }));
    const put = (name: string, content: unknown) =>
      writeFileSync(join(folder(), name), typeof content === 'string' ? content : JSON.stringify(content));
    put('2025-06-01_truncated.json', JSON.stringify(fakeResult({ id: 'truncated' })).slice(0, 200));
    put('package.json', { name: 'not-a-result', version: '1.0.0' });
    put('2025-06-01_future.json', { ...fakeResult({ id: 'future' }), version: 2, newField: {} });
    put('2025-06-01_old.json', { ...fakeResult({ id: 'old' }), version: 0 });
    put('2025-06-01_broken.json', { ...fakeResult({ id: 'broken' }), stats: { n: 'many' } });
    put('array.json', [1, 2]);
    // a temporary file left by a kill before its rename is not a result and not a problem
    put('.2025-06-01_half.json.123.abc.tmp', '{"schema": "bottleneck-studio/res');
    put('notes.txt', 'hello');

    const { results, problems } = store.list();
    expect(results.map((r) => r.id)).toEqual(['good']);
    const why = Object.fromEntries(problems.map((p) => [p.file, p.reason]));
    expect(Object.keys(why).sort()).toEqual([
      '2025-06-01_broken.json',
      '2025-06-01_future.json',
      '2025-06-01_old.json',
      '2025-06-01_truncated.json',
      'array.json',
      'package.json',
    ]);
    expect(why['2025-06-01_truncated.json']).toMatch(/^not valid JSON/);
    expect(why['package.json']).toMatch(/not a Bottleneck Studio result \(schema missing/);
    expect(why['2025-06-01_future.json']).toBe(
      'written by a newer Bottleneck Studio (result schema v2; this one reads v1): update the studio to read it',
    );
    expect(why['2025-06-01_old.json']).toMatch(/unknown result version 0/);
    expect(why['2025-06-01_broken.json']).toMatch(/^invalid result: stats/);
    expect(why['array.json']).toMatch(/not an object/);
    expect(store.load().problems).toHaveLength(6);
    expect(() => store.get('future')).toThrow(
      /cannot be read: written by a newer Bottleneck Studio \(result schema v2; this one reads v1\)/,
    );
  });
});

describe('ResultsStore.importReport', () => {
  it('adds the results of another machine’s JSON report, ids kept, and skips duplicates', () => {
    const other = join(dir, 'other.json');
    const theirs = [fakeResult({ id: 'x1' }), fakeResult({ id: 'x2', status: 'failed' })];
    exportReport(theirs, other);
    const store = new ResultsStore(folder());
    store.save(fakeResult({ id: 'mine' }));
    const first = store.importReport(other);
    expect(first).toEqual({ source: 'other.json', added: ['x1', 'x2'], skipped: [] });
    expect(store.get('x1')).toEqual(theirs[0]);
    expect(store.get('x2')).toEqual(theirs[1]);
    const again = store.importReport(other);
    expect(again.added).toEqual([]);
    expect(again.skipped).toEqual([
      { id: 'x1', reason: 'already in the results folder' },
      { id: 'x2', reason: 'already in the results folder' },
    ]);
    exportReport([fakeResult({ id: 'x1', medianMs: 9 })], other);
    expect(store.importReport(other).skipped[0].reason).toMatch(/a different result with this id/);
    expect(store.list().results).toHaveLength(3);
  });

  it('accepts a single result file as a report of one', () => {
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify(fakeResult({ id: 'solo' })));
    expect(new ResultsStore(folder()).importReport(file).added).toEqual(['solo']);
  });

  it('rejects an invalid report as a whole with a clear message', () => {
    const store = new ResultsStore(folder());
    const put = (content: unknown) => {
      const file = join(dir, 'in.json');
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    };
    const report = (results: unknown[], extra = {}) => ({
      schema: 'bottleneck-studio/report',
      version: 1,
      createdAt: '2025-06-01T00:00:00Z',
      results,
      ...extra,
    });
    expect(() => store.importReport(join(dir, 'missing.json'))).toThrow(/cannot read .*missing.json: no such file/);
    expect(() => store.importReport(put('{"schema":'))).toThrow(/in.json is not a report: not valid JSON/);
    expect(() => store.importReport(put({ hello: 1 }))).toThrow(/in.json: not a Bottleneck Studio report/);
    expect(() => store.importReport(put(report([], { version: 3 })))).toThrow(
      /in.json: written by a newer Bottleneck Studio \(report schema v3; this one reads v1\): update the studio/,
    );
    expect(() => store.importReport(put(report([], { results: undefined })))).toThrow(/no "results" list/);
    const good = fakeResult({ id: 'fine' });
    const broken = { ...fakeResult({ id: 'bad' }), machine: { cpu: 'fast' } };
    expect(() => store.importReport(put(report([good, broken])))).toThrow(
      /1 of 2 results are invalid, nothing was imported: result 2: invalid result: machine/,
    );
    expect(() => store.importReport(put(report([{ ...good, id: '../../etc/passwd' }])))).toThrow(/cannot name a file/);
    expect(store.list().results).toEqual([]);
  });

  it('reads a report without importing it (for comparing against another machine)', () => {
    const file = join(dir, 'theirs.json');
    exportReport([fakeResult({ id: 't1' }), fakeResult({ id: 't2' })], file);
    const store = new ResultsStore(folder());
    expect(store.readReport(file).map((r) => r.id)).toEqual(['t1', 't2']);
    expect(store.list().results).toEqual([]);
    writeFileSync(file, JSON.stringify({ schema: 'bottleneck-studio/report', version: 1, results: [{ id: 'x' }] }));
    expect(() => store.readReport(file)).toThrow(
      /theirs.json: 1 of 1 results are invalid: result 1: not a Bottleneck Studio result/,
    );
  });
});
