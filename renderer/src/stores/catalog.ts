// The block catalog and the model zoo, straight from shared/: graphs and costs are computed
// here in the renderer (no API call), live as parameters change.
import { defineStore } from 'pinia';
import type { ApiTarget, GraphView } from '../../../shared/contract/api.js';
import { BLOCKS, findBlock } from '../../../shared/blocks/registry.js';
import { resolveParams, type BlockSpec, type ParamValues } from '../../../shared/blocks/block-spec.js';
import { costGraph, type CostReport } from '../../../shared/cost/cost-model.js';
import { bytes, percent } from '../../../shared/format.js';
import { SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { MODELS } from '../../../shared/models/registry.js';
import { toGraphView } from '../components/graph.js';
import {
  defaultsOf,
  errorParam,
  errorSummary,
  fieldMessage,
  nonDefaults,
  validateParams,
  type RawValues,
  type Validation,
} from '../components/params.js';

export interface BuiltTarget {
  graph: GraphView;
  cost: CostReport;
}

export interface BlockState {
  validation: Validation;
  /** The graph and its costs, when the parameters are valid and the block builds. */
  built: BuiltTarget | null;
  /** A build error the form cannot attribute to one field (e.g. an impossible shortcut). */
  buildError: string | null;
  /** Field name -> message: the validation errors plus a build error that names a parameter. */
  fieldErrors: Record<string, string>;
  /** What the view shows: `built`, or the last valid configuration's graph while the values are wrong. */
  shown: BuiltTarget | null;
  /** Why `shown` is the last valid configuration ("mid must be at least 1, got 0"); null when current. */
  stale: string | null;
}

/** Builds a block with validated values; the error message when it cannot be built. */
export function buildBlock(block: BlockSpec, values: ParamValues): { built: BuiltTarget | null; error: string | null } {
  try {
    const g = block.build(values);
    return { built: { graph: toGraphView(g), cost: costGraph(g) }, error: null };
  } catch (e) {
    return { built: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The last few builds, by block and values: the getters ask again for the same configuration
 * (each keystroke, the last valid one while a field is wrong), and the same graph object keeps
 * the diagram where the user panned it.
 */
const builds = new Map<string, { built: BuiltTarget | null; error: string | null }>();
const BUILDS_KEPT = 16;
function buildCached(block: BlockSpec, values: ParamValues): { built: BuiltTarget | null; error: string | null } {
  const key = JSON.stringify([block.name, values]);
  let hit = builds.get(key);
  if (hit) builds.delete(key);
  else hit = buildBlock(block, values);
  builds.set(key, hit);
  if (builds.size > BUILDS_KEPT) builds.delete(builds.keys().next().value as string);
  return hit;
}

/** The estimated memory of a run (fp32 weights + peak live activations) against the machine's. */
export interface MemoryFit {
  /** 'over': more than the machine has; 'near': more than half of it. */
  level: 'over' | 'near';
  weightBytes: number;
  peakActivationBytes: number;
  estimateBytes: number;
  machineBytes: number;
  share: number;
  batch: number | undefined;
  /** "About 37.5 GiB (weights 97.5 MiB + peak activations 36.75 GiB at batch 256) exceeds ..." */
  message: string;
}

/** Above this share of the machine's memory the views say so (above 1: a warning). */
export const MEMORY_NOTE_SHARE = 0.5;

export function memoryFit(cost: CostReport, machineBytes: number | undefined): MemoryFit | null {
  if (!machineBytes || machineBytes <= 0) return null;
  const weightBytes = cost.totals.weightBytes;
  const peakActivationBytes = cost.totals.peakActivationBytes;
  const estimateBytes = weightBytes + peakActivationBytes;
  const share = estimateBytes / machineBytes;
  if (share <= MEMORY_NOTE_SHARE) return null;
  const n = cost.inputs[0]?.shape[0];
  const batch = typeof n === 'number' && n > 0 ? n : undefined;
  const level = share > 1 ? 'over' : 'near';
  const what = `About ${bytes(estimateBytes)} (weights ${bytes(weightBytes)} + peak activations ${bytes(peakActivationBytes)}${batch ? ` at batch ${batch}` : ''})`;
  const message =
    level === 'over'
      ? `${what} exceeds this machine's ${bytes(machineBytes)} of memory: the run would likely fail or swap.`
      : `${what} is ${percent(share)} of this machine's ${bytes(machineBytes)} of memory: a run may swap if other programs need memory too.`;
  return { level, weightBytes, peakActivationBytes, estimateBytes, machineBytes, share, batch, message };
}

export const useCatalogStore = defineStore('catalog', {
  state: () => ({
    selectedBlock: BLOCKS[0]?.name ?? '',
    /** Per block, the resolved values of the last configuration that built (shown while the form is wrong). */
    lastValid: {} as Record<string, ParamValues>,
    /** Raw form values per block (what the user typed), kept when switching blocks. */
    blockValues: {} as Record<string, RawValues>,
  }),
  getters: {
    blocks: (): readonly BlockSpec[] => BLOCKS,
    models: () => MODELS,
    seedComparisons: () => SEED_COMPARISONS,
    block(s): BlockSpec | undefined {
      return findBlock(s.selectedBlock);
    },
    /** The selected block's form values (defaults until edited). */
    values(s): RawValues {
      const b = findBlock(s.selectedBlock);
      if (!b) return {};
      return s.blockValues[b.name] ?? defaultsOf(b.params);
    },
    /** Validation, graph and costs of the selected block with the current values. */
    current(): BlockState | null {
      const b = this.block;
      if (!b) return null;
      const validation = validateParams(`block '${b.name}'`, b.params, this.values);
      const { built, error } = validation.values ? buildCached(b, validation.values) : { built: null, error: null };
      const param = error ? errorParam(b.params, error) : null;
      const fieldErrors = param && error ? { ...validation.errors, [param]: fieldMessage(error) } : validation.errors;
      if (built) return { validation, built, buildError: null, fieldErrors, shown: built, stale: null };
      // Wrong values: the last configuration that built (the defaults until one did) stays shown.
      const last = this.lastValid[b.name];
      const shown = buildCached(b, last ?? resolveParams(b.name, b.params)).built;
      const stale = Object.keys(fieldErrors).length
        ? errorSummary(fieldErrors)
        : (error ?? 'the block cannot be built');
      return { validation, built: null, buildError: param ? null : error, fieldErrors, shown, stale };
    },
    /** The ApiTarget of the selected block (only non-default parameters), when valid. */
    target(): ApiTarget | null {
      const b = this.block;
      const v = this.current?.validation.values;
      if (!b || !v || !this.current?.built) return null;
      return { kind: 'block', name: b.name, params: nonDefaults(b.params, v) };
    },
  },
  actions: {
    selectBlock(name: string): void {
      if (findBlock(name)) this.selectedBlock = name;
    },
    setValue(name: string, value: string | number | boolean): void {
      this.setValues({ ...this.values, [name]: value });
    },
    setValues(values: RawValues): void {
      const b = this.block;
      if (!b) return;
      this.blockValues[b.name] = { ...values };
      // A configuration that builds becomes the one shown (stale) while later values are wrong.
      const now = this.current;
      if (now?.built && now.validation.values) this.lastValid[b.name] = now.validation.values;
    },
    resetValues(): void {
      const b = this.block;
      if (!b) return;
      delete this.blockValues[b.name];
      delete this.lastValid[b.name];
    },
  },
});
