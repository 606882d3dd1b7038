// What the Accuracy and Lab views share: the labeled data sets (by handle: data.list, or the desktop
// app's folder dialog), the one task running (accuracy.start or lab.start) with its progress and
// cancel, and the task.* events, handed to the store that started the task (accuracy or lab).
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiEvents, ApiTaskKind, DataSetView } from '../../../shared/contract/api.js';
import { errorMessage, getApi } from '../api/index.js';

/** The task running: its last progress (without a lab's epoch) and whether a cancel was asked for. */
export type TaskState = Omit<ApiEvents['task.progress'], 'epoch'> & { cancelRequested?: boolean };

/** What the store that starts one kind of task does with its events. */
export interface TaskListener {
  progress?: (p: ApiEvents['task.progress']) => void;
  end: (p: ApiEvents['task.end']) => void;
  /** A cancel was asked for (before the API is told). */
  cancel?: () => void;
}

export const TASK_TITLES: Record<ApiTaskKind, string> = {
  accuracy: 'Accuracy',
  lab: 'Lab',
  'layer-error': 'Layer error',
};

export const useTaskStore = defineStore('tasks', () => {
  const datasets = ref<DataSetView[]>([]);
  const dataId = ref('');
  const task = ref<TaskState | null>(null);
  /** The data sets could not be listed or opened, or a cancel was refused. */
  const error = ref<string | null>(null);
  /** A short message for the views' aria-live status region. */
  const status = ref('');
  /** The data sets have been listed once. */
  const loaded = ref(false);

  const running = computed(() => task.value !== null);
  const dataset = computed(() => datasets.value.find((d) => d.dataId === dataId.value));

  const listeners: Partial<Record<ApiTaskKind, TaskListener>> = {};
  let unsubscribe: (() => void)[] = [];

  function listen(kind: ApiTaskKind, listener: TaskListener): void {
    listeners[kind] = listener;
  }

  function onProgress(p: ApiEvents['task.progress']): void {
    const t = task.value;
    if (!t || t.taskId !== p.taskId) return;
    task.value = { ...t, phase: p.phase, message: p.message, fraction: p.fraction, elapsedMs: p.elapsedMs };
    listeners[t.kind]?.progress?.(p);
  }

  function onEnd(p: ApiEvents['task.end']): void {
    if (!task.value || task.value.taskId !== p.taskId) return;
    task.value = null;
    listeners[p.kind]?.end(p);
  }

  /** Subscribes to task events (once) and lists the data sets. */
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
    loaded.value = true;
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

  /** The task the API just started is the one running. */
  function begin(kind: ApiTaskKind, taskId: string): void {
    task.value = { taskId, kind, phase: 'starting', message: 'starting the worker…', elapsedMs: 0 };
    status.value = `${kind} started`;
  }

  async function cancel(): Promise<void> {
    const t = task.value;
    if (!t) return;
    listeners[t.kind]?.cancel?.();
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
    task,
    running,
    error,
    status,
    loaded,
    listen,
    init,
    openDataFolder,
    begin,
    cancel,
    detach,
  };
});
