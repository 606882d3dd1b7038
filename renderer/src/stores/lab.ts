// The Lab view's state: the bottleneck-feature lab's form (heads, base, cut, epochs, image limit),
// its task (lab.start, through the task store, which holds the data set chosen), the training
// curves as they arrive, and the saved lab results (lab.list).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiEvents } from '../../../shared/contract/api.js';
import type { LabResult } from '../../../shared/contract/lab.js';
import { errorMessage, getApi } from '../api/index.js';
import { useAccuracyStore } from './accuracy.js';
import { useTaskStore } from './tasks.js';
import { toggled } from './toggle.js';

export const HEADS = ['gap', 'fc', 'mlp'] as const;
export type Head = (typeof HEADS)[number];
export const HEAD_LABELS: Record<Head, string> = {
  gap: 'GAP + linear',
  fc: 'flatten + linear (FC)',
  mlp: 'flatten + hidden FC (MLP)',
};

export interface CurvePoint {
  epoch: number;
  valAccuracy: number;
  trainLoss: number;
  valLoss: number;
}

export const useLabStore = defineStore('lab', () => {
  const tasks = useTaskStore();
  const accuracy = useAccuracyStore();
  const heads = ref<Head[]>(['gap', 'fc', 'mlp']);
  const epochs = ref(5);
  const limit = ref<number | null>(2000);
  /** The base: the catalog's default for the data's image size, or the Accuracy view's classifier. */
  const base = ref<'default' | 'target'>('default');
  /** Tensor to cut the base at; empty: the last tensor before global pooling / the first FC layer. */
  const cut = ref('');

  const curves = ref<Partial<Record<Head, CurvePoint[]>>>({});
  const lastLab = shallowRef<LabResult | null>(null);
  const savedLab = shallowRef<LabResult[]>([]);
  /** Saved lab results that could not be read. */
  const problems = ref<{ file: string; reason: string }[]>([]);
  const error = ref<string | null>(null);
  const taskError = ref<string | null>(null);

  function onProgress(p: ApiEvents['task.progress']): void {
    const e = p.epoch;
    if (!e || !(HEADS as readonly string[]).includes(e.head)) return;
    const head = e.head as Head;
    const list = (curves.value[head] ?? []).filter((x) => x.epoch < e.epoch);
    curves.value = {
      ...curves.value,
      [head]: [...list, { epoch: e.epoch, valAccuracy: e.valAccuracy, trainLoss: e.trainLoss, valLoss: e.valLoss }],
    };
  }

  function onEnd(p: ApiEvents['task.end']): void {
    if (p.status === 'ok') {
      if (p.lab) {
        lastLab.value = p.lab;
        savedLab.value = [...savedLab.value.filter((r) => r.id !== p.lab!.id), p.lab];
        tasks.status = `lab done: ${p.lab.heads.length} heads trained`;
      }
      if (p.saveError) taskError.value = p.saveError;
    } else if (p.status === 'cancelled') {
      tasks.status = `${p.kind} cancelled`;
    } else {
      taskError.value = p.error ?? `the ${p.kind} task failed`;
      tasks.status = `${p.kind} failed`;
    }
  }

  tasks.listen('lab', { progress: onProgress, end: onEnd });

  /** Subscribes to task events (once), lists the data sets and loads the saved lab results. */
  async function init(): Promise<void> {
    await tasks.init();
    await loadSaved();
  }

  async function loadSaved(): Promise<void> {
    try {
      const lab = await getApi().call('lab.list', {});
      savedLab.value = lab.results;
      problems.value = lab.problems;
    } catch (e) {
      error.value = `saved lab results could not be read: ${errorMessage(e)}`;
    }
  }

  function toggleHead(h: Head, on: boolean): void {
    heads.value = toggled(HEADS, heads.value, h, on);
  }

  async function runLab(): Promise<void> {
    error.value = null;
    taskError.value = null;
    const target = accuracy.target;
    if (!tasks.dataId) return void (error.value = 'choose a data set first');
    if (!heads.value.length) return void (error.value = 'choose at least one head');
    if (base.value === 'target' && !target)
      return void (error.value = 'choose a classifier in the Accuracy view to use as the base, or the default base');
    try {
      const { taskId } = await getApi().call('lab.start', {
        dataId: tasks.dataId,
        heads: [...heads.value],
        epochs: epochs.value,
        ...(limit.value ? { limit: limit.value } : {}),
        ...(base.value === 'target' && target ? { base: { ...target } } : {}),
        ...(cut.value.trim() ? { cut: cut.value.trim() } : {}),
      });
      curves.value = {};
      lastLab.value = null;
      tasks.begin('lab', taskId);
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  return {
    heads,
    epochs,
    limit,
    base,
    cut,
    curves,
    lastLab,
    savedLab,
    problems,
    error,
    taskError,
    init,
    loadSaved,
    toggleHead,
    runLab,
  };
});
