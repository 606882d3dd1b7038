// The API of shared/contract/api.ts, implemented once for both transports: Electron's IPC handler
// and the web server each call `handle(method, request)` with whatever arrived (untrusted) and
// forward the events from `onAny`. Every request is validated here against API_METHODS before a
// handler sees it, and every failure leaves as an ApiError with a code and a message that says
// what to do. Nothing here knows about Electron or HTTP; dialogs are injected.
import { rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  API_EVENT_NAMES,
  API_METHODS,
  API_VERSION,
  ApiTargetSchema,
  type ApiEventName,
  type ApiEvents,
  type ApiMethod,
  type ApiParsedRequest,
  type ApiRequest,
  type ApiResponse,
  type ApiResponses,
  type BackendAvailability,
  type ReportFile,
  type Roofline,
} from '../../shared/contract/api.js';
import type { JobSpec } from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { Spawner } from '../process/spawner.js';
import { STUDIO_VERSION } from '../machine/profile.js';
import { writerFor, type ReportFormat } from '../reports/index.js';
import { isTemporaryFile } from '../store/atomic-write.js';
import { defaultResultsDir, rooflineDir, userDataDir } from '../store/paths.js';
import { RooflineStore } from '../store/roofline-store.js';
import { ResultsStore } from '../store/results-store.js';
import { FolderResultsRepository, SwitchableResultsRepository } from '../store/results-repository.js';
import { databaseUrlOf, openResultsRepository } from '../services/open-results.js';
import { redactUrl } from '../store/postgres/connection.js';
import { ResultsService } from '../services/results.js';
import { MachineService } from '../services/machine.js';
import { BenchRuns } from './bench-runs.js';
import { ApiError, toApiError, validationError } from './errors.js';
import { ModelFiles, uploadDir } from './files.js';
import { SettingsFile } from './settings.js';
import { Tasks } from './tasks.js';
import { fleetResponse, historyResponse, NO_FLEET_PROBLEM, regressionsResponse, type FleetSource } from './history.js';
import { diffResponse } from './diff.js';
import { FLEET_RUNS_LIMIT } from '../../shared/contract/fleet.js';
import type { BenchSpec } from '../services/bench-spec.js';

export { ApiError } from './errors.js';

export interface StudioDialogs {
  /** A native open dialog for an .onnx file: its path, or null when the user cancelled. */
  openModel?: () => Promise<string | null>;
  /** A native save dialog for a report: the chosen path, or null when the user cancelled. */
  saveReport?: (suggested: { filename: string; format: ReportFormat }) => Promise<string | null>;
  /** A native folder dialog for a labeled data set: its path, or null when the user cancelled. */
  openDataFolder?: () => Promise<string | null>;
}

export interface StudioApiDeps {
  mode: 'electron' | 'web';
  /** The results folder (default: defaultResultsDir(), i.e. $BOTTLENECK_STUDIO_RESULTS or <user data>/results). */
  resultsDir?: string;
  /** A ready store (overrides resultsDir). */
  store?: ResultsStore;
  /** Where settings.json lives (default: userDataDir()). */
  dataDir?: string;
  /** Where imported model files and temporary imports go (default: $STUDIO_CACHE_DIR or <dataDir>/cache). */
  cacheDir?: string;
  /** Starts job workers (default: a child process per job; Electron passes a utilityProcess one). */
  spawner?: Spawner;
  /** Starts task workers (accuracy, lab: main/tasks/); default: a child process per task. */
  taskSpawner?: Spawner;
  /** Native dialogs (Electron only); absent ones answer 'unsupported'. */
  dialogs?: StudioDialogs;
  /** The machine profile (default: probeMachine(), cached per process). */
  machine?: () => Promise<MachineProfile>;
  /** Backend detection (default: main/backends/registry.ts detectBackends in this process). */
  detectBackends?: () => Promise<BackendAvailability[]>;
  /** Roofline measurement (default: a child process running services/roofline-child.ts). */
  measureRoofline?: () => Promise<Roofline>;
  /** Available memory for the queue's refusal check (default: the OS's figure). */
  availableMemory?: () => Promise<number | undefined>;
  /** Test hook forwarded to the queue (STUDIO_TEST_FAULT); not for features. */
  workerEnv?: (job: JobSpec) => Record<string, string> | undefined;
  /** Labeled data sets known on this machine (default: main/api/tasks.ts KNOWN_DATASETS that exist). */
  knownDatasets?: { name: string; path: string }[];
  /**
   * The team's fleet (main/fleet/: agents and queues in the results database), for fleet.list.
   * Absent: fleet.list answers no agents and a problem that says the fleet needs a database.
   */
  fleet?: FleetSource;
}

export type AnyEventListener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

export interface StudioApiHost {
  readonly mode: 'electron' | 'web';
  readonly store: ResultsStore;
  readonly settingsPath: string;
  readonly cacheDir: string;
  /** Validates an untrusted request and runs the method; rejects with an ApiError only. */
  handle(method: string, rawRequest: unknown): Promise<unknown>;
  /** The same, typed, for in-process callers and tests. */
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  /**
   * files.importModel for a file the web server streamed into the cache (main/api/files.ts
   * uploadTempPath) instead of bytes in memory: the name is checked as the method checks it, the
   * file is moved into the cache or deleted. Not an API method: handle() never reaches it.
   */
  importModelFile(name: string, received: string): Promise<ApiResponse<'files.importModel'>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** Every event, for a transport that forwards them all (IPC, WebSocket). */
  onAny(listener: AnyEventListener): () => void;
  /** The worker process of the job measuring now, if any. */
  readonly activeWorkerPid: number | undefined;
  /** Cancels running and queued jobs (workers are killed), deletes imported model copies. */
  dispose(): Promise<void>;
}

type Handlers = {
  [M in ApiMethod]: (
    req: ApiParsedRequest<M>,
    raw: Record<string, unknown>,
  ) => Promise<ApiResponses[M]> | ApiResponses[M];
};

const MIME: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

/**
 * The methods through which files reach main (a native dialog, dropped or picked bytes, a handle).
 * None takes a path: a request with any field its schema does not name (`path`, `filePath`,
 * `defaultPath`, ...) is refused instead of silently stripped, so that a renderer that invents a
 * path learns it cannot, and a test can see the refusal.
 */
export const FILE_METHODS: readonly ApiMethod[] = [
  'files.openModelDialog',
  'files.importModel',
  'files.closeModel',
  'files.openDataDialog',
  'results.exportDialog',
  'results.import',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The field names a z.object schema declares (empty for anything else). */
function declaredKeys(schema: unknown): Set<string> {
  const shape = (schema as { shape?: unknown }).shape;
  return new Set(isRecord(shape) ? Object.keys(shape) : []);
}

const FILE_TARGET_KEYS = declaredKeys(
  ApiTargetSchema.options.find((o) => (o.shape.kind as { value?: unknown }).value === 'file'),
);

/**
 * Why a request names a file by something other than a handle main gave out, or null. Checked
 * before validation: the top level of the file methods, and every `kind: 'file'` target of the
 * methods that take targets (bench.start, accuracy.start, lab.start), must hold only their
 * declared fields; handles themselves are checked by the schemas (FileHandleSchema,
 * DataHandleSchema) and resolved by ModelFiles / Tasks, which know only what a dialog or an
 * import granted.
 */
export function filePathProblem(method: ApiMethod, raw: unknown): string | null {
  if (!isRecord(raw)) return null;
  const extra = (obj: Record<string, unknown>, allowed: Set<string>) => Object.keys(obj).filter((k) => !allowed.has(k));
  if (FILE_METHODS.includes(method)) {
    const unknown = extra(raw, declaredKeys(API_METHODS[method]));
    if (unknown.length)
      return `${method} takes no ${unknown.map((k) => `'${k}'`).join(', ')}: the studio opens only files the user chose in its dialogs or dropped on the window`;
  }
  const targets: unknown[] = [];
  if (Array.isArray(raw.targets)) targets.push(...raw.targets);
  if (raw.target !== undefined) targets.push(raw.target);
  if (raw.base !== undefined) targets.push(raw.base);
  for (const t of targets) {
    if (!isRecord(t) || t.kind !== 'file') continue;
    const unknown = extra(t, FILE_TARGET_KEYS);
    if (unknown.length)
      return `a file target is named by the handle (fileId) that opening it gave, never by ${unknown.map((k) => `'${k}'`).join(', ')}: open the model with the dialog or drop it on the window first`;
  }
  return null;
}

export function defaultCacheDir(dataDir: string): string {
  return process.env.STUDIO_CACHE_DIR ?? join(dataDir, 'cache');
}

export function createStudioApi(deps: StudioApiDeps): StudioApiHost {
  const dataDir = deps.dataDir ?? userDataDir();
  const cacheDir = deps.cacheDir ?? defaultCacheDir(dataDir);
  const store = deps.store ?? new ResultsStore(deps.resultsDir ?? defaultResultsDir());
  const settings = new SettingsFile(dataDir);
  const files = new ModelFiles(cacheDir);
  const listeners = new Map<ApiEventName, Set<(p: never) => void>>();
  const anyListeners = new Set<AnyEventListener>();
  let disposed = false;

  const emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]): void => {
    // A throwing listener (a closed socket, a destroyed window) must not break the queue or other listeners.
    for (const cb of listeners.get(event) ?? [])
      try {
        (cb as (p: ApiEvents[E]) => void)(payload);
      } catch (e) {
        console.error(`a listener of ${event} failed: ${(e as Error).message}`);
      }
    for (const cb of anyListeners)
      try {
        cb(event, payload);
      } catch (e) {
        console.error(`a listener of ${event} failed: ${(e as Error).message}`);
      }
  };

  const machine = new MachineService({
    profile: deps.machine,
    detectBackends: deps.detectBackends,
    measureRoofline: deps.measureRoofline,
    // Kept beside the results, so that the CLI and every result saved there see the same roofline.
    rooflines: new RooflineStore(rooflineDir(store.dir)),
  });
  // The benchmark results: the folder, or the database set in Settings (else BOTTLENECK_DB), switched
  // while the app runs. A database that cannot be reached leaves the folder in use and says why.
  const folder = new FolderResultsRepository(store);
  const repository = new SwitchableResultsRepository(folder);
  let databaseProblem: string | undefined;
  let databaseUrl: string | undefined;
  const useDatabase = async (url: string | undefined): Promise<void> => {
    const next = url ? await openResultsRepository({ db: url, dir: store.dir }) : folder;
    await repository.switchTo(next);
    if (fleetOpen && fleetOpen.url !== url) await closeFleet();
    databaseUrl = url;
    databaseProblem = undefined;
  };
  const wanted = (() => {
    const saved = settings.get().resultsDatabase;
    return saved !== undefined ? saved || undefined : databaseUrlOf({ env: process.env });
  })();
  const connecting = wanted
    ? useDatabase(wanted).catch((e: Error) => {
        databaseProblem = `${e.message} (the results folder ${store.dir} is in use instead)`;
        console.error(`results database: ${databaseProblem}`);
      })
    : Promise.resolve();
  const results = new ResultsService(store, repository);

  // The fleet (main/fleet/: agents and their queues) lives in the results database: opened when first
  // listed, for the database in use then, and closed when Settings switch to another one.
  let fleetOpen: { url: string; fleet: Promise<import('../fleet/enqueue.js').Fleet> } | undefined;
  const closeFleet = async () => {
    const open = fleetOpen;
    fleetOpen = undefined;
    if (open) await open.fleet.then((f) => f.close()).catch(() => {});
  };
  const openedFleet = async (url: string): Promise<import('../fleet/enqueue.js').Fleet> => {
    if (fleetOpen?.url !== url) {
      await closeFleet();
      const opening = import('../fleet/enqueue.js').then((m) => m.openFleet(url));
      fleetOpen = { url, fleet: opening };
      // A fleet that could not be opened is tried again on the next call.
      opening.catch(() => {
        if (fleetOpen?.fleet === opening) fleetOpen = undefined;
      });
    }
    return fleetOpen.fleet;
  };
  const databaseFleet = (url: string): FleetSource => ({
    async list() {
      const fleet = await openedFleet(url);
      const { fleetStatus } = await import('../fleet/enqueue.js');
      const status = await fleetStatus(fleet);
      return {
        agents: status.agents.map(({ status: state, pid: _pid, ...agent }) => ({ ...agent, state })),
        queues: status.queues,
      };
    },
  });
  /** The fleet of the results database in use, for fleet.enqueue/runs/cancel; refused without one. */
  const fleetInUse = async (): Promise<import('../fleet/enqueue.js').Fleet> => {
    await connecting;
    if (!databaseUrl) throw new ApiError('unsupported', NO_FLEET_PROBLEM);
    if (databaseProblem)
      throw new ApiError(
        'unsupported',
        `the fleet needs the results database, which is not in use: ${databaseProblem}`,
      );
    return openedFleet(databaseUrl);
  };
  const runs = new BenchRuns({
    results,
    emit,
    pathOf: (id) => files.pathOf(id),
    spawner: deps.spawner,
    // The profile with the kept roofline (never measured for a benchmark).
    machine: () => machine.resultsProfile(),
    availableMemory: deps.availableMemory,
    workerEnv: deps.workerEnv,
  });

  const tasks = new Tasks({
    emit,
    results,
    // Given a cache folder (tests, a custom setup): the lab's features go there; else the lab's own default.
    labCacheDir: deps.cacheDir ? join(deps.cacheDir, 'lab') : undefined,
    spawner: deps.taskSpawner,
    pathOf: (id) => files.pathOf(id),
    known: deps.knownDatasets,
  });

  const unsupported = (what: string, instead: string) =>
    new ApiError('unsupported', `${what} is only available in the desktop app; in the browser ${instead}`);

  const reportFilename = (format: ReportFormat): string => {
    const ext = writerFor(format).extensions[0] ?? `.${format}`;
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return `bottleneck-report-${stamp}${ext}`;
  };

  const report = async (ids: string[], format: ReportFormat): Promise<ReportFile> => ({
    filename: reportFilename(format),
    mime: MIME[format],
    content: results.render(await results.get(ids), format).content,
  });

  const handlers: Handlers = {
    'app.info': () => ({
      version: STUDIO_VERSION,
      apiVersion: API_VERSION,
      mode: deps.mode,
      platform: process.platform,
    }),
    'machine.profile': () => machine.profile(),
    'machine.backends': () => machine.backends(),
    'machine.roofline': (req) =>
      (req.measure
        ? machine.roofline({ fresh: req.fresh })
        : machine.keptRoofline().then((kept) => kept ?? null)
      ).catch((e: Error) => {
        throw new ApiError('unsupported', `${e.message}. Build the native addon (npm run build:native) and try again.`);
      }),
    'files.openModelDialog': async () => {
      if (!deps.dialogs?.openModel)
        throw unsupported('the open dialog', 'upload the .onnx file (drop it or pick it) instead');
      const path = await deps.dialogs.openModel();
      return path === null ? null : files.openPath(path);
    },
    'files.importModel': (req) => files.importBytes(req.name, req.bytes),
    'files.closeModel': (req) => ({ closed: files.close(req.fileId) }),
    'bench.start': (req) => runs.start(req),
    'bench.cancel': (req) => ({ cancelled: runs.cancel(req.runId, req.jobId) }),
    'bench.queue': () => runs.queue(),
    'bench.clearFinished': () => ({ cleared: runs.clearFinished() }),
    'results.list': async (req) => {
      const listed = await results.list(req.filter);
      return { results: listed.results.map(({ file: _file, ...view }) => view), problems: listed.problems };
    },
    'results.get': (req) => results.get(req.ids),
    'results.delete': async (req) => {
      const deleted = await results.delete(req.ids);
      if (deleted.length) emit('results.changed', { ids: deleted });
      return { deleted };
    },
    'results.export': (req) => report(req.ids, req.format),
    'results.exportDialog': async (req) => {
      if (!deps.dialogs?.saveReport)
        throw unsupported('the save dialog', 'download the report (results.export) instead');
      const chosen = await results.get(req.ids);
      // Only the name here: the report is rendered once, when written.
      const suggested = reportFilename(req.format);
      const path = await deps.dialogs.saveReport({ filename: suggested, format: req.format });
      if (path === null) return { savedTo: null };
      return { savedTo: results.export(chosen, path, req.format).path };
    },
    'results.import': async (req) => {
      const outcome = await results.importText(req.name, req.text, cacheDir);
      if (outcome.added.length) emit('results.changed', { ids: outcome.added });
      return outcome;
    },
    'settings.get': () => {
      const current = settings.get();
      return {
        ...current,
        // Never the password: the renderer shows where, not how to get in.
        ...(current.resultsDatabase ? { resultsDatabase: redactUrl(current.resultsDatabase) } : {}),
        ...(settings.problem ? { problem: settings.problem } : {}),
      };
    },
    'results.source': async () => {
      await connecting;
      return {
        kind: repository.kind,
        location: repository.location,
        ...(databaseProblem ? { problem: databaseProblem } : {}),
      };
    },
    'settings.set': async (req, raw) => {
      const given = Object.keys(raw);
      const update = { ...req };
      if (given.includes('resultsDatabase') && req.resultsDatabase !== undefined) {
        const saved = settings.get().resultsDatabase;
        // The URL settings.get showed (no password) sent back unchanged: the saved one stays.
        const url = saved && req.resultsDatabase === redactUrl(saved) ? saved : req.resultsDatabase.trim() || undefined;
        await connecting;
        if (url !== databaseUrl || databaseProblem) {
          try {
            await useDatabase(url);
          } catch (e) {
            throw new ApiError('bad-request', `the setting was not saved: ${(e as Error).message}`);
          }
          emit('results.changed', { ids: [] });
        }
        update.resultsDatabase = url ?? '';
      }
      const next = settings.set(update, given, raw);
      return next.resultsDatabase ? { ...next, resultsDatabase: redactUrl(next.resultsDatabase) } : next;
    },
    'data.list': () => ({ datasets: tasks.listData() }),
    'files.openDataDialog': async () => {
      if (!deps.dialogs?.openDataFolder)
        throw unsupported('choosing a data folder', 'use a data set from the list (data.list)');
      const path = await deps.dialogs.openDataFolder();
      return path === null ? null : tasks.openDataFolder(path);
    },
    'accuracy.start': (req) => tasks.startAccuracy(req),
    'lab.start': (req) => tasks.startLab(req),
    'precision.layerError': (req) => tasks.layerError(req),
    'tasks.cancel': (req) => ({ cancelled: tasks.cancel(req.taskId) }),
    'accuracy.list': () => {
      const { items, problems } = tasks.accuracy.list();
      return { results: items, problems };
    },
    'lab.list': () => {
      const { items, problems } = tasks.lab.list();
      return { results: items, problems };
    },
    // Over every ok result the service reads (the folder or the database), judged by shared/stats/regression.ts.
    'results.history': async (req) =>
      historyResponse(
        await results.load({ status: 'ok', ...(req.filter.backend ? { backend: req.filter.backend } : {}) }),
        req,
      ),
    'results.regressions': async (req) =>
      regressionsResponse(
        await results.load({ status: 'ok', ...(req.filter.backend ? { backend: req.filter.backend } : {}) }),
        req,
      ),
    'results.diff': (req) => diffResponse(results, req),
    'fleet.list': async () => {
      await connecting;
      const live = databaseUrl && !databaseProblem ? databaseFleet(databaseUrl) : undefined;
      return fleetResponse(deps.fleet ?? live);
    },
    // Queued as `bench TARGETS --on DESTINATIONS` queues it (main/fleet/enqueue.ts), planned by the app's bench service.
    'fleet.enqueue': async (req) => {
      const fleet = await fleetInUse();
      const [{ destinationText, parseDestinations }, { fleetTargetOf }, { enqueueRun, unserved }] = await Promise.all([
        import('../fleet/contract.js'),
        import('../fleet/runs.js'),
        import('../fleet/enqueue.js'),
      ]);
      const destinations = parseDestinations(req.destinations);
      const spec: BenchSpec = {
        targets: req.targets.map((t) => fleetTargetOf(t)),
        backends: req.backends,
        ...(req.batches ? { batches: req.batches } : {}),
        ...(req.threads ? { threads: req.threads } : {}),
        precisions: req.precision,
        ...(req.repetitions !== undefined ? { repetitions: req.repetitions } : {}),
        scenario: req.scenario,
        ...(req.measure ? { measure: req.measure } : {}),
        ...(req.timeLimitS !== undefined ? { timeLimitS: req.timeLimitS } : {}),
      };
      const run = await enqueueRun(fleet, { spec, destinations, planner: runs.service });
      const idle = await unserved(fleet, destinations).catch(() => []);
      return {
        runId: run.runId,
        jobs: run.jobs.length,
        destinations: destinations.map(destinationText),
        unserved: idle.map(destinationText),
      };
    },
    'fleet.runs': async () => {
      const fleet = await fleetInUse();
      const { recentRuns } = await import('../fleet/runs.js');
      return { runs: await recentRuns(fleet, FLEET_RUNS_LIMIT), checkedAt: new Date().toISOString() };
    },
    'fleet.cancel': async (req) => {
      const fleet = await fleetInUse();
      const { cancelRun } = await import('../fleet/enqueue.js');
      return cancelRun(fleet, req.runId);
    },
  };

  async function handle(method: string, rawRequest: unknown): Promise<unknown> {
    if (disposed) throw new ApiError('refused', 'the studio is shutting down; reload the window');
    if (typeof method !== 'string' || !Object.hasOwn(API_METHODS, method))
      throw new ApiError(
        'not-found',
        `unknown API method '${String(method)}'. Methods: ${Object.keys(API_METHODS).join(', ')}`,
      );
    const m = method as ApiMethod;
    const raw = rawRequest === undefined || rawRequest === null ? {} : rawRequest;
    const pathProblem = filePathProblem(m, raw);
    if (pathProblem) throw new ApiError('refused', pathProblem);
    const parsed = API_METHODS[m].safeParse(raw);
    if (!parsed.success) throw validationError(m, parsed.error);
    try {
      const handler = handlers[m] as (req: unknown, raw: Record<string, unknown>) => unknown;
      return await handler(parsed.data, raw as Record<string, unknown>);
    } catch (e) {
      throw toApiError(e, m);
    }
  }

  return {
    mode: deps.mode,
    store,
    settingsPath: settings.path,
    cacheDir,
    handle,
    call: (method, request) => handle(method, request) as never,
    async importModelFile(name, received) {
      // Only a file in the upload folder is ever moved (or deleted): never a path from elsewhere.
      if (dirname(resolve(received)) !== resolve(uploadDir(cacheDir)) || !isTemporaryFile(basename(received)))
        throw new ApiError('refused', 'files.importModel takes only an upload the web server received');
      try {
        if (disposed) throw new ApiError('refused', 'the studio is shutting down; reload the window');
        const checked = API_METHODS['files.importModel'].shape.name.safeParse(name);
        if (!checked.success) throw validationError('files.importModel', checked.error);
        return files.importFile(checked.data, received);
      } catch (e) {
        rmSync(received, { force: true });
        throw toApiError(e, 'files.importModel');
      }
    },
    on(event, listener) {
      if (!API_EVENT_NAMES.includes(event)) throw new ApiError('bad-request', `unknown event '${String(event)}'`);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => set.delete(listener as (p: never) => void);
    },
    onAny(listener) {
      anyListeners.add(listener);
      return () => anyListeners.delete(listener);
    },
    get activeWorkerPid() {
      return runs.activePid;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([runs.dispose(), tasks.dispose()]);
      await connecting;
      await closeFleet();
      await repository.close().catch(() => {});
      files.closeAll();
      listeners.clear();
      anyListeners.clear();
    },
  };
}
