// The block catalog and the model zoo, straight from shared/: graphs and costs are computed
// here in the renderer (no API call), live as parameters change.
import { defineStore } from 'pinia';
import type { ApiTarget, GraphView } from '../../../shared/contract/api.js';
import { BLOCKS, findBlock } from '../../../shared/blocks/registry.js';
import type { BlockSpec, ParamValues } from '../../../shared/blocks/block-spec.js';
import { costGraph, type CostReport } from '../../../shared/cost/cost-model.js';
import { SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { MODELS } from '../../../shared/models/registry.js';
import { toGraphView } from '../components/graph.js';
import { defaultsOf, nonDefaults, validateParams, type RawValues, type Validation } from '../components/params.js';

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

export const useCatalogStore = defineStore('catalog', {
  state: () => ({
    selectedBlock: BLOCKS[0]?.name ?? '',
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
      if (!validation.values) return { validation, built: null, buildError: null };
      const { built, error } = buildBlock(b, validation.values);
      return { validation, built, buildError: error };
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
      const b = this.block;
      if (!b) return;
      this.blockValues[b.name] = { ...this.values, [name]: value };
    },
    setValues(values: RawValues): void {
      const b = this.block;
      if (b) this.blockValues[b.name] = { ...values };
    },
    resetValues(): void {
      const b = this.block;
      if (b) delete this.blockValues[b.name];
    },
  },
});
