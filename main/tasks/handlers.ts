// The task kinds a task worker runs, each loaded only when asked for (a worker runs one task, so
// it loads only what that task needs). A handler validates its own spec (zod): the spec crossed a
// process boundary.
import type { LabProgress } from '../../shared/contract/lab.js';
import type { TaskKind, TaskProgress } from '../process/task-protocol.js';

export interface TaskContext {
  /** Reports progress; throttled by the worker unless `force` (use it for phase changes). */
  progress(p: Omit<TaskProgress, 'elapsedMs'>, force?: boolean): void;
}

export type TaskHandler = (spec: unknown, ctx: TaskContext) => Promise<unknown>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A lab progress event as a task progress message: the phase names the head where there is one. */
export function labTaskProgress(p: LabProgress): { progress: Omit<TaskProgress, 'elapsedMs'>; force: boolean } {
  switch (p.phase) {
    case 'open':
      return { progress: { phase: 'open', message: p.message }, force: true };
    case 'features':
      return {
        progress: {
          phase: `features:${p.split}`,
          message: `${p.cached ? 'reading cached' : 'extracting'} ${p.split} features: ${p.done}/${p.total} images`,
          fraction: p.total > 0 ? Math.min(1, p.done / p.total) : undefined,
          done: p.done,
          total: p.total,
          cached: p.cached,
        },
        force: p.done === 0 || p.done === p.total,
      };
    case 'train':
      // Every epoch is sent: the app draws the training curves from them.
      return {
        progress: {
          phase: `train:${p.head}`,
          message: `${p.head} epoch ${p.epoch}/${p.epochs}: train loss ${p.trainLoss.toFixed(4)}, val loss ${p.valLoss.toFixed(4)}, val accuracy ${pct(p.valAccuracy)}`,
          fraction: Math.min(1, p.epoch / p.epochs),
          epoch: {
            head: p.head,
            epoch: p.epoch,
            epochs: p.epochs,
            trainLoss: p.trainLoss,
            valLoss: p.valLoss,
            valAccuracy: p.valAccuracy,
          },
        },
        force: true,
      };
    case 'evaluate':
      return {
        progress: {
          phase: `evaluate:${p.head}`,
          message: `${p.head}: exported classifier on the test split, ${p.done}/${p.total} images`,
          fraction: p.total > 0 ? Math.min(1, p.done / p.total) : undefined,
          done: p.done,
          total: p.total,
        },
        force: p.done === p.total,
      };
    case 'export':
      return {
        progress: {
          phase: `export:${p.head}`,
          message: `${p.head}: exported${p.path ? ` to ${p.path}` : ''}`,
          ...(p.path ? { path: p.path } : {}),
        },
        force: true,
      };
  }
}

export const TASK_HANDLERS: Record<TaskKind, () => Promise<TaskHandler>> = {
  // Layer error (issue 21): fp32 and a variant with every intermediate as an output, compared per tensor.
  'layer-error': async () => {
    const { runLayerError } = await import('./layer-error.js');
    return async (raw, ctx) =>
      runLayerError(raw, (p) => ctx.progress(p, p.phase !== 'compare' || p.done === 0 || p.done === p.total));
  },
  accuracy: async () => {
    const { runAccuracySpec, parseAccuracySpec } = await import('../accuracy/run-accuracy.js');
    return async (raw, ctx) => {
      const spec = parseAccuracySpec(raw);
      ctx.progress({ phase: 'open', message: `opening ${spec.data}` }, true);
      return runAccuracySpec(spec, ({ done, total }) =>
        ctx.progress(
          {
            phase: 'evaluate',
            message: `${done}/${total} images`,
            fraction: total > 0 ? Math.min(1, done / total) : undefined,
            done,
            total,
          },
          done === total,
        ),
      );
    };
  },
  lab: async () => {
    const { runLab } = await import('../lab/run-lab.js');
    const { LabSpecSchema } = await import('../../shared/contract/lab.js');
    const { StudioError } = await import('../../shared/ir/types.js');
    return async (raw, ctx) => {
      const parsed = LabSpecSchema.safeParse(raw);
      if (!parsed.success)
        throw new StudioError(
          `invalid lab settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`,
          'bad-parameter',
        );
      return runLab(parsed.data, (p) => {
        const { progress, force } = labTaskProgress(p);
        ctx.progress(progress, force);
      });
    };
  },
};
