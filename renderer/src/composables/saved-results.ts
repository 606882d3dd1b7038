// Saved results loaded in full through the results store (its summaries, its `load` cache), on
// demand: the ok results of the history for a panel that looks past the selection (Compare any
// two), and one result by id (the Models view's profiled result). Nothing is loaded until asked:
// a history can hold thousands of results with all their samples.
import { shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import type { BenchResult } from '../../../shared/contract/result.js';
import { useResultsStore } from '../stores/results.js';

/** At most this many of the newest ok results are loaded (the Results view's history does the same). */
export const SAVED_RESULTS_LIMIT = 2000;

/**
 * The ok results of the history (the newest `limit`), loaded through the results store once
 * `start()` is called and reloaded whenever its list changes after that; lists the results first
 * when the store has not yet.
 */
export function useSavedOkResults(limit = SAVED_RESULTS_LIMIT): {
  results: ShallowRef<readonly BenchResult[]>;
  loading: Ref<boolean>;
  started: Ref<boolean>;
  start: () => Promise<void>;
} {
  const store = useResultsStore();
  const results = shallowRef<readonly BenchResult[]>([]);
  const loading = shallowRef(false);
  const started = shallowRef(false);
  let seq = 0;

  async function reload(): Promise<void> {
    const mine = ++seq;
    const ids = store.summaries
      .filter((s) => s.status === 'ok')
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .slice(0, limit)
      .map((s) => s.id);
    loading.value = true;
    try {
      const got = await store.load(ids);
      if (mine === seq) results.value = got;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  // Created here, in the component's setup, so that it stops with the component.
  watch(
    () => store.summaries,
    () => {
      if (started.value) void reload();
    },
  );

  async function start(): Promise<void> {
    if (started.value) return;
    started.value = true;
    // An empty list is listed first; the new list then loads through the watcher above.
    if (store.summaries.length === 0) await store.refresh();
    else await reload();
  }
  return { results, loading, started, start };
}

/**
 * One saved result by id, loaded through the results store while `enabled()` holds (undefined
 * until then, while none is named, or when it cannot be loaded).
 */
export function useResultById(
  id: () => string | undefined,
  enabled: () => boolean = () => true,
): { result: ShallowRef<BenchResult | undefined>; loading: Ref<boolean> } {
  const store = useResultsStore();
  const result = shallowRef<BenchResult | undefined>();
  const loading = shallowRef(false);
  let seq = 0;
  watch(
    [id, enabled],
    async ([wanted, on]) => {
      const mine = ++seq;
      if (!wanted || (!on && result.value?.id !== wanted)) {
        result.value = undefined;
        loading.value = false;
        return;
      }
      if (result.value?.id === wanted) return;
      loading.value = true;
      try {
        const [got] = await store.load([wanted]);
        if (mine === seq) result.value = got;
      } finally {
        if (mine === seq) loading.value = false;
      }
    },
    { immediate: true },
  );
  return { result, loading };
}
