// A fake StudioApi for renderer tests: canned answers per method (a value or a function of the
// request), every call recorded, events emitted by hand.
import type {
  ApiEventName,
  ApiEvents,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  StudioApi,
} from '../../shared/contract/api.js';
import type { LayerErrorReport } from '../../shared/contract/layer-error.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { diffRuns } from '../../shared/stats/run-diff.js';

type Handler<M extends ApiMethod> = ApiResponse<M> | ((req: ApiRequest<M>) => ApiResponse<M> | Promise<ApiResponse<M>>);
export type Handlers = { [M in ApiMethod]?: Handler<M> };

export interface FakeApi extends StudioApi {
  calls: { method: ApiMethod; request: unknown }[];
  callsOf<M extends ApiMethod>(m: M): ApiRequest<M>[];
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
  handlers: Handlers;
}

export function fakeApi(handlers: Handlers = {}): FakeApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: { method: ApiMethod; request: unknown }[] = [];
  const api: FakeApi = {
    calls,
    handlers,
    callsOf: <M extends ApiMethod>(m: M) => calls.filter((c) => c.method === m).map((c) => c.request as ApiRequest<M>),
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      calls.push({ method, request });
      const h = handlers[method] as Handler<M> | undefined;
      if (h === undefined) {
        if (method === 'settings.get' || method === 'settings.set') return { theme: 'system' } as ApiResponse<M>;
        if (method === 'results.list') return { results: [], problems: [] } as unknown as ApiResponse<M>;
        if (method === 'results.get') return [] as unknown as ApiResponse<M>;
        if (method === 'accuracy.list' || method === 'lab.list')
          return { results: [], problems: [] } as unknown as ApiResponse<M>;
        if (method === 'data.list') return { datasets: [] } as unknown as ApiResponse<M>;
        if (method === 'bench.queue') return { runs: [], jobs: [] } as unknown as ApiResponse<M>;
        if (method === 'bench.clearFinished') return { cleared: 0 } as unknown as ApiResponse<M>;
        if (method === 'results.source')
          return { kind: 'folder', location: '/home/user/.bottleneck-studio/results' } as unknown as ApiResponse<M>;
        if (method === 'results.history' || method === 'results.regressions')
          return {
            ...(method === 'results.history' ? { series: [] } : { regressions: [] }),
            problems: [],
            rules: { minBaseline: 2, baselineSize: 10, alpha: 0.01, thresholdFloor: 0.02, confirmAfter: 2 },
          } as unknown as ApiResponse<M>;
        if (method === 'fleet.list')
          return {
            agents: [],
            queues: [],
            problem: 'the fleet needs a results database',
            checkedAt: '2025-06-01T10:00:00.000Z',
          } as unknown as ApiResponse<M>;
        if (method === 'fleet.runs')
          return { runs: [], checkedAt: '2025-06-01T10:00:00.000Z' } as unknown as ApiResponse<M>;
        if (method === 'fleet.enqueue') {
          const req = request as ApiRequest<'fleet.enqueue'>;
          return {
            runId: 'run-fake',
            jobs: req.targets.length,
            destinations: req.destinations.split(',').map((d) => d.trim()),
            unserved: [],
          } as unknown as ApiResponse<M>;
        }
        if (method === 'fleet.cancel') return { queued: 0, running: 0 } as unknown as ApiResponse<M>;
        // precision.layerError as main answers it, in shape: one compared node, one skipped tensor.
        if (method === 'precision.layerError') {
          const req = request as ApiRequest<'precision.layerError'>;
          return fakeLayerErrorReport(req.precision) as unknown as ApiResponse<M>;
        }
        // results.diff as main answers it (without the studio graph), over what results.get answers here.
        if (method === 'results.diff') {
          const { a, b } = request as ApiRequest<'results.diff'>;
          const get = handlers['results.get'];
          const found: BenchResult[] = typeof get === 'function' ? await get({ ids: [a, b] }) : (get ?? []);
          const [ra, rb] = [a, b].map((id) => found.find((r) => r.id === id));
          if (!ra || !rb) throw Object.assign(new Error(`no result with id '${ra ? b : a}'`), { code: 'not-found' });
          try {
            return diffRuns(ra, rb) as unknown as ApiResponse<M>;
          } catch (e) {
            throw Object.assign(new Error((e as Error).message), { code: 'refused' });
          }
        }
        throw Object.assign(new Error(`${method}: no fake answer`), { code: 'unsupported' });
      }
      return typeof h === 'function' ? await (h as (r: ApiRequest<M>) => ApiResponse<M>)(request) : h;
    },
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) l(payload);
    },
  };
  return api;
}

/** A small LayerErrorReport (shared/contract/layer-error.ts) for views that show layer error. */
export function fakeLayerErrorReport(precision: 'fp16' | 'int8' = 'int8'): LayerErrorReport {
  const node = (name: string, op: string, relRms: number) => ({
    node: name,
    op,
    tensor: name,
    relRms,
    maxAbs: relRms * 10,
    cosine: 1 - relRms * relRms,
    snrDb: -20 * Math.log10(relRms),
    elements: 12_544,
  });
  return {
    precision,
    model: 'bottleneck:height=14,width=14',
    metric: 'relRms',
    inputs: '4 seeded random input samples (seeds 0..3, uniform [-1, 1) as every backend is fed; weights seeded 0)',
    nodes: [node('conv1.relu', 'Relu', 0.0096), node('conv2.relu', 'Relu', 0.0127), node('out', 'Relu', 0.0166)],
    skipped: [
      { tensor: 'conv1', reason: "not computed by the variant: BatchNormalization 'conv1.bn' was folded into it" },
    ],
    runtime: { name: 'onnxruntime-node', version: '1.30.0', provider: 'CPUExecutionProvider' },
    jump: { node: 'conv1.relu', tensor: 'conv1.relu', inputRelRms: 0, relRms: 0.0096 },
    fidelity: { relRms: 0.0166, cosine: 0.99986, maxAbs: 0.38 },
    notes: [],
  };
}

/** Resolves after pending promises and timers of `ms` (real timers). */
export const settle = (ms = 0) => new Promise((r) => setTimeout(r, ms));
