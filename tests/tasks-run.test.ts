// Tasks in their own worker process (main/tasks/), end to end under Node: a real accuracy run on
// Fashion-MNIST, a short lab run, a cancel that leaves no process, and bad specs that fail clearly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccuracyResultSchema } from '../shared/contract/accuracy.js';
import { LabResultSchema } from '../shared/contract/lab.js';
import { runTask, TaskCancelledError } from '../main/tasks/run-task.js';
import type { TaskProgress } from '../main/process/task-protocol.js';
import { tempDir } from './helpers/image-fixtures.js';
import { RecordingSpawner } from './helpers/spawners.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const HEAD = { kind: 'block', name: 'head-fc', params: { height: 28, width: 28, channels: 1, classes: 10 } } as const;
const haveData = existsSync(FASHION);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!haveData)('tasks in a worker process', () => {
  it('runs an accuracy task on 200 Fashion-MNIST test images with progress, and the worker exits', async () => {
    const spawner = new RecordingSpawner();
    const progress: TaskProgress[] = [];
    const value = await runTask(
      'accuracy',
      { target: HEAD, data: FASHION, limit: 200, batch: 50 },
      { spawner, onProgress: (p) => progress.push(p) },
    );
    const r = AccuracyResultSchema.parse(value);
    expect(r).toMatchObject({
      target: 'head-fc:height=28,width=28,channels=1,classes=10',
      targetSpec: HEAD,
      dataset: { count: 200, split: 'test' },
      accuracy: { count: 200, outputs: 10 },
      timing: { batch: 50, batches: 4 },
    });
    expect(progress[0]).toMatchObject({ phase: 'open' });
    expect(progress.at(-1)).toMatchObject({ phase: 'evaluate', fraction: 1, message: '200/200 images' });
    await spawner.started[0].exited;
    expect(alive(spawner.started[0].pid!)).toBe(false);
  }, 60_000);

  it('runs a short lab task: every epoch reaches the parent as progress', async () => {
    const progress: TaskProgress[] = [];
    const value = await runTask(
      'lab',
      {
        data: FASHION,
        heads: ['gap'],
        epochs: 2,
        limit: 300,
        testLimit: 100,
        cacheDir: join(tempDir('task-lab'), 'c'),
      },
      { onProgress: (p) => progress.push(p) },
    );
    const r = LabResultSchema.parse(value);
    expect(r.heads.map((h) => h.head)).toEqual(['gap']);
    const epochs = progress.filter((p) => p.epoch);
    expect(epochs.length).toBe(r.heads[0].epochsRun);
    expect(epochs[0]).toMatchObject({ phase: 'train:gap', epoch: { head: 'gap', epoch: 1, epochs: 2 } });
    expect(progress.some((p) => p.phase === 'features:train')).toBe(true);
  }, 120_000);

  it('cancels a running task: the promise rejects and no process is left', async () => {
    const spawner = new RecordingSpawner();
    const ac = new AbortController();
    const run = runTask(
      'accuracy',
      { target: HEAD, data: FASHION, split: 'train', batch: 1 },
      { spawner, signal: ac.signal, onProgress: (p) => p.phase === 'evaluate' && ac.abort() },
    );
    await expect(run).rejects.toBeInstanceOf(TaskCancelledError);
    const child = spawner.started[0];
    await child.exited;
    expect(alive(child.pid!)).toBe(false);
  }, 60_000);

  it('fails a bad spec clearly, in the worker, without a stack for the user', async () => {
    await expect(runTask('accuracy', { target: HEAD })).rejects.toThrow(/invalid accuracy settings: data: /);
    await expect(runTask('lab', { data: FASHION, heads: ['nope'] })).rejects.toThrow(/invalid lab settings: heads\.0/);
    await expect(runTask('accuracy', { target: HEAD, data: '/nonexistent/data' })).rejects.toThrow(
      /\/nonexistent\/data: no such file or folder/,
    );
  }, 60_000);
});
