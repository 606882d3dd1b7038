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
import { BackendConfigSchema, BACKEND_NAMES, MeasureSchema } from './job.js';
import type { BenchResult } from './result.js';
import type { MachineProfile } from './machine.js';
import type { CostReport } from '../cost/cost-model.js';

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
  precision: z
    .array(z.enum(['fp32']))
    .min(1)
    .default(['fp32']),
  repetitions: z.number().int().min(1).max(100).default(1),
  scenario: z.enum(['single-stream', 'offline']).default('single-stream'),
  measure: MeasureSchema.partial().optional(),
  timeLimitS: z
    .number()
    .positive()
    .max(24 * 3600)
    .optional(),
  seed: z.number().int().default(0),
});
export type BenchRequest = z.input<typeof BenchRequestSchema>;

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

export const SettingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** The last Benchmark form, restored at start (the renderer owns its shape; validated there). */
  lastBench: z.record(z.string(), z.unknown()).optional(),
  /** The last view shown. */
  lastView: z.string().max(40).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** One backend, available or not, with the reason when not (main/backends/backend.ts Availability). */
export interface BackendAvailability {
  backend: (typeof BACKEND_NAMES)[number];
  provider: string;
  available: boolean;
  kind?: string;
  reason?: string;
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
  nodes: { name: string; op: string; inputs: string[]; outputs: string[] }[];
  inputs: string[];
  outputs: string[];
}

export interface ResultSummaryView {
  id: string;
  createdAt: string;
  label: string;
  target: string;
  backend: string;
  batch: number;
  threads: number;
  status: 'ok' | 'failed' | 'cancelled';
  group?: string;
  repetition: number;
  n: number;
  p50?: number;
  flags: number;
  failure?: string;
  machine: string;
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
  /** Measures the roofline (a few seconds, in a worker process); cached until `fresh`. */
  'machine.roofline': z.object({ fresh: z.boolean().default(false) }),
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
  'results.list': z.object({ filter: ResultFilterSchema.default({}) }),
  'results.get': z.object({ ids: ResultIdsSchema }),
  'results.delete': z.object({ ids: ResultIdsSchema }),
  'results.export': z.object({ ids: ResultIdsSchema, format: z.enum(REPORT_FORMATS) }),
  /** Electron: save dialog then write. Web mode: refused (the renderer downloads results.export). */
  'results.exportDialog': z.object({ ids: ResultIdsSchema, format: z.enum(REPORT_FORMATS) }),
  /** A JSON report (or result file) from another machine, as text. */
  'results.import': z.object({ name: z.string().min(1).max(255), text: z.string().max(512 * 1024 * 1024) }),
  'settings.get': z.object({}),
  'settings.set': SettingsSchema.partial(),
} as const;

export type ApiMethod = keyof typeof API_METHODS;
export type ApiRequest<M extends ApiMethod> = z.input<(typeof API_METHODS)[M]>;
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof API_METHODS)[M]>;

export interface ApiResponses {
  'app.info': { version: string; apiVersion: number; mode: 'electron' | 'web'; platform: string };
  'machine.profile': MachineProfile;
  'machine.backends': BackendAvailability[];
  'machine.roofline': Roofline;
  'files.openModelDialog': OpenedModel | null;
  'files.importModel': OpenedModel;
  'files.closeModel': { closed: boolean };
  'bench.start': { runId: string; jobs: { id: string; label: string }[] };
  'bench.cancel': { cancelled: number };
  'results.list': { results: ResultSummaryView[]; problems: { file: string; reason: string }[] };
  'results.get': BenchResult[];
  'results.delete': { deleted: string[] };
  'results.export': ReportFile;
  'results.exportDialog': { savedTo: string | null };
  'results.import': ImportOutcomeView;
  'settings.get': Settings;
  'settings.set': Settings;
}
export type ApiResponse<M extends ApiMethod> = ApiResponses[M];

/** Events main pushes to the renderer while a benchmark run goes on. */
export interface ApiEvents {
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
  /** Electron only: an application menu entry the renderer carries out (it owns the views). */
  'app.menu': { command: MenuCommand };
}
export type ApiEventName = keyof ApiEvents;
export const API_EVENT_NAMES: readonly ApiEventName[] = [
  'bench.job-start',
  'bench.progress',
  'bench.job-end',
  'bench.run-end',
  'results.changed',
  'app.menu',
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
