// The Accuracy view's state: the classifier and the accuracy form, the precisions of the last run
// (one accuracy.start each, one after another, through the task store), and the saved accuracy
// results (accuracy.list), which the Results view's Pareto charts read too. The data sets and the
// task running are the task store's (stores/tasks.ts); the lab has its own store (stores/lab.ts).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AccuracyRequest, ApiEvents, ApiTarget } from '../../../shared/contract/api.js';
import type { AccuracyResult } from '../../../shared/contract/accuracy.js';
import { CALIBRATION_METHODS, PRECISIONS, type BackendName, type PrecisionName } from '../../../shared/contract/job.js';
import { errorMessage, getApi } from '../api/index.js';
import { toggled } from './toggle.js';
import { useTaskStore } from './tasks.js';

/** How int8 activation ranges are calibrated (on training images of the evaluated data set). */
export type AccuracyCalibration = (typeof CALIBRATION_METHODS)[number];

/** One precision of the last accuracy run: queued, running, its result, or why it did not run (a refusal). */
export interface VariantRun {
  precision: PrecisionName;
  status: 'queued' | 'running' | 'ok' | 'failed' | 'cancelled';
  taskId?: string;
  result?: AccuracyResult;
  error?: string;
}

export const useAccuracyStore = defineStore('accuracy', () => {
  const tasks = useTaskStore();
  const target = ref<ApiTarget | null>({
    kind: 'block',
    name: 'head-fc',
    params: { height: 28, width: 28, channels: 1, classes: 10 },
  });
  const targetName = ref<string | undefined>(undefined);
  const limit = ref<number | null>(1000);
  const batch = ref(32);
  const backend = ref<BackendName>('ort-cpu');
  /** Precisions to evaluate: one task each, run one after another (fp32 first). */
  const precisions = ref<PrecisionName[]>(['fp32']);
  const calibration = ref<AccuracyCalibration>('minmax');
  /** The precisions of the last accuracy run, in order, with their outcomes. */
  const variants = ref<VariantRun[]>([]);

  const lastAccuracy = shallowRef<AccuracyResult | null>(null);
  const savedAccuracy = shallowRef<AccuracyResult[]>([]);
  /** Saved accuracy results that could not be read. */
  const problems = ref<{ file: string; reason: string }[]>([]);
  const error = ref<string | null>(null);
  const taskError = ref<string | null>(null);

  function setVariant(taskId: string, patch: Partial<VariantRun>): void {
    variants.value = variants.value.map((v) => (v.taskId === taskId ? { ...v, ...patch } : v));
  }

  /** Cancelling one precision (or asking to) cancels the ones still queued behind it. */
  function cancelQueued(): void {
    variants.value = variants.value.map((v) => (v.status === 'queued' ? { ...v, status: 'cancelled' } : v));
  }

  function onEnd(p: ApiEvents['task.end']): void {
    setVariant(p.taskId, {
      status: p.status,
      ...(p.accuracy ? { result: p.accuracy } : {}),
      ...(p.error ? { error: p.error } : {}),
    });
    if (p.status === 'ok') {
      if (p.accuracy) {
        lastAccuracy.value = p.accuracy;
        savedAccuracy.value = [...savedAccuracy.value.filter((r) => r.id !== p.accuracy!.id), p.accuracy];
        tasks.status = `accuracy done: top-1 ${(p.accuracy.accuracy.top1 * 100).toFixed(1)}%`;
      }
      if (p.saveError) taskError.value = p.saveError;
    } else if (p.status === 'cancelled') {
      tasks.status = `${p.kind} cancelled`;
      cancelQueued();
    } else {
      const variant = variants.value.find((v) => v.taskId === p.taskId);
      // A refused precision among several is shown beside the others; the run goes on.
      if (!variant || variants.value.length === 1) taskError.value = p.error ?? `the ${p.kind} task failed`;
      tasks.status = `${variant && variants.value.length > 1 ? `${variant.precision} ` : ''}${p.kind} failed`;
    }
    if (p.status !== 'cancelled') void startNextVariant();
  }

  tasks.listen('accuracy', { end: onEnd, cancel: cancelQueued });

  /** Subscribes to task events (once), lists the data sets and loads the saved accuracy results. */
  async function init(): Promise<void> {
    await tasks.init();
    await loadSaved();
  }

  async function loadSaved(): Promise<void> {
    try {
      const acc = await getApi().call('accuracy.list', {});
      savedAccuracy.value = acc.results;
      problems.value = acc.problems;
    } catch (e) {
      error.value = `saved accuracy results could not be read: ${errorMessage(e)}`;
    }
  }

  function setTarget(t: ApiTarget, name?: string): void {
    target.value = t;
    targetName.value = name;
  }

  /** The request of the run in progress (fixed at Run, so that editing the form does not change the queued tasks). */
  let pending: Omit<AccuracyRequest, 'precision' | 'calibration'> | null = null;
  let pendingCalibration: AccuracyCalibration = 'minmax';

  function togglePrecision(p: PrecisionName, on: boolean): void {
    precisions.value = toggled(PRECISIONS, precisions.value, p, on);
  }

  /** Starts the first queued precision; a start the API refuses stops the run with its reason. */
  async function startNextVariant(): Promise<void> {
    const next = variants.value.find((v) => v.status === 'queued');
    if (!next || !pending || tasks.running) return;
    try {
      const { taskId } = await getApi().call('accuracy.start', {
        ...pending,
        precision: next.precision,
        ...(next.precision === 'int8' ? { calibration: { method: pendingCalibration } } : {}),
      });
      variants.value = variants.value.map((v) => (v === next ? { ...v, status: 'running', taskId } : v));
      tasks.begin('accuracy', taskId);
    } catch (e) {
      error.value = errorMessage(e);
      variants.value = variants.value.map((v) =>
        v.status === 'queued' ? { ...v, status: 'failed', error: v === next ? errorMessage(e) : 'not started' } : v,
      );
    }
  }

  async function runAccuracy(): Promise<void> {
    error.value = null;
    taskError.value = null;
    if (!target.value) return void (error.value = 'choose a target first');
    if (!tasks.dataId) return void (error.value = 'choose a data set first');
    if (!precisions.value.length) return void (error.value = 'choose at least one precision');
    pending = {
      target: target.value,
      dataId: tasks.dataId,
      batch: batch.value,
      backend: backend.value,
      ...(limit.value ? { limit: limit.value } : {}),
    };
    pendingCalibration = calibration.value;
    variants.value = PRECISIONS.filter((p) => precisions.value.includes(p)).map((precision) => ({
      precision,
      status: 'queued',
    }));
    lastAccuracy.value = null;
    await startNextVariant();
  }

  return {
    target,
    targetName,
    limit,
    batch,
    backend,
    precisions,
    calibration,
    variants,
    togglePrecision,
    lastAccuracy,
    savedAccuracy,
    problems,
    error,
    taskError,
    init,
    loadSaved,
    setTarget,
    runAccuracy,
  };
});
