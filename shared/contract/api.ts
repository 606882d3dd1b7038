// The one typed API between the renderer and the main process (DESIGN.md, issue 5). Both
// transports carry exactly this: Electron's preload (ipcRenderer.invoke / events) and the web
// mode (HTTP POST /api/<method> + one WebSocket for events). The main side validates every
// request with these schemas before a handler sees it; the renderer never names a file path:
// files reach main through a native dialog, or as bytes the user dropped or picked.
//
// What the renderer can compute itself stays out of this API: blocks, zoo models, graphs and
// their costs are pure TypeScript in shared/ and run in the renderer directly (live numbers
// without a round trip). Only the machine, files, benchmark jobs and the results store are here.
import { z } from 'zod';
import { BackendConfigSchema, BACKEND_NAMES, CalibrationSchema, MeasureOverridesSchema, PRECISIONS } from './job.js';
import type { BenchResult } from './result.js';
import type { GpuAdapter, MachineProfile } from './machine.js';
import type { CostReport } from './cost.js';
import { PreprocessFlagsSchema, type AccuracyResult } from './accuracy.js';
import { HEAD_KINDS, type LabResult } from './lab.js';
import type { LayerErrorReport } from './layer-error.js';
import {
  HistoryRequestSchema,
  RegressionsRequestSchema,
  type FleetListResponse,
  type HistoryResponse,
  type RegressionsResponse,
} from './history.js';
import {
  FleetEnqueueRequestSchema,
  FleetRunIdSchema,
  type FleetCancelResponse,
  type FleetEnqueueResponse,
  type FleetRunsResponse,
} from './fleet.js';
import { RunDiffRequestSchema, type RunDiff } from './run-diff.js';

export const API_VERSION = 1;

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

/** A model file the user opened, named by the handle main gave it (never by a path). */
export const FileHandleSchema = z.string().regex(/^file-[A-Za-z0-9_-]{1,64}$/, 'not a file handle from files.*');

/** Targets as the renderer names them: blocks and zoo models by name, files by handle. */
export const ApiTargetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('block'),
    name: z.string().min(1).max(200),
    params: z.record(z.string(), paramValue).default({}),
  }),
  z.object({
    kind: z.literal('model'),
    name: z.string().min(1).max(200),
    variant: z.string().max(200).optional(),
    params: z.record(z.string(), paramValue).default({}),
  }),
  z.object({
    kind: z.literal('file'),
    fileId: FileHandleSchema,
    dims: z.record(z.string(), z.number().int().positive()).default({}),
  }),
]);
export type ApiTarget = z.infer<typeof ApiTargetSchema>;

/** A benchmark sweep from the Benchmark view: targets x backends x batches x threads x repetitions. */
export const BenchRequestSchema = z.object({
  targets: z.array(ApiTargetSchema).min(1).max(500),
  backends: z
    .array(z.union([z.enum(BACKEND_NAMES), BackendConfigSchema]))
    .min(1)
    .max(20),
  batches: z.array(z.number().int().min(1).max(65_536)).min(1).max(64).default([1]),
  threads: z.array(z.number().int().min(0).max(1024)).min(1).max(64).optional(),
  precision: z.array(z.enum(PRECISIONS)).min(1).default(['fp32']),
  /** int8 jobs: how activation ranges are calibrated. */
  calibration: CalibrationSchema.optional(),
  repetitions: z.number().int().min(1).max(100).default(1),
  scenario: z.enum(['single-stream', 'offline']).default('single-stream'),
  measure: MeasureOverridesSchema.optional(),
  timeLimitS: z
    .number()
    .positive()
    .max(24 * 3600)
    .optional(),
  seed: z.number().int().default(0),
});
export type BenchRequest = z.input<typeof BenchRequestSchema>;

/** A labeled data set, named by the handle main gave it in data.list or files.openDataDialog (never a path). */
export const DataHandleSchema = z
  .string()
  .regex(/^data-[A-Za-z0-9_-]{1,64}$/, 'not a data set handle from data.list or files.openDataDialog');

/** An accuracy run from the Accuracy view (main/accuracy/run-accuracy.ts, in a task worker). */
export const AccuracyRequestSchema = z.object({
  target: ApiTargetSchema,
  dataId: DataHandleSchema,
  split: z.enum(['train', 'test', 'all']).optional(),
  limit: z.number().int().min(1).max(100_000_000).optional(),
  batch: z.number().int().min(1).max(4096).default(32),
  backend: z.enum(BACKEND_NAMES).default('ort-cpu'),
  threads: z.number().int().min(0).max(1024).optional(),
  seed: z.number().int().default(0),
  preprocess: PreprocessFlagsSchema.optional(),
  /** The precision variant to evaluate (one task per precision; a backend that cannot run it ends the task with the reason). */
  precision: z.enum(PRECISIONS).default('fp32'),
  /** int8: how activation ranges are calibrated (on training images of the same data set). */
  calibration: CalibrationSchema.partial().optional(),
});
export type AccuracyRequest = z.input<typeof AccuracyRequestSchema>;

/** A bottleneck-feature lab run (main/lab/run-lab.ts, in a task worker); no base: the default base. */
export const LabRequestSchema = z.object({
  dataId: DataHandleSchema,
  base: ApiTargetSchema.optional(),
  cut: z.string().min(1).max(500).optional(),
  heads: z.array(z.enum(HEAD_KINDS)).min(1).max(3).default(['gap', 'fc', 'mlp']),
  epochs: z.number().int().min(1).max(1000).default(10),
  limit: z.number().int().min(1).max(100_000_000).optional(),
  testLimit: z.number().int().min(1).max(100_000_000).optional(),
  seed: z.number().int().min(0).default(0),
});
export type LabRequest = z.input<typeof LabRequestSchema>;

/** A labeled data set main knows: a known one on this machine, or a folder the user opened this session. */
export interface DataSetView {
  dataId: string;
  name: string;
  origin: 'known' | 'opened';
  format: 'idx' | 'image-folder';
  /** Where it is, for display only (the renderer names it by dataId). */
  location: string;
}

/**
 * Layer error of a precision variant (shared/contract/layer-error.ts), run as a 'layer-error' task
 * in a task worker (one task at a time, with accuracy and the lab); the call answers the report.
 */
export const LayerErrorRequestSchema = z.object({
  target: ApiTargetSchema,
  precision: z.enum(['fp16', 'int8']),
  /** Seeded random input samples compared (sample k seeded with seed + k). */
  samples: z.number().int().min(1).max(256).default(4),
  seed: z.number().int().default(0),
  /** int8: how activation ranges are calibrated (absent: as every int8 variant is built). */
  calibration: CalibrationSchema.partial().optional(),
});
export type LayerErrorRequest = z.input<typeof LayerErrorRequestSchema>;

export const TASK_KINDS_API = ['accuracy', 'lab', 'layer-error'] as const;
export type ApiTaskKind = (typeof TASK_KINDS_API)[number];

export const REPORT_FORMATS = ['html', 'json', 'csv', 'md'] as const;
export type ApiReportFormat = (typeof REPORT_FORMATS)[number];

export const ResultFilterSchema = z.object({
  target: z.string().max(500).optional(),
  backend: z.string().max(100).optional(),
  status: z.enum(['ok', 'failed', 'cancelled']).optional(),
  group: z.string().max(200).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
});

const ResultIdsSchema = z.array(z.string().min(1).max(128)).min(1).max(10_000);

/** A field of the saved Benchmark form: one that does not fit is dropped, as the renderer's parseForm drops it. */
const formField = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/**
 * The Benchmark form as saved in settings (renderer/src/stores/bench.ts BenchForm). Every array and
 * string is bounded and nothing nests, so no saved form can be deep or huge; keys it does not name
 * (an older studio's) are stripped, and a field that does not fit is dropped instead of refusing
 * the whole form. main/api/settings.ts also caps the depth of what is sent and the file's size.
 */
export const SavedBenchFormSchema = z.object({
  targets: formField(z.array(ApiTargetSchema).max(500)),
  backends: formField(z.array(z.enum(BACKEND_NAMES)).max(20)),
  batches: formField(z.array(z.number().int().min(1).max(65_536)).max(64)),
  threads: formField(z.array(z.number().int().min(0).max(1024)).max(64)),
  precision: formField(z.array(z.enum(PRECISIONS)).max(8)),
  calibration: formField(CalibrationSchema.shape.method.unwrap()),
  repetitions: formField(z.number().int().min(1).max(100)),
  scenario: formField(z.enum(['single-stream', 'offline'])),
  preset: formField(z.enum(['quick', 'standard', 'thorough'])),
  sweep: formField(
    z.object({
      block: z.string().max(200),
      param: z.string().max(200),
      from: z.number(),
      to: z.number(),
      step: z.number(),
      mode: z.enum(['mul', 'add']),
      base: z.record(z.string().max(200), z.union([z.string().max(200), z.number(), z.boolean()])).default({}),
    }),
  ),
  profile: formField(z.boolean()),
});
export type SavedBenchForm = z.infer<typeof SavedBenchFormSchema>;

export const SettingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** The last Benchmark form, restored at start (the renderer's parseForm still checks what it restores). */
  lastBench: SavedBenchFormSchema.optional(),
  /** The last view shown. */
  lastView: z.string().max(40).optional(),
  /**
   * A team's PostgreSQL database for the benchmark results (postgres://user:password@host/db), or ''
   * for the local results folder. main connects before it saves this; settings.get answers it without
   * the password (a URL sent back unchanged keeps the saved password).
   */
  resultsDatabase: z.string().max(2000).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** One backend, available or not, with the reason when not (main/backends/backend.ts Availability). */
export interface BackendAvailability {
  backend: (typeof BACKEND_NAMES)[number];
  provider: string;
  available: boolean;
  kind?: string;
  reason?: string;
  /** The graphics adapter a GPU backend runs on (WebGPU), where known; software ones run on the CPU. */
  adapter?: GpuAdapter;
}

export type Roofline = NonNullable<MachineProfile['roofline']>;

/** What the Models view shows for an opened ONNX file. */
export interface OpenedModel {
  fileId: string;
  /** The file's base name (display only). */
  name: string;
  sizeBytes: number;
  cost: CostReport;
  /** Operators the studio does not know (kept and flagged; their cost is 0, not measured). */
  unknownOps: string[];
  /** The graph for the diagram: nodes in topological order and the tensors between them. */
  graph: GraphView;
}

/** A graph reduced to what a diagram needs. */
export interface GraphView {
  /** The graph's own name (an ONNX file's graph.name: Model Explorer's graph id for its node data). */
  graphName?: string;
  nodes: GraphViewNode[];
  inputs: string[];
  outputs: string[];
  /**
   * Every tensor's dtype and shape (graph inputs, intermediates, outputs, initializers) for the
   * overlays and the cost model (shared/explorer/graph-shell.ts rebuilds the IR graph from them);
   * never any weight values. Absent where the sender has no shapes (a diagram only).
   */
  tensors?: GraphViewTensor[];
}

export interface GraphViewNode {
  name: string;
  /** The operator, 'domain.Op' outside the default ONNX domain. */
  op: string;
  inputs: string[];
  outputs: string[];
  /**
   * The operator domain, sent only when `op` cannot be split at its last dot (an operator type that
   * itself holds a dot); otherwise it is what precedes the last dot of `op` ('' without one).
   */
  domain?: string;
  /** Attributes (ONNX's), tensor-valued ones left out: sent with `tensors`, for the cost model. */
  attrs?: Record<string, GraphViewAttr>;
}

/** An ONNX node attribute as shared/ir/types.ts AttrValue has it, less tensors (they hold data). */
export type GraphViewAttr =
  | { type: 'int' | 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints' | 'floats'; value: number[] }
  | { type: 'strings'; value: string[] };

/** A tensor's type: shared/ir/types.ts TensorInfo, and for an initializer its Initializer flags. */
export interface GraphViewTensor {
  name: string;
  /** shared/ir/types.ts DType ('float32', 'int64', ...). */
  dtype: string;
  shape: number[];
  /** Initializers only: a learned weight ('param') or a value the graph needs ('constant'). */
  role?: 'param' | 'constant';
  /** Initializers only: false for BatchNorm's running statistics and for constants. */
  trainable?: boolean;
  /**
   * True for a graph input or output that is no value of the graph (shape inference did not reach
   * it): its type is the one the file declares.
   */
  declared?: true;
}

export interface ResultSummaryView {
  id: string;
  createdAt: string;
  label: string;
  target: string;
  backend: string;
  batch: number;
  threads: number;
  /** fp32, fp16 or int8 (absent in summaries from before precision variants: fp32). */
  precision?: string;
  status: 'ok' | 'failed' | 'cancelled';
  group?: string;
  repetition: number;
  n: number;
  p50?: number;
  flags: number;
  failure?: string;
  machine: string;
}

/** Where the benchmark results are read and written. */
export interface ResultsSourceView {
  kind: 'folder' | 'postgres';
  /** The folder, or the database URL without its password. */
  location: string;
  /** The database set in Settings could not be used (the folder is in use meanwhile), and why. */
  problem?: string;
}

/** A target of a benchmark request that cannot run, and why (its jobs were not queued). */
export interface RefusedTarget {
  /** Its index in the request's targets. */
  index: number;
  label: string;
  reason: string;
}

export const BENCH_JOB_STATUSES = ['queued', 'running', 'ok', 'failed', 'cancelled'] as const;
export type BenchJobStatus = (typeof BENCH_JOB_STATUSES)[number];

/** One job on the queue board (main/services/bench-board.ts): what every view of the queue shows. */
export interface BenchJobView {
  id: string;
  runId: string;
  label: string;
  status: BenchJobStatus;
  /** 0..1 of the job's expected measuring time. */
  fraction: number;
  phase?: string;
  runs?: number;
  /** Running median while measuring; the final p50 once ended (ms). */
  median?: number;
  /** "crash: the job process exited with SIGSEGV" for failed and cancelled jobs. */
  error?: string;
  failureKind?: string;
  resultId?: string;
  /** A cancel was asked (by any view) and the job has not ended yet. */
  cancelRequested?: boolean;
}

export interface BenchRunView {
  runId: string;
  startedAt: string;
  ended: boolean;
  counts?: { ok: number; failed: number; cancelled: number };
  refused: RefusedTarget[];
}

/** The queue board: runs oldest first, and their jobs in queue order. */
export interface BenchQueueView {
  runs: BenchRunView[];
  jobs: BenchJobView[];
}

export interface ImportOutcomeView {
  source: string;
  added: string[];
  skipped: { id: string; reason: string }[];
}

export interface ReportFile {
  filename: string;
  mime: string;
  content: string;
}

/** Each method: its request schema (validated by main) and its response type. */
export const API_METHODS = {
  'app.info': z.object({}),
  'machine.profile': z.object({}),
  'machine.backends': z.object({}),
  /**
   * The roofline: the one kept for this machine (its CPU, the native kernels' ISA path and the
   * runtime), else measured (a few seconds, in a worker process) and kept; `fresh` measures again.
   * `measure: false` never measures: the kept one, or null when none is kept.
   */
  'machine.roofline': z.object({ fresh: z.boolean().default(false), measure: z.boolean().default(true) }),
  /** Electron: the native open dialog. Web mode: refused (the renderer uploads instead). */
  'files.openModelDialog': z.object({}),
  /** A model the user dropped or picked: its bytes and file name (no path). */
  'files.importModel': z.object({
    name: z.string().min(1).max(255),
    bytes: z.instanceof(Uint8Array),
  }),
  'files.closeModel': z.object({ fileId: FileHandleSchema }),
  'bench.start': BenchRequestSchema,
  /** Cancels one job, or the whole run when jobId is absent. */
  'bench.cancel': z.object({ runId: z.string().min(1).max(100), jobId: z.string().min(1).max(200).optional() }),
  /** The queue as main keeps it: every run started since main started (the same in every window and tab). */
  'bench.queue': z.object({}),
  /** Forgets the ended runs on the queue board (their results stay saved); every view is told. */
  'bench.clearFinished': z.object({}),
  'results.list': z.object({ filter: ResultFilterSchema.default({}) }),
  /** Where the benchmark results are: the local folder or a database (no credentials), and why not the database when it cannot be reached. */
  'results.source': z.object({}),
  'results.get': z.object({ ids: ResultIdsSchema }),
  'results.delete': z.object({ ids: ResultIdsSchema }),
  'results.export': z.object({ ids: ResultIdsSchema, format: z.enum(REPORT_FORMATS) }),
  /** Electron: save dialog then write. Web mode: refused (the renderer downloads results.export). */
  'results.exportDialog': z.object({ ids: ResultIdsSchema, format: z.enum(REPORT_FORMATS) }),
  /** A JSON report (or result file) from another machine, as text. */
  'results.import': z.object({ name: z.string().min(1).max(255), text: z.string().max(512 * 1024 * 1024) }),
  'settings.get': z.object({}),
  'settings.set': SettingsSchema.partial(),
  /** Labeled data sets: the known ones on this machine and the folders opened this session. */
  'data.list': z.object({}),
  /** Electron: a native folder dialog for a labeled data set. Web mode: refused. */
  'files.openDataDialog': z.object({}),
  /** Starts an accuracy run in a task worker (one task at a time); progress as task.* events. */
  'accuracy.start': AccuracyRequestSchema,
  'lab.start': LabRequestSchema,
  /**
   * Numerical error per node of the fp16 or int8 variant against fp32, on ONNX Runtime CPU: runs
   * as a 'layer-error' task (task.progress, task.end with the report; tasks.cancel stops it) and
   * answers the report when it ends.
   */
  'precision.layerError': LayerErrorRequestSchema,
  'tasks.cancel': z.object({ taskId: z.string().min(1).max(100) }),
  /** Saved accuracy results (<results>/accuracy/), oldest first, and the files that could not be read. */
  'accuracy.list': z.object({}),
  'lab.list': z.object({}),
  /**
   * Results over time (shared/contract/history.ts): the series that pass the filter, each point
   * judged against its baseline (shared/stats/regression.ts), oldest first.
   */
  'results.history': HistoryRequestSchema,
  /** The flagged points of every series (or those that pass the filter), newest first. */
  'results.regressions': RegressionsRequestSchema,
  /**
   * The node-matched diff of two profiled runs of one model (shared/contract/run-diff.ts): B against
   * A, unit by unit; refused ('refused', the reason in words) for a run not profiled or not ok, or
   * runs of different models.
   */
  'results.diff': RunDiffRequestSchema,
  /** The team's benchmark agents and queues (they live in the results database); a problem when there is none. */
  'fleet.list': z.object({}),
  /** Queues a benchmark on fleet agents (by name or tag), as `bench TARGETS --on ...` does; needs the results database. */
  'fleet.enqueue': FleetEnqueueRequestSchema,
  /** The fleet's recent runs (newest first) with their jobs counted by state. */
  'fleet.runs': z.object({}),
  /** Cancels a fleet run's queued and running jobs, as `fleet cancel RUN` does. */
  'fleet.cancel': z.object({ runId: FleetRunIdSchema }),
} as const;

export type ApiMethod = keyof typeof API_METHODS;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof API_METHODS)[M]>;
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof API_METHODS)[M]>;

export interface ApiResponses {
  'app.info': { version: string; apiVersion: number; mode: 'electron' | 'web'; platform: string };
  'machine.profile': MachineProfile;
  'machine.backends': BackendAvailability[];
  /** Null only for `measure: false` when no roofline is kept. */
  'machine.roofline': Roofline | null;
  'files.openModelDialog': OpenedModel | null;
  'files.importModel': OpenedModel;
  'files.closeModel': { closed: boolean };
  'bench.start': {
    runId: string;
    jobs: { id: string; label: string }[];
    /** Targets that cannot run (named with the reason); the others run. */
    refused: RefusedTarget[];
  };
  'bench.cancel': { cancelled: number };
  'bench.queue': BenchQueueView;
  'bench.clearFinished': { cleared: number };
  'results.list': { results: ResultSummaryView[]; problems: { file: string; reason: string }[] };
  'results.source': ResultsSourceView;
  'results.get': BenchResult[];
  'results.delete': { deleted: string[] };
  'results.export': ReportFile;
  'results.exportDialog': { savedTo: string | null };
  'results.import': ImportOutcomeView;
  /** `problem`: the settings file could not be read and was set aside (the defaults are in use). */
  'settings.get': Settings & { problem?: string };
  'settings.set': Settings;
  'data.list': { datasets: DataSetView[] };
  'files.openDataDialog': DataSetView | null;
  'accuracy.start': { taskId: string };
  'lab.start': { taskId: string };
  'precision.layerError': LayerErrorReport;
  'tasks.cancel': { cancelled: boolean };
  'accuracy.list': { results: AccuracyResult[]; problems: { file: string; reason: string }[] };
  'lab.list': { results: LabResult[]; problems: { file: string; reason: string }[] };
  'results.history': HistoryResponse;
  'results.regressions': RegressionsResponse;
  'results.diff': RunDiff;
  'fleet.list': FleetListResponse;
  'fleet.enqueue': FleetEnqueueResponse;
  'fleet.runs': FleetRunsResponse;
  'fleet.cancel': FleetCancelResponse;
}
export type ApiResponse<M extends ApiMethod> = ApiResponses[M];

/** Events main pushes to the renderer while a benchmark run goes on. */
export interface ApiEvents {
  /** A run was queued (from any window or tab): its jobs, in queue order, and the targets refused. */
  'bench.run-start': {
    runId: string;
    startedAt: string;
    jobs: { id: string; label: string }[];
    refused: RefusedTarget[];
  };
  /** A view cancelled jobs: they show as cancelling everywhere until they end. */
  'bench.cancelling': { runId: string; jobIds: string[] };
  /** The ended runs were cleared from the board (every view drops them). */
  'bench.cleared': { runIds: string[] };
  'bench.job-start': { runId: string; jobId: string; label: string; index: number; total: number };
  'bench.progress': {
    runId: string;
    jobId: string;
    phase: string;
    /** Measured runs so far and the running median (ms), when measuring. */
    runs?: number;
    median?: number;
    /** 0..1 of the job's expected measuring time. */
    fraction?: number;
  };
  'bench.job-end': { runId: string; jobId: string; result: BenchResult };
  'bench.run-end': { runId: string; ok: number; failed: number; cancelled: number };
  /** The results store changed (a job saved, an import, a delete). */
  'results.changed': { ids: string[] };
  /**
   * Web mode: the event stream came back after a drop, so events sent meanwhile were lost; the views
   * re-read what they mirror (the queue board, the results). Sent by the web client itself, not by main.
   */
  'app.reconnected': Record<string, never>;
  /** Electron only: an application menu entry the renderer carries out (it owns the views). */
  'app.menu': { command: MenuCommand };
  /** An accuracy or lab task's progress (throttled in the worker; every lab epoch is sent). */
  'task.progress': {
    taskId: string;
    kind: ApiTaskKind;
    phase: string;
    message: string;
    fraction?: number;
    elapsedMs: number;
    /** Lab training: the epoch just finished, for the training curves. */
    epoch?: { head: string; epoch: number; epochs: number; trainLoss: number; valLoss: number; valAccuracy: number };
  };
  /** A task ended: its saved result (ok), or why not. */
  'task.end': {
    taskId: string;
    kind: ApiTaskKind;
    status: 'ok' | 'failed' | 'cancelled';
    error?: string;
    accuracy?: AccuracyResult;
    lab?: LabResult;
    /** A layer-error task's report (not saved: the same request gives it again). */
    layerError?: LayerErrorReport;
    /** Where it was saved failed (the result is still here); absent when it was saved. */
    saveError?: string;
  };
}
export type ApiEventName = keyof ApiEvents;
export const API_EVENT_NAMES: readonly ApiEventName[] = [
  'bench.run-start',
  'bench.cancelling',
  'bench.cleared',
  'bench.job-start',
  'bench.progress',
  'bench.job-end',
  'bench.run-end',
  'results.changed',
  'app.reconnected',
  'app.menu',
  'task.progress',
  'task.end',
];

/** The application menu's commands that the renderer carries out (main/app/menu.ts). */
export const MENU_COMMANDS = ['open-model', 'export-report', 'import-report'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** An error a handler reports: `code` for the program, `message` for the user (says what to do). */
export interface ApiErrorBody {
  code: 'bad-request' | 'not-found' | 'unsupported' | 'refused' | 'internal';
  message: string;
}

/** What the renderer holds: the preload's object in Electron, an HTTP/WebSocket client in web mode. */
export interface StudioApi {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** The name of the object the preload exposes on `window`. */
export const PRELOAD_GLOBAL = 'bottleneckStudio';
/** The one IPC channel for calls, and the one for events (Electron). */
export const IPC_CALL_CHANNEL = 'studio:call';
export const IPC_EVENT_CHANNEL = 'studio:event';
