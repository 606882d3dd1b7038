// Accuracy and lab runs behind the API: labeled data sets by handle (the known ones on this machine
// and the folders the user opened in a native dialog; the renderer never names a path), and one task
// at a time in a task worker process (main/tasks/), its progress and end as events, its result saved
// in the results folder's accuracy/ or lab/ sub-folder the moment it arrives.
//
// One task at a time: a second start is refused (accuracy and the lab each keep every core busy;
// two would only slow each other down). Tasks do not wait for benchmark jobs: a task's own timings
// are throughput figures, not latency measurements, but a benchmark measured while a task runs is
// disturbed by it, so the Accuracy view says when a task is running.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type {
  AccuracyRequestSchema,
  ApiEvents,
  ApiTarget,
  ApiTaskKind,
  DataSetView,
  LabRequestSchema,
  LayerErrorRequestSchema,
} from '../../shared/contract/api.js';
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { Target } from '../../shared/contract/job.js';
import type { LabResult, LabSpecInput } from '../../shared/contract/lab.js';
import type { LayerErrorReport, LayerErrorSpecInput } from '../../shared/contract/layer-error.js';
import { StudioError } from '../../shared/ir/types.js';
import { buildTarget } from '../../shared/targets.js';
import type { z } from 'zod';
import type { AccuracySpecInput } from '../accuracy/run-accuracy.js';
import { idxFilesIn } from '../data/idx-source.js';
import type { Spawner } from '../process/spawner.js';
import type { DocumentStore } from '../store/document-store.js';
import type { ResultsService } from '../services/results.js';
import { TaskCancelledError, TaskService } from '../services/tasks.js';
import { ApiError } from './errors.js';
import { RefusedError } from '../backends/backend.js';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

/** Labeled data sets a machine may have: Debian's dataset-fashion-mnist package, and MNIST beside it. */
export const KNOWN_DATASETS: { name: string; path: string }[] = [
  { name: 'Fashion-MNIST', path: '/usr/share/datasets/fashion-mnist' },
  { name: 'MNIST', path: '/usr/share/datasets/mnist' },
];

/** What kind of labeled data a folder holds, or why it holds none. */
function formatOf(path: string): { format: 'idx' | 'image-folder' } | { problem: string } {
  let st;
  try {
    st = statSync(path);
  } catch {
    return { problem: 'no such folder' };
  }
  if (!st.isDirectory()) return { problem: 'not a folder' };
  if (idxFilesIn(path).size > 0) return { format: 'idx' };
  const classes = readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (classes.length > 0) return { format: 'image-folder' };
  return {
    problem:
      'it holds neither MNIST-style IDX files nor class sub-folders; choose a folder with one sub-folder of images per class, or one with *-images-idx3-ubyte(.gz) files',
  };
}

export interface TasksOptions {
  emit: Emit;
  results: ResultsService;
  /** The lab's feature cache (absent: the lab's default, $STUDIO_CACHE_DIR or the app's cache folder). */
  labCacheDir?: string;
  spawner?: Spawner;
  /** Handle -> path of an opened model file (ApiError 'not-found' when unknown). */
  pathOf: (fileId: string) => string;
  /** Known data sets (default: KNOWN_DATASETS that exist here). */
  known?: { name: string; path: string }[];
}

interface RunningTask {
  id: string;
  kind: ApiTaskKind;
  abort: AbortController;
  done: Promise<unknown>;
}

export class Tasks {
  private readonly data = new Map<string, DataSetView & { path: string }>();
  private running: RunningTask | undefined;
  private readonly service: TaskService;
  readonly accuracy: DocumentStore<'accuracy'>;
  readonly lab: DocumentStore<'lab'>;

  constructor(private readonly opts: TasksOptions) {
    this.service = new TaskService({ results: opts.results, spawner: opts.spawner });
    this.accuracy = opts.results.accuracy;
    this.lab = opts.results.lab;
    for (const k of opts.known ?? KNOWN_DATASETS) {
      const f = formatOf(k.path);
      if ('format' in f) this.add(k.name, k.path, 'known', f.format);
    }
  }

  get runningTask(): { id: string; kind: ApiTaskKind } | undefined {
    return this.running && { id: this.running.id, kind: this.running.kind };
  }

  listData(): DataSetView[] {
    return [...this.data.values()].map(({ path: _path, ...view }) => view);
  }

  /** A folder the user chose in a native dialog; the same folder twice keeps its handle. */
  openDataFolder(path: string): DataSetView {
    const f = formatOf(path);
    if ('problem' in f) throw new ApiError('bad-request', `${path} is not a labeled data set: ${f.problem}`);
    const same = [...this.data.values()].find((d) => d.path === path);
    if (same) {
      const { path: _path, ...view } = same;
      return view;
    }
    return this.add(basename(path) || path, path, 'opened', f.format);
  }

  startAccuracy(req: z.output<typeof AccuracyRequestSchema>): { taskId: string } {
    const data = this.dataPath(req.dataId);
    const spec: AccuracySpecInput = {
      target: this.target(req.target),
      data,
      split: req.split,
      limit: req.limit,
      batch: req.batch,
      backend: req.backend,
      threads: req.threads,
      seed: req.seed,
      preprocess: req.preprocess ?? {},
      precision: req.precision,
      ...(req.precision === 'int8' && req.calibration ? { calibration: req.calibration } : {}),
      // A file is named by its file name in results (its path is main's business).
      ...(req.target.kind === 'file' ? { label: basename(this.opts.pathOf(req.target.fileId)) } : {}),
    };
    return this.start('accuracy', spec).started;
  }

  startLab(req: z.output<typeof LabRequestSchema>): { taskId: string } {
    const data = this.dataPath(req.dataId);
    let base: string | undefined;
    if (req.base) {
      const t = this.target(req.base);
      base =
        t.kind === 'file'
          ? t.path
          : `${t.name}${
              Object.keys(t.params).length
                ? `:${Object.entries(t.params)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(',')}`
                : ''
            }`;
    }
    const spec: LabSpecInput = {
      data,
      heads: req.heads,
      epochs: req.epochs,
      seed: req.seed,
      ...(base ? { base } : {}),
      ...(req.cut ? { cut: req.cut } : {}),
      ...(req.limit ? { limit: req.limit } : {}),
      ...(req.testLimit ? { testLimit: req.testLimit } : {}),
      ...(this.opts.labCacheDir ? { cacheDir: this.opts.labCacheDir } : {}),
    };
    return this.start('lab', spec).started;
  }

  /**
   * A layer-error task (main/precision/layer-error.ts in a task worker: a crash or a hang there
   * cannot take the app down, and tasks.cancel kills it), answered when it ends. A block or zoo
   * model is built here first (no weights: milliseconds), so that a wrong name or parameter is a
   * bad request naming it rather than a failed task.
   */
  async layerError(req: z.output<typeof LayerErrorRequestSchema>): Promise<LayerErrorReport> {
    const t = req.target;
    if (t.kind !== 'file') {
      const set: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.params)) set[k] = String(v);
      try {
        buildTarget({ target: t.name, set, variant: t.kind === 'model' ? t.variant : undefined });
      } catch (e) {
        if (e instanceof StudioError)
          throw new ApiError(e.code === 'unknown-target' ? 'not-found' : 'bad-request', e.message);
        throw e;
      }
    }
    const spec: LayerErrorSpecInput = {
      target: this.target(t),
      precision: req.precision,
      samples: req.samples,
      seed: req.seed,
      ...(req.precision === 'int8' && req.calibration ? { calibration: req.calibration } : {}),
      ...(t.kind === 'file' ? { label: basename(this.opts.pathOf(t.fileId)) } : {}),
    };
    const { outcome } = this.start('layer-error', spec);
    try {
      return (await outcome).value as LayerErrorReport;
    } catch (e) {
      if (e instanceof TaskCancelledError) throw new ApiError('refused', 'the layer-error task was cancelled');
      const code = e instanceof RefusedError ? 'refused' : 'internal';
      throw new ApiError(code, `the layer-error task failed: ${(e as Error).message}`);
    }
  }

  cancel(taskId: string): boolean {
    if (!this.running || this.running.id !== taskId) return false;
    this.running.abort.abort();
    return true;
  }

  /** Cancels the running task (its worker is killed) and waits until it has ended. */
  async dispose(): Promise<void> {
    const r = this.running;
    if (!r) return;
    r.abort.abort();
    await r.done;
  }

  private add(name: string, path: string, origin: DataSetView['origin'], format: DataSetView['format']): DataSetView {
    const view: DataSetView = {
      dataId: `data-${randomBytes(9).toString('base64url')}`,
      name,
      origin,
      format,
      location: path,
    };
    this.data.set(view.dataId, { ...view, path });
    return view;
  }

  private dataPath(dataId: string): string {
    const d = this.data.get(dataId);
    if (!d)
      throw new ApiError(
        'not-found',
        `no data set with handle '${dataId}' (the app restarted, or it was never opened): choose the data set again`,
      );
    return d.path;
  }

  private target(t: ApiTarget): Target {
    if (t.kind === 'file') return { kind: 'file', path: this.opts.pathOf(t.fileId), dims: t.dims };
    return t;
  }

  private start(
    kind: ApiTaskKind,
    spec: unknown,
  ): { started: { taskId: string }; outcome: Promise<{ value: unknown }> } {
    const abort = new AbortController();
    const emit = this.opts.emit;
    let id = '';
    let started;
    try {
      started = this.service.start(kind, spec, {
        signal: abort.signal,
        onProgress: (p) => emit('task.progress', { taskId: id, kind, ...p }),
      });
    } catch (e) {
      throw new ApiError('refused', (e as Error).message);
    }
    id = started.taskId;
    const done = started.done.then(
      (outcome) =>
        this.finish({
          taskId: id,
          kind,
          status: 'ok',
          ...(kind === 'accuracy'
            ? { accuracy: outcome.value as AccuracyResult }
            : kind === 'lab'
              ? { lab: outcome.value as LabResult }
              : { layerError: outcome.value as LayerErrorReport }),
          ...(outcome.saveError ? { saveError: outcome.saveError } : {}),
        }),
      (e: unknown) =>
        this.finish({
          taskId: id,
          kind,
          status: e instanceof TaskCancelledError ? 'cancelled' : 'failed',
          ...(e instanceof TaskCancelledError ? {} : { error: (e as Error).message }),
        }),
    );
    this.running = { id, kind, abort, done };
    return { started: { taskId: id }, outcome: started.done };
  }

  private finish(end: ApiEvents['task.end']): void {
    if (this.running?.id === end.taskId) this.running = undefined;
    this.opts.emit('task.end', end);
  }
}
