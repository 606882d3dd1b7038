// The Models view's state: the zoo selection (built and costed here, once per selection) and
// the ONNX files the user opened (read and costed by main, which returns an OpenedModel), plus
// the measured per-node times of the latest profiled result for the selected target.
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { ApiTarget, OpenedModel } from '../../../shared/contract/api.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import { findModel, MODELS } from '../../../shared/models/registry.js';
import type { ModelSpec } from '../../../shared/models/model-spec.js';
import { costGraph } from '../../../shared/cost/cost-model.js';
import { graphOfView } from '../../../shared/explorer/graph-shell.js';
import type { Graph } from '../../../shared/ir/types.js';
import type { Target } from '../../../shared/contract/job.js';
import type { OverlayKind } from '../../../shared/explorer/overlay-types.js';
import { errorMessage, getApi } from '../api/index.js';
import { toGraphView } from '../components/graph.js';
import {
  defaultsOf,
  errorParam,
  errorSummary,
  fieldMessage,
  nonDefaults,
  validateParams,
  type RawValues,
} from '../components/params.js';
import { resolveParams, type ParamValues } from '../../../shared/blocks/block-spec.js';
import type { BuiltTarget } from './catalog.js';

export type ModelSelection = { kind: 'zoo'; name: string } | { kind: 'file'; fileId: string };

export interface MeasuredProfile {
  resultId: string;
  label: string;
  createdAt: string;
  backend: string;
  /** Studio graph node name -> mean time per run (µs); a fused runtime node's whole time on its compute node. */
  byNode: Map<string, number>;
  totalUs: number;
}

/**
 * A profiled result's runtime node times on the studio graph's nodes: a fused runtime node's whole
 * time on the first graph node it covers (its compute node: node-map lists it first, then what was
 * fused after it), as the Time overlay attributes it (shared/explorer/overlays.ts), so that a box,
 * the table and the overlay agree and a group holding whole fusions sums exactly.
 */
export function measuredByNode(result: BenchResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of result.nodes ?? []) {
    const carrier = n.graphNodes[0] ?? n.name;
    out.set(carrier, (out.get(carrier) ?? 0) + n.meanUs);
  }
  return out;
}

const ZOO_DEBOUNCE_MS = 250;

export const useModelsStore = defineStore('models', () => {
  const selection = ref<ModelSelection | null>(null);
  const variants = ref<Record<string, string>>({});
  const zooValues = ref<Record<string, RawValues>>({});
  const opened = shallowRef<OpenedModel[]>([]);
  /** The zoo selection built: its GraphView and costs, and the IR graph the overlays read (shapes, weights' sizes). */
  const zooBuilt = shallowRef<(BuiltTarget & { key: string; name: string; variant: string; ir: Graph }) | null>(null);
  /** Per model, the resolved values of the last configuration that built (shown while the form is wrong). */
  const lastValid = ref<Record<string, ParamValues>>({});
  const zooError = ref<string | null>(null);
  const computing = ref(false);
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** A short message for the aria-live status region. */
  const status = ref('');
  const profile = shallowRef<MeasuredProfile | null>(null);
  const profileLoading = ref(false);
  /** An overlay another view asks the Models view to show (Results' "Show on graph": the run diff). */
  const overlayRequest = ref<OverlayKind | null>(null);
  /** Set when the menu asks to open a file in the web mode: the Models view opens its file picker. */
  const pickRequested = ref(false);

  let zooTimer: ReturnType<typeof setTimeout> | undefined;
  let profileSeq = 0;

  const model = computed<ModelSpec | undefined>(() =>
    selection.value?.kind === 'zoo' ? findModel(selection.value.name) : undefined,
  );
  const file = computed<OpenedModel | undefined>(() => {
    const s = selection.value;
    return s?.kind === 'file' ? opened.value.find((f) => f.fileId === s.fileId) : undefined;
  });
  const variant = computed(() => (model.value ? (variants.value[model.value.name] ?? model.value.defaultVariant) : ''));
  const values = computed<RawValues>(() =>
    model.value ? (zooValues.value[model.value.name] ?? defaultsOf(model.value.params)) : {},
  );
  const validation = computed(() =>
    model.value ? validateParams(`model '${model.value.name}'`, model.value.params, values.value) : null,
  );
  const zooKey = computed(() =>
    model.value && validation.value?.values
      ? JSON.stringify([model.value.name, variant.value, validation.value.values])
      : '',
  );

  /** Field name -> message: the validation errors plus a build error that names a parameter. */
  const fieldErrors = computed<Record<string, string>>(() => {
    const errors = validation.value?.errors ?? {};
    const m = model.value;
    const param = m && zooError.value ? errorParam(m.params, zooError.value) : null;
    return param && zooError.value ? { ...errors, [param]: fieldMessage(zooError.value) } : errors;
  });

  /** A build error no field can take (the banner's); one that names a parameter goes beside it. */
  const buildError = computed(() => {
    const m = model.value;
    return m && zooError.value && !errorParam(m.params, zooError.value) ? zooError.value : null;
  });

  /**
   * Why the zoo graph shown is the last valid configuration instead of the form's ("size must be at
   * least 32, got 3"); null when it is the form's (or is being computed from it).
   */
  const staleReason = computed<string | null>(() => {
    if (!model.value) return null;
    if (Object.keys(fieldErrors.value).length) return errorSummary(fieldErrors.value);
    return zooError.value;
  });

  /** What the view shows: graph, costs, unknown operators, a name; `stale` while the form is wrong. */
  const current = computed(() => {
    const f = file.value;
    if (f)
      return {
        title: f.name,
        graph: f.graph,
        cost: f.cost,
        ir: graphOfView(f.graph, f.name),
        unknownOps: f.unknownOps,
        stale: null as string | null,
      };
    const z = zooBuilt.value;
    if (model.value && z && z.name === model.value.name)
      return {
        title: `${model.value.title} (${z.variant})`,
        graph: z.graph,
        cost: z.cost,
        ir: z.ir as Graph | undefined,
        unknownOps: [] as string[],
        stale: z.key !== zooKey.value ? staleReason.value : null,
      };
    return null;
  });

  /** The ApiTarget for the Benchmark view. */
  const target = computed<ApiTarget | null>(() => {
    if (file.value) return { kind: 'file', fileId: file.value.fileId, dims: {} };
    const m = model.value;
    const v = validation.value?.values;
    if (!m || !v || zooError.value) return null;
    return { kind: 'model', name: m.name, variant: variant.value, params: nonDefaults(m.params, v) };
  });

  function buildZooNow(): void {
    const m = model.value;
    if (!m) {
      computing.value = false;
      return;
    }
    const v = validation.value?.values;
    const build = (values: ParamValues) => {
      const key = JSON.stringify([m.name, variant.value, values]);
      if (zooBuilt.value?.key === key) return;
      const g = m.build(variant.value, values);
      zooBuilt.value = markRaw({
        key,
        name: m.name,
        variant: variant.value,
        graph: toGraphView(g),
        cost: costGraph(g),
        ir: g,
      });
      status.value = `${m.title}: ${g.nodes.length} nodes costed`;
    };
    try {
      if (v) {
        try {
          build(v);
          zooError.value = null;
          lastValid.value = { ...lastValid.value, [m.name]: v };
          return;
        } catch (e) {
          zooError.value = errorMessage(e);
        }
      } else zooError.value = null;
      // Wrong values: the last configuration that built (the defaults until one did) stays shown,
      // in the variant chosen now.
      const shown = zooBuilt.value;
      if (shown?.name !== m.name || shown.variant !== variant.value)
        build(lastValid.value[m.name] ?? resolveParams(m.name, m.params));
    } catch (e) {
      zooError.value ??= errorMessage(e);
    } finally {
      computing.value = false;
    }
  }

  /** Builds the zoo selection after a short pause (parameter typing), off the event handler. */
  function scheduleZooBuild(delay = ZOO_DEBOUNCE_MS): void {
    if (zooTimer !== undefined) clearTimeout(zooTimer);
    if (!model.value) return;
    computing.value = true;
    zooTimer = setTimeout(() => {
      zooTimer = undefined;
      buildZooNow();
      void loadProfile();
    }, delay);
  }

  function selectZoo(name: string): void {
    if (!findModel(name)) return;
    selection.value = { kind: 'zoo', name };
    profile.value = null;
    scheduleZooBuild(0);
  }

  function setVariant(v: string): void {
    const m = model.value;
    if (!m || !m.variants.includes(v)) return;
    variants.value = { ...variants.value, [m.name]: v };
    profile.value = null;
    scheduleZooBuild(0);
  }

  function setValues(raw: RawValues): void {
    const m = model.value;
    if (!m) return;
    zooValues.value = { ...zooValues.value, [m.name]: { ...raw } };
    scheduleZooBuild();
  }

  /** Back to the model's default parameters. */
  function resetValues(): void {
    const m = model.value;
    if (!m || !(m.name in zooValues.value)) return;
    const { [m.name]: _dropped, ...rest } = zooValues.value;
    zooValues.value = rest;
    scheduleZooBuild(0);
  }

  /**
   * Shows a zoo model as a job ran it (Results' "Show on graph"): the model, its variant and the
   * parameters the job set (the others at their defaults); false when it is not a zoo model here.
   */
  function showJobTarget(t: Target): boolean {
    if (t.kind !== 'model' || !findModel(t.name)) return false;
    selectZoo(t.name);
    const m = model.value!;
    if (t.variant && m.variants.includes(t.variant)) variants.value = { ...variants.value, [m.name]: t.variant };
    zooValues.value = { ...zooValues.value, [m.name]: { ...defaultsOf(m.params), ...t.params } };
    scheduleZooBuild(0);
    return true;
  }

  function selectFile(fileId: string): void {
    if (!opened.value.some((f) => f.fileId === fileId)) return;
    selection.value = { kind: 'file', fileId };
    profile.value = null;
    void loadProfile();
  }

  function addOpened(m: OpenedModel): void {
    const raw = markRaw(m);
    opened.value = [...opened.value.filter((f) => f.fileId !== m.fileId), raw];
    selection.value = { kind: 'file', fileId: m.fileId };
    profile.value = null;
    status.value = `Opened ${m.name}: ${m.cost.totals.nodes} nodes${m.unknownOps.length ? `, ${m.unknownOps.length} unknown operator(s)` : ''}`;
    void loadProfile();
  }

  /** Electron: the native open dialog (main reads the file). */
  async function openDialog(): Promise<void> {
    busy.value = true;
    error.value = null;
    status.value = 'Opening…';
    try {
      const m = await getApi().call('files.openModelDialog', {});
      if (m) addOpened(m);
      else status.value = '';
    } catch (e) {
      error.value = errorMessage(e);
      status.value = '';
    } finally {
      busy.value = false;
    }
  }

  /** The menu's Open: the native dialog in Electron, else the Models view's file picker. */
  function requestOpen(mode: 'electron' | 'web'): void {
    if (mode === 'electron') void openDialog();
    else pickRequested.value = true;
  }

  /** A picked or dropped file: its bytes go to main, which reads and costs the model. */
  async function importFile(f: File): Promise<void> {
    error.value = null;
    if (!/\.onnx$/i.test(f.name)) {
      error.value = `${f.name} is not an ONNX model: choose a file ending in .onnx.`;
      return;
    }
    busy.value = true;
    status.value = `Reading ${f.name}…`;
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const m = await getApi().call('files.importModel', { name: f.name, bytes });
      addOpened(m);
    } catch (e) {
      error.value = `${f.name} could not be opened: ${errorMessage(e)}`;
      status.value = '';
    } finally {
      busy.value = false;
    }
  }

  async function closeFile(fileId: string): Promise<void> {
    opened.value = opened.value.filter((f) => f.fileId !== fileId);
    if (selection.value?.kind === 'file' && selection.value.fileId === fileId) {
      selection.value = null;
      profile.value = null;
    }
    try {
      await getApi().call('files.closeModel', { fileId });
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  /** The result filter's target name for the selection (targetName() of the job's target). */
  function targetNames(): string[] {
    if (file.value) return [file.value.name];
    const m = model.value;
    if (!m) return [];
    return [`${m.name}/${variant.value}`, m.name];
  }

  /** Finds the newest ok result with per-node timings for the selected target. */
  async function loadProfile(): Promise<void> {
    const seq = ++profileSeq;
    const names = targetNames();
    if (!names.length) return;
    const wanted = validation.value?.values;
    profileLoading.value = true;
    try {
      const api = getApi();
      for (const name of names) {
        const list = await api.call('results.list', { filter: { target: name, status: 'ok' } });
        if (seq !== profileSeq) return;
        const ids = [...list.results]
          .filter((r) => r.status === 'ok')
          .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
          .slice(0, 20)
          .map((r) => r.id);
        if (!ids.length) continue;
        const results = await api.call('results.get', { ids });
        if (seq !== profileSeq) return;
        const match = results
          .filter((r) => r.nodes?.length)
          .filter((r) => {
            const t = r.job.target;
            if (t.kind === 'model' && wanted) {
              if (t.variant && t.variant !== variant.value) return false;
              return Object.entries(t.params).every(([k, v]) => wanted[k] === undefined || wanted[k] === v);
            }
            return true;
          })
          .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
        if (match) {
          const byNode = measuredByNode(match);
          profile.value = markRaw({
            resultId: match.id,
            label: match.label,
            createdAt: match.createdAt,
            backend: match.job.backend.backend,
            byNode,
            totalUs: [...byNode.values()].reduce((s, v) => s + v, 0),
          });
          return;
        }
      }
      profile.value = null;
    } catch {
      // No results store (or no match): the analytic view stands alone.
      if (seq === profileSeq) profile.value = null;
    } finally {
      if (seq === profileSeq) profileLoading.value = false;
    }
  }

  return {
    zoo: MODELS,
    selection,
    variants,
    zooValues,
    opened,
    zooBuilt,
    zooError,
    computing,
    busy,
    error,
    status,
    profile,
    profileLoading,
    pickRequested,
    model,
    file,
    variant,
    values,
    validation,
    fieldErrors,
    buildError,
    current,
    target,
    selectZoo,
    showJobTarget,
    overlayRequest,
    setVariant,
    setValues,
    resetValues,
    selectFile,
    addOpened,
    openDialog,
    requestOpen,
    importFile,
    closeFile,
    loadProfile,
    buildZooNow,
  };
});
