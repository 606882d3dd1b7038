// Accuracy and lab tasks through the app's API (main/api/tasks.ts): data sets by handle, one task at
// a time in a worker process, progress and end events, results saved and listed, cancel and dispose.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEventName, ApiEvents } from '../shared/contract/api.js';
import type { StudioApiHost } from '../main/api/studio-api.js';
import { RecordingSpawner } from './helpers/spawners.js';
import { apiError, studioApis } from './helpers/studio-api.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const HEAD = { kind: 'block', name: 'head-fc', params: { height: 28, width: 28, channels: 1, classes: 10 } } as const;
const { root, makeApi } = studioApis('api-tasks', { knownDatasets: [{ name: 'Fashion-MNIST', path: FASHION }] });

function nextEvent<E extends ApiEventName>(api: StudioApiHost, event: E, ms = 120_000): Promise<ApiEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event} did not arrive`)), ms);
    const off = api.on(event, (p) => {
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
};

async function fashionId(api: StudioApiHost): Promise<string> {
  const { datasets } = await api.call('data.list', {});
  const d = datasets.find((x) => x.name === 'Fashion-MNIST');
  expect(d).toMatchObject({ origin: 'known', format: 'idx', location: FASHION });
  return d!.dataId;
}

describe('data sets by handle', () => {
  it('lists the known data sets that exist here, and only those', async () => {
    const api = makeApi({ knownDatasets: [{ name: 'Gone', path: join(root, 'nothing') }] });
    expect((await api.call('data.list', {})).datasets).toEqual([]);
  });

  it('opens a folder through the native dialog only (web mode: unsupported), refusing a folder without data', async () => {
    const web = makeApi();
    expect((await apiError(web.call('files.openDataDialog', {}))).code).toBe('unsupported');
    const empty = join(root, 'empty-data');
    mkdirSync(empty, { recursive: true });
    let answer: string | null = FASHION;
    const api = makeApi({ knownDatasets: [], dialogs: { openDataFolder: async () => answer } });
    const opened = await api.call('files.openDataDialog', {});
    expect(opened).toMatchObject({ name: 'fashion-mnist', origin: 'opened', format: 'idx' });
    expect(opened!.dataId).toMatch(/^data-/);
    // The same folder again keeps its handle.
    expect((await api.call('files.openDataDialog', {}))!.dataId).toBe(opened!.dataId);
    expect((await api.call('data.list', {})).datasets).toEqual([opened]);
    answer = null;
    expect(await api.call('files.openDataDialog', {})).toBeNull();
    answer = empty;
    const e = await apiError(api.call('files.openDataDialog', {}));
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(
      /empty-data is not a labeled data set: it holds neither MNIST-style IDX files nor class sub-folders/,
    );
  });

  it('refuses an unknown handle and a made-up path', async () => {
    const api = makeApi();
    const e = await apiError(api.call('accuracy.start', { target: HEAD, dataId: 'data-nope' }));
    expect(e).toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/no data set with handle 'data-nope'.*choose the data set again/),
    });
    const bad = await apiError(api.handle('accuracy.start', { target: HEAD, dataId: FASHION }));
    expect(bad.code).toBe('bad-request');
    expect(bad.message).toMatch(/dataId: not a data set handle/);
  });
});

describe.skipIf(!existsSync(FASHION))('accuracy and lab tasks', () => {
  it('runs accuracy in a worker: progress, the saved result in task.end and accuracy.list; one task at a time', async () => {
    const spawner = new RecordingSpawner();
    const api = makeApi({ taskSpawner: spawner });
    const dataId = await fashionId(api);
    const progress: ApiEvents['task.progress'][] = [];
    api.on('task.progress', (p) => progress.push(p));
    const ended = nextEvent(api, 'task.end');
    const { taskId } = await api.call('accuracy.start', { target: HEAD, dataId, limit: 200, batch: 50 });
    const second = await apiError(api.call('lab.start', { dataId }));
    expect(second).toMatchObject({ code: 'refused', message: expect.stringMatching(/an? accuracy task is running/) });
    const end = await ended;
    expect(end).toMatchObject({ taskId, kind: 'accuracy', status: 'ok' });
    expect(end.saveError).toBeUndefined();
    expect(end.accuracy).toMatchObject({ accuracy: { count: 200 }, targetSpec: HEAD });
    expect(end.accuracy!.id).toMatch(/^acc-/);
    expect(progress.at(-1)).toMatchObject({ taskId, kind: 'accuracy', phase: 'evaluate', fraction: 1 });
    const listed = await api.call('accuracy.list', {});
    expect(listed).toEqual({ results: [end.accuracy], problems: [] });
    expect(existsSync(join(api.store.dir, 'accuracy'))).toBe(true);
    await spawner.started[0].exited;
  }, 120_000);

  it('runs a short lab: epochs as progress, the result saved and listed', async () => {
    const api = makeApi();
    const dataId = await fashionId(api);
    const epochs: ApiEvents['task.progress'][] = [];
    api.on('task.progress', (p) => p.epoch && epochs.push(p));
    const ended = nextEvent(api, 'task.end');
    await api.call('lab.start', { dataId, heads: ['gap', 'fc'], epochs: 2, limit: 300, testLimit: 100 });
    const end = await ended;
    expect(end.status, end.error).toBe('ok');
    expect(end.lab!.heads.map((h) => h.head)).toEqual(['gap', 'fc']);
    expect(end.lab!.cache.dir.startsWith(join(api.cacheDir, 'lab'))).toBe(true);
    expect(epochs.map((p) => p.epoch!.head)).toContain('fc');
    expect((await api.call('lab.list', {})).results.map((r) => r.id)).toEqual([end.lab!.id]);
  }, 180_000);

  it('cancels a task (task.end cancelled, no worker left); dispose kills a running one', async () => {
    const spawner = new RecordingSpawner();
    const api = makeApi({ taskSpawner: spawner });
    const dataId = await fashionId(api);
    const started = nextEvent(api, 'task.progress');
    const ended = nextEvent(api, 'task.end');
    const { taskId } = await api.call('accuracy.start', { target: HEAD, dataId, split: 'train', batch: 1 });
    await started;
    expect(await api.call('tasks.cancel', { taskId: 'task-other' })).toEqual({ cancelled: false });
    expect(await api.call('tasks.cancel', { taskId })).toEqual({ cancelled: true });
    expect(await ended).toEqual({ taskId, kind: 'accuracy', status: 'cancelled' });
    await spawner.started[0].exited;
    expect(gone(spawner.started[0].pid!)).toBe(true);
    expect((await api.call('accuracy.list', {})).results).toEqual([]);

    await api.call('accuracy.start', { target: HEAD, dataId, split: 'train', batch: 1 });
    await nextEvent(api, 'task.progress');
    await api.dispose();
    await spawner.started[1].exited;
    expect(gone(spawner.started[1].pid!)).toBe(true);
  }, 120_000);

  it('reports a task that fails (labels that do not match the model) as task.end failed, with the reason', async () => {
    const api = makeApi();
    const dataId = await fashionId(api);
    const ended = nextEvent(api, 'task.end');
    await api.call('accuracy.start', {
      target: { ...HEAD, params: { ...HEAD.params, classes: 8 } },
      dataId,
      limit: 10,
    });
    const end = await ended;
    expect(end).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/the data set has 10 classes but .* outputs 8 scores/),
    });
  }, 60_000);

  it('passes the precision and the int8 calibration through: fp16 refused on ort-cpu with the reason, int8 calibrated', async () => {
    const api = makeApi();
    const dataId = await fashionId(api);
    let ended = nextEvent(api, 'task.end');
    await api.call('accuracy.start', { target: HEAD, dataId, limit: 20, precision: 'fp16' });
    expect(await ended).toMatchObject({
      kind: 'accuracy',
      status: 'failed',
      error: expect.stringMatching(/fp16|float16/),
    });
    ended = nextEvent(api, 'task.end');
    await api.call('accuracy.start', {
      target: HEAD,
      dataId,
      limit: 20,
      batch: 10,
      precision: 'int8',
      calibration: { method: 'percentile', samples: 2 },
    });
    const end = await ended;
    expect(end).toMatchObject({ status: 'ok', accuracy: { precision: 'int8', accuracy: { count: 20 } } });
    expect(end.accuracy!.precisionDetails).toMatchObject({
      precision: 'int8',
      calibration: { method: 'percentile', samples: 2 },
    });
    const bad = await apiError(api.handle('accuracy.start', { target: HEAD, dataId, precision: 'int4' }));
    expect(bad).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/precision/) });
  }, 120_000);
});
