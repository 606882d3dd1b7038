// The node diff of two profiled runs (results.diff, shared/contract/run-diff.ts): asked of main for
// the pair the Results view chose (A: the first selected), kept until closed or replaced; a
// refusal is kept with its reason. "Show on graph" puts the per-graph-node times here with the
// target they belong to, for the Models view's graph to draw (`overlay`).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Target } from '../../../shared/contract/job.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import type { RunDiff } from '../../../shared/contract/run-diff.js';
import { graphNodeTimes } from '../../../shared/stats/run-diff.js';
import { errorMessage, getApi } from '../api/index.js';

/** One run of the pair, as the panel names it before (or without) an answer. */
export interface DiffRunRef {
  id: string;
  label: string;
}

/** What a graph overlay draws: each studio graph node with its unit's time in A and in B (microseconds). */
export interface DiffGraphOverlay {
  /** The model both runs ran (the job target of A), to open in the Models view. */
  target: Target;
  a: DiffRunRef;
  b: DiffRunRef;
  /** A unit's time is the exact sum over its graph nodes (never split): every node of a unit carries it. */
  nodes: { node: string; unit: string; aUs: number; bUs: number }[];
}

export const useDiffStore = defineStore('diff', () => {
  /** The pair asked for (null: no diff open). */
  const pair = shallowRef<{ a: DiffRunRef; b: DiffRunRef; target: Target } | null>(null);
  const diff = shallowRef<RunDiff | null>(null);
  /** Why main refused the diff (or could not answer), in its words. */
  const error = ref<string | null>(null);
  const loading = ref(false);
  const overlay = shallowRef<DiffGraphOverlay | null>(null);
  let seq = 0;

  /** Diffs B against A (main answers; an answer for an older pair is dropped). */
  async function run(a: BenchResult, b: BenchResult): Promise<void> {
    const mine = ++seq;
    pair.value = { a: { id: a.id, label: a.label }, b: { id: b.id, label: b.label }, target: a.job.target };
    diff.value = null;
    error.value = null;
    loading.value = true;
    try {
      const answer = await getApi().call('results.diff', { a: a.id, b: b.id });
      if (mine === seq) diff.value = Object.freeze(answer);
    } catch (e) {
      if (mine === seq) error.value = errorMessage(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  function close(): void {
    seq++;
    pair.value = null;
    diff.value = null;
    error.value = null;
    loading.value = false;
  }

  /** Keeps the diff's per-graph-node times for the Models view's graph; returns them (null without a diff). */
  function showOnGraph(): DiffGraphOverlay | null {
    if (!diff.value || !pair.value) return null;
    overlay.value = {
      target: pair.value.target,
      a: pair.value.a,
      b: pair.value.b,
      nodes: graphNodeTimes(diff.value),
    };
    return overlay.value;
  }

  function clearOverlay(): void {
    overlay.value = null;
  }

  return { pair, diff, error, loading, overlay, run, close, showOnGraph, clearOverlay };
});
