// The Accuracy view's state: labeled data sets (by handle: data.list, or the desktop app's folder
// dialog), the accuracy form and the lab form, the one task running (accuracy.start / lab.start,
// fed by the task.* events), the lab's training curves as they arrive, and the saved accuracy and lab
// results (accuracy.list / lab.list), which the Results view's Pareto chart reads too.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AccuracyRequest, ApiEvents, ApiTarget, ApiTaskKind, DataSetView } from '../../../shared/contract/api.js';
import type { AccuracyResult } from '../../../shared/contract/accuracy.js';
import { PRECISIONS, type BackendName, type PrecisionName } from '../../../shared/contract/job.js';
import type { LabResult } from '../../../shared/contract/lab.js';
import { errorMessage, getApi } from '../api/index.js';

export const HEADS = ['gap', 'fc', 'mlp'] as const;
export type Head = (typeof HEADS)[number];
export const HEAD_LABELS: Record<Head, string> = {
  gap: 'GAP + linear',
  fc: 'flatten + linear (FC)',
  mlp: 'flatten + hidden FC (MLP)',
};

/** How int8 activation ranges are calibrated (on training images of the evaluated data set). */
export const ACCURACY_CALIBRATIONS = ['minmax', 'percentile', 'entropy'] as const;
export type AccuracyCalibration = (typeof ACCURACY_CALIBRATIONS)[number];

/** One precision of the last accuracy run: queued, running, its result, or why it did not run (a refusal). */
export interface VariantRun {
  precision: PrecisionName;
  status: 'queued' | 'running' | 'ok' | 'failed' | 'cancelled';
  taskId?: string;
  result?: AccuracyResult;
  error?: string;
}

export interface TaskState {
  taskId: string;
  kind: ApiTaskKind;
  phase: string;
  message: string;
  fraction?: number;
  elapsedMs: number;
  cancelRequested?: boolean;
}

export interface CurvePoint {
  epoch: number;
  valAccuracy: number;
  trainLoss: number;
  valLoss: number;
}

export const useAccuracyStore = defineStore('accuracy', () => {
  const datasets = ref<DataSetView[]>([]);
  const dataId = ref('');
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

  const labHeads = ref<Head[]>(['gap', 'fc', 'mlp']);
  const labEpochs = ref(5);
  const labLimit = ref<number | null>(2000);
  /** The lab's base: the catalog's default for the data's image size, or the classifier target above. */
  const labBase = ref<'default' | 'target'>('default');
  /** Tensor to cut the base at; empty: the last tensor before global pooling / the first FC layer. */
  const labCut = ref('');

  const task = ref<TaskState | null>(null);
  const curves = ref<Partial<Record<Head, CurvePoint[]>>>({});
  const lastAccuracy = shallowRef<AccuracyResult | null>(null);
  const lastLab = shallowRef<LabResult | null>(null);
  const savedAccuracy = shallowRef<AccuracyResult[]>([]);
  const savedLab = shallowRef<LabResult[]>([]);
  const problems = ref<{ file: string; reason: string }[]>([]);
  const error = ref<string | null>(null);
  const taskError = ref<string | null>(null);
  /** A short message for the aria-live status region. */
  const status = ref('');
  const loaded = ref(false);

  const running = computed(() => task.value !== null);
  const dataset = computed(() => datasets.value.find((d) => d.dataId === dataId.value));

  let unsubscribe: (() => void)[] = [];

  function onProgress(p: ApiEvents['task.progress']): void {
    const t = task.value;
    if (!t || t.taskId !== p.taskId) return;
    task.value = { ...t, phase: p.phase, message: p.message, fraction: p.fraction, elapsedMs: p.elapsedMs };
    const e = p.epoch;
    if (e && (HEADS as readonly string[]).includes(e.head)) {
      const head = e.head as Head;
      const list = (curves.value[head] ?? []).filter((x) => x.epoch < e.epoch);
      curves.value = {
        ...curves.value,
        [head]: [...list, { epoch: e.epoch, valAccuracy: e.valAccuracy, trainLoss: e.trainLoss, valLoss: e.valLoss }],
      };
    }
  }

  function setVariant(taskId: string, patch: Partial<VariantRun>): void {
    variants.value = variants.value.map((v) => (v.taskId === taskId ? { ...v, ...patch } : v));
  }

  function onEnd(p: ApiEvents['task.end']): void {
    if (!task.value || task.value.taskId !== p.taskId) return;
    task.value = null;
    if (p.kind === 'accuracy')
      setVariant(p.taskId, {
        status: p.status,
        ...(p.accuracy ? { result: p.accuracy } : {}),
        ...(p.error ? { error: p.error } : {}),
      });
    if (p.status === 'ok') {
      if (p.accuracy) {
        lastAccuracy.value = p.accuracy;
        savedAccuracy.value = [...savedAccuracy.value.filter((r) => r.id !== p.accuracy!.id), p.accuracy];
        status.value = `accuracy done: top-1 ${(p.accuracy.accuracy.top1 * 100).toFixed(1)}%`;
      }
      if (p.lab) {
        lastLab.value = p.lab;
        savedLab.value = [...savedLab.value.filter((r) => r.id !== p.lab!.id), p.lab];
        status.value = `lab done: ${p.lab.heads.length} heads trained`;
      }
      if (p.saveError) taskError.value = p.saveError;
    } else if (p.status === 'cancelled') {
      status.value = `${p.kind} cancelled`;
      // Cancelling one precision cancels the ones still queued behind it.
      variants.value = variants.value.map((v) => (v.status === 'queued' ? { ...v, status: 'cancelled' } : v));
    } else {
      const variant = variants.value.find((v) => v.taskId === p.taskId);
      // A refused precision among several is shown beside the others; the run goes on.
      if (!variant || variants.value.length === 1) taskError.value = p.error ?? `the ${p.kind} task failed`;
      status.value = `${variant && variants.value.length > 1 ? `${variant.precision} ` : ''}${p.kind} failed`;
    }
    if (p.kind === 'accuracy' && p.status !== 'cancelled') void startNextVariant();
  }

  /** Subscribes to task events (once) and loads the data sets and the saved results. */
  async function init(): Promise<void> {
    const api = getApi();
    if (!unsubscribe.length) unsubscribe = [api.on('task.progress', onProgress), api.on('task.end', onEnd)];
    try {
      const { datasets: list } = await api.call('data.list', {});
      // Folders opened this session are kept even if a reload lists them again.
      const known = new Map(datasets.value.map((d) => [d.dataId, d]));
      for (const d of list) known.set(d.dataId, d);
      datasets.value = [...known.values()];
      if (!dataset.value) dataId.value = datasets.value[0]?.dataId ?? '';
    } catch (e) {
      error.value = `the data sets could not be listed: ${errorMessage(e)}`;
    }
    await loadSaved();
    loaded.value = true;
  }

  async function loadSaved(): Promise<void> {
    const api = getApi();
    try {
      const [acc, lab] = await Promise.all([api.call('accuracy.list', {}), api.call('lab.list', {})]);
      savedAccuracy.value = acc.results;
      savedLab.value = lab.results;
      problems.value = [...acc.problems, ...lab.problems];
    } catch (e) {
      error.value = `saved accuracy results could not be read: ${errorMessage(e)}`;
    }
  }

  async function openDataFolder(): Promise<void> {
    error.value = null;
    try {
      const d = await getApi().call('files.openDataDialog', {});
      if (!d) return;
      datasets.value = [...datasets.value.filter((x) => x.dataId !== d.dataId), d];
      dataId.value = d.dataId;
      status.value = `opened ${d.name}`;
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  function setTarget(t: ApiTarget, name?: string): void {
    target.value = t;
    targetName.value = name;
  }

  function begin(kind: ApiTaskKind, taskId: string): void {
    task.value = { taskId, kind, phase: 'starting', message: 'starting the worker…', elapsedMs: 0 };
    status.value = `${kind} started`;
  }

  /** The request of the run in progress (fixed at Run, so that editing the form does not change the queued tasks). */
  let pending: Omit<AccuracyRequest, 'precision' | 'calibration'> | null = null;
  let pendingCalibration: AccuracyCalibration = 'minmax';

  function togglePrecision(p: PrecisionName, on: boolean): void {
    precisions.value = on
      ? PRECISIONS.filter((x) => x === p || precisions.value.includes(x))
      : precisions.value.filter((x) => x !== p);
  }

  /** Starts the first queued precision; a start the API refuses stops the run with its reason. */
  async function startNextVariant(): Promise<void> {
    const next = variants.value.find((v) => v.status === 'queued');
    if (!next || !pending || task.value) return;
    try {
      const { taskId } = await getApi().call('accuracy.start', {
        ...pending,
        precision: next.precision,
        ...(next.precision === 'int8' ? { calibration: { method: pendingCalibration } } : {}),
      });
      variants.value = variants.value.map((v) => (v === next ? { ...v, status: 'running', taskId } : v));
      begin('accuracy', taskId);
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
    if (!dataId.value) return void (error.value = 'choose a data set first');
    if (!precisions.value.length) return void (error.value = 'choose at least one precision');
    pending = {
      target: target.value,
      dataId: dataId.value,
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

  async function runLab(): Promise<void> {
    error.value = null;
    taskError.value = null;
    if (!dataId.value) return void (error.value = 'choose a data set first');
    if (!labHeads.value.length) return void (error.value = 'choose at least one head');
    if (labBase.value === 'target' && !target.value)
      return void (error.value = 'choose a target above to use as the base, or the default base');
    try {
      const { taskId } = await getApi().call('lab.start', {
        dataId: dataId.value,
        heads: [...labHeads.value],
        epochs: labEpochs.value,
        ...(labLimit.value ? { limit: labLimit.value } : {}),
        ...(labBase.value === 'target' && target.value ? { base: { ...target.value } } : {}),
        ...(labCut.value.trim() ? { cut: labCut.value.trim() } : {}),
      });
      curves.value = {};
      lastLab.value = null;
      begin('lab', taskId);
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  async function cancel(): Promise<void> {
    const t = task.value;
    if (!t) return;
    // Nothing queued starts after a cancel.
    variants.value = variants.value.map((v) => (v.status === 'queued' ? { ...v, status: 'cancelled' } : v));
    task.value = { ...t, cancelRequested: true };
    try {
      await getApi().call('tasks.cancel', { taskId: t.taskId });
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  function detach(): void {
    for (const off of unsubscribe) off();
    unsubscribe = [];
  }

  return {
    datasets,
    dataId,
    dataset,
    target,
    targetName,
    limit,
    batch,
    backend,
    precisions,
    calibration,
    variants,
    togglePrecision,
    labHeads,
    labEpochs,
    labLimit,
    labBase,
    labCut,
    task,
    running,
    curves,
    lastAccuracy,
    lastLab,
    savedAccuracy,
    savedLab,
    problems,
    error,
    taskError,
    status,
    loaded,
    init,
    loadSaved,
    openDataFolder,
    setTarget,
    runAccuracy,
    runLab,
    cancel,
    detach,
  };
});
