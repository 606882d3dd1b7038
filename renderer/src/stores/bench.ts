// The Benchmark view's state: the form (targets x backends x batches x threads x repetitions, the
// measurement preset), the sweep builder, and the queue. The queue is main's (bench.queue: every
// run started from any window or tab since main started); this store mirrors it, fed by the bench.*
// events, and asks for it again on a reload or a reconnect. Progress events are coalesced (at most
// one update per job every PROGRESS_THROTTLE_MS) so that a fast run never floods the view.
import { defineStore } from 'pinia';
import type {
  ApiEvents,
  ApiTarget,
  BenchJobView,
  BenchQueueView,
  BenchRequest,
  BenchRunView,
  RefusedTarget,
} from '../../../shared/contract/api.js';
import {
  BACKEND_NAMES,
  CALIBRATION_METHODS,
  PRECISIONS as PRECISION_NAMES,
  type BackendName,
  type Measure,
  type PrecisionName,
} from '../../../shared/contract/job.js';
import { SWEEP_LIMITS } from '../../../shared/bench/sweep.js';
import { MeasureSchema } from '../../../shared/contract/job.js';
import { errorMessage, getApi } from '../api/index.js';
import { useSettingsStore } from './settings.js';
import { toggled } from './toggle.js';

export type JobStatus = BenchJobView['status'];
export type MeasurePreset = 'quick' | 'standard' | 'thorough';
export type Scenario = 'single-stream' | 'offline';
export type SweepMode = 'mul' | 'add';

/** What each preset asks of the measurement loop (MeasureSchema; 'standard' keeps its defaults). */
export const MEASURE_PRESETS: Record<MeasurePreset, Partial<Measure>> = {
  // A preset's minimums are defaults, not the user's: the early stop on the confidence interval stays on.
  quick: {
    warmupRuns: 3,
    warmupTimeS: 0.5,
    minRuns: 10,
    minTimeS: 0.5,
    maxTimeS: 3,
    targetRelCi: 0.05,
    userMinimums: false,
  },
  standard: {},
  thorough: {
    warmupRuns: 20,
    warmupTimeS: 5,
    minRuns: 100,
    minTimeS: 5,
    maxTimeS: 60,
    targetRelCi: 0.005,
    userMinimums: false,
  },
};

export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** The precisions a run can ask for, with what each means (a backend that cannot run one refuses it with the reason). */
export const PRECISIONS: readonly { value: PrecisionName; note: string }[] = [
  { value: 'fp32', note: 'the reference' },
  {
    value: 'fp16',
    note: 'float16 weights and compute; refused, with the reason, where the backend has no float16 kernels (ONNX Runtime CPU on x86-64)',
  },
  {
    value: 'int8',
    note: 'static QDQ quantization (per-channel int8 weights, calibrated uint8 activations) that ONNX Runtime fuses into integer kernels; fidelity against fp32 recorded',
  },
];

/** One job of the queue, as main's board has it (shared/contract/api.ts BenchJobView). */
export type JobRow = BenchJobView;
export type RunState = BenchRunView;

/** One parameter of one block over a range: each value becomes a target. */
export interface SweepSpec {
  block: string;
  param: string;
  from: number;
  to: number;
  /** Multiplier (mode 'mul', > 1) or increment (mode 'add', > 0). */
  step: number;
  mode: SweepMode;
  /** The block's other parameters (non-defaults). */
  base: Record<string, string | number | boolean>;
}

/** The most targets one sweep may produce (BenchRequestSchema allows 500 targets in all). */
export const MAX_SWEEP_VALUES = 64;

/** The values of a sweep, or why there are none. */
export function sweepValues(s: Pick<SweepSpec, 'from' | 'to' | 'step' | 'mode'>): { values: number[]; error?: string } {
  const { from, to, step, mode } = s;
  if (![from, to, step].every(Number.isFinite)) return { values: [], error: 'from, to and step must be numbers' };
  if (to < from) return { values: [], error: "'to' must not be below 'from'" };
  if (mode === 'mul' && !(step > 1)) return { values: [], error: 'a ×step must be above 1' };
  if (mode === 'add' && !(step > 0)) return { values: [], error: 'a +step must be above 0' };
  if (mode === 'mul' && !(from > 0)) return { values: [], error: "a ×step sweep needs 'from' above 0" };
  const values: number[] = [];
  for (let v = from; v <= to * (1 + 1e-12); v = mode === 'mul' ? v * step : v + step) {
    values.push(Number(v.toPrecision(12)));
    if (values.length > MAX_SWEEP_VALUES)
      return { values: [], error: `more than ${MAX_SWEEP_VALUES} values: use a larger step or a smaller range` };
  }
  return { values };
}

/** Identity of a target, for de-duplication. */
export const targetKey = (t: ApiTarget): string =>
  JSON.stringify(
    t.kind === 'file'
      ? [t.kind, t.fileId, Object.entries(t.dims ?? {}).sort()]
      : [t.kind, t.name, t.kind === 'model' ? (t.variant ?? '') : '', Object.entries(t.params ?? {}).sort()],
  );

/** The form as saved in settings (lastBench) and restored. */
export interface BenchForm {
  targets: ApiTarget[];
  backends: BackendName[];
  batches: number[];
  threads: number[];
  precision: PrecisionName[];
  calibration: CalibrationMethod;
  repetitions: number;
  scenario: Scenario;
  preset: MeasurePreset;
  sweep: SweepSpec;
  profile: boolean;
}

const isBackend = (v: unknown): v is BackendName => (BACKEND_NAMES as readonly unknown[]).includes(v);
const intList = (v: unknown, min: number, max: number): number[] | undefined =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= min && x <= max)
    ? [...new Set(v as number[])]
    : undefined;

function isTarget(v: unknown): v is ApiTarget {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  if (t.kind === 'file') return typeof t.fileId === 'string';
  return (t.kind === 'block' || t.kind === 'model') && typeof t.name === 'string' && t.name !== '';
}

/** Takes what is valid from a saved form (it may come from an older version of the studio). */
export function parseForm(raw: unknown): Partial<BenchForm> {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: Partial<BenchForm> = {};
  // Opened files do not survive a restart (their handles die with main): only blocks and models return.
  if (Array.isArray(r.targets)) out.targets = r.targets.filter(isTarget).filter((t) => t.kind !== 'file');
  if (Array.isArray(r.backends) && r.backends.every(isBackend) && r.backends.length) out.backends = r.backends;
  const batches = intList(r.batches, 1, 65_536);
  if (batches?.length) out.batches = batches;
  const threads = intList(r.threads, 0, 1024);
  if (threads) out.threads = threads;
  if (Number.isInteger(r.repetitions) && (r.repetitions as number) >= 1 && (r.repetitions as number) <= 100)
    out.repetitions = r.repetitions as number;
  if (r.scenario === 'single-stream' || r.scenario === 'offline') out.scenario = r.scenario;
  if (Array.isArray(r.precision) && r.precision.length && r.precision.every((p) => PRECISION_NAMES.includes(p)))
    out.precision = [...new Set(r.precision as PrecisionName[])];
  if ((CALIBRATION_METHODS as readonly unknown[]).includes(r.calibration))
    out.calibration = r.calibration as CalibrationMethod;
  if (r.preset === 'quick' || r.preset === 'standard' || r.preset === 'thorough') out.preset = r.preset;
  if (typeof r.profile === 'boolean') out.profile = r.profile;
  const s = r.sweep as Record<string, unknown> | undefined;
  if (
    s &&
    typeof s.block === 'string' &&
    typeof s.param === 'string' &&
    [s.from, s.to, s.step].every((x) => typeof x === 'number') &&
    (s.mode === 'mul' || s.mode === 'add')
  )
    out.sweep = {
      block: s.block,
      param: s.param,
      from: s.from as number,
      to: s.to as number,
      step: s.step as number,
      mode: s.mode,
      base: typeof s.base === 'object' && s.base !== null ? (s.base as SweepSpec['base']) : {},
    };
  return out;
}

export const PROGRESS_THROTTLE_MS = 150;

/** How far along a status is (a row never goes back: a late board answer must not undo an event). */
const rank = (s: JobStatus): number => (s === 'queued' ? 0 : s === 'running' ? 1 : 2);

type Progress = ApiEvents['bench.progress'];

function failureText(r: ApiEvents['bench.job-end']['result']): string | undefined {
  const f = r.failure;
  if (!f) return r.status === 'ok' ? undefined : r.status;
  return `${f.kind}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`;
}

/**
 * A block or model target's `batch` parameter (the Models view's batch field) moved out: the batch
 * belongs to the sweep's batch sizes, and a target that also sets it is refused by main.
 */
export function withoutBatch(t: ApiTarget): { target: ApiTarget; batch?: number } {
  if (t.kind === 'file' || !t.params || !('batch' in t.params)) return { target: t };
  const { batch, ...params } = t.params;
  const n = Number(batch);
  return { target: { ...t, params }, ...(Number.isInteger(n) && n >= 1 ? { batch: n } : {}) };
}

// Outside the state: timers and subscriptions are not data.
let pending = new Map<string, Progress>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let unsubscribe: (() => void)[] = [];
/**
 * Rows by job id: a 10,000-job run ends with 10,000 job-end events, and a linear search for each
 * would cost 10^8 comparisons. Rebuilt when the rows array is replaced or grows or shrinks.
 */
let rowIndex = new Map<string, JobRow>();
let indexed: { rows: unknown; length: number } = { rows: null, length: -1 };
/** Batches carried out of targets added before the saved form was restored (kept through the restore). */
const carriedBeforeRestore: number[] = [];

export const useBenchStore = defineStore('bench', {
  state: () => ({
    targets: [] as ApiTarget[],
    /** Display names of opened files by handle (files.* answers give them). */
    fileNames: {} as Record<string, string>,
    backends: ['ort-cpu'] as BackendName[],
    batches: [1] as number[],
    /** Intra-op thread counts; empty lets the runtime choose (one per physical core). */
    threads: [] as number[],
    precision: ['fp32'] as PrecisionName[],
    /** int8 only: how activation ranges are calibrated. */
    calibration: 'minmax' as CalibrationMethod,
    repetitions: 1,
    scenario: 'single-stream' as Scenario,
    preset: 'standard' as MeasurePreset,
    sweep: { block: 'bottleneck', param: 'mid', from: 16, to: 128, step: 2, mode: 'mul', base: {} } as SweepSpec,
    jobs: [] as JobRow[],
    runs: [] as RunState[],
    /** Targets of the last Run that main refused (the others ran), with the reasons. */
    refused: [] as RefusedTarget[],
    /** What the last form change did that the user did not type (a batch carried into Batch sizes). */
    notice: null as string | null,
    /** The batch or thread list as typed is invalid (the view's text fields): Run waits for a fix. */
    listError: null as string | null,
    /** Profile each job (per-layer kernel times and placement; a little slower to measure). */
    profile: false,
    starting: false,
    error: null as string | null,
    restored: false,
    /** The queue was read from main (bench.queue) since the page loaded. */
    synced: false,
  }),
  getters: {
    /** Jobs one Run would queue now. */
    jobCount: (s) =>
      s.targets.length *
      s.backends.length *
      s.batches.length *
      Math.max(1, s.threads.length) *
      s.precision.length *
      s.repetitions,
    activeJobs: (s) => s.jobs.filter((j) => j.status === 'queued' || j.status === 'running'),
    running(): boolean {
      return this.activeJobs.length > 0 || this.runs.some((r) => !r.ended);
    },
    sweepPreview: (s) => sweepValues(s.sweep),
    /** "50 targets x 2 backends x 3 batch sizes x 2 repetitions": what multiplies into the job count. */
    axesText(): string {
      const axes: [number, string][] = [
        [this.targets.length, 'target'],
        [this.backends.length, 'backend'],
        [this.batches.length, 'batch size'],
        [this.threads.length, 'thread count'],
        [this.precision.length, 'precision'],
        [this.repetitions, 'repetition'],
      ];
      return axes
        .filter(([n], i) => i < 3 || n > 1)
        .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`)
        .join(' × ');
    },
    /**
     * The least time the run takes, in seconds: each job's warm-up and minimum measuring time plus
     * about a second to start its process (the early stop cannot end a job sooner than that).
     */
    leastSeconds(): number {
      const m = MeasureSchema.parse({ ...MEASURE_PRESETS[this.preset] });
      return this.jobCount * (m.warmupTimeS + m.minTimeS + 1);
    },
    /** A run big enough that Run asks first (SWEEP_LIMITS.confirmAbove). */
    needsConfirmation(): boolean {
      return this.jobCount > SWEEP_LIMITS.confirmAbove;
    },
    /** Why Run is disabled, or null. */
    blocker(): string | null {
      if (this.listError) return `${this.listError}.`;
      if (this.targets.length === 0) return 'Add at least one target.';
      if (this.backends.length === 0) return 'Choose at least one backend.';
      if (this.batches.length === 0) return 'Give at least one batch size.';
      if (this.precision.length === 0) return 'Choose at least one precision.';
      if (this.targets.length > 500) return 'At most 500 targets per run.';
      if (this.jobCount > SWEEP_LIMITS.hardCap)
        return `At most ${SWEEP_LIMITS.hardCap.toLocaleString('en-US')} jobs per run: this one makes ${this.jobCount.toLocaleString('en-US')} (${this.axesText}); use fewer values or split it.`;
      const withBatch = this.targets.find((t) => t.kind !== 'file' && t.params && 'batch' in t.params);
      if (withBatch)
        return `A target sets its own batch (${withBatch.kind === 'file' ? '' : withBatch.name}): remove it and give the batch in Batch sizes.`;
      return null;
    },
    request(): BenchRequest {
      return {
        targets: this.targets.map((t) => ({ ...t })),
        backends: this.profile ? this.backends.map((backend) => ({ backend, profiling: true })) : [...this.backends],
        batches: [...this.batches],
        ...(this.threads.length ? { threads: [...this.threads] } : {}),
        precision: [...this.precision],
        ...(this.precision.includes('int8') ? { calibration: { method: this.calibration } } : {}),
        repetitions: this.repetitions,
        scenario: this.scenario,
        ...(this.preset !== 'standard' ? { measure: { ...MEASURE_PRESETS[this.preset] } } : {}),
      };
    },
    form(): BenchForm {
      return JSON.parse(
        JSON.stringify({
          targets: this.targets,
          backends: this.backends,
          batches: this.batches,
          threads: this.threads,
          precision: this.precision,
          calibration: this.calibration,
          repetitions: this.repetitions,
          scenario: this.scenario,
          preset: this.preset,
          sweep: this.sweep,
          profile: this.profile,
        }),
      ) as BenchForm;
    },
  },
  actions: {
    /**
     * Appends a target (ignored when the same one is already there); `name` labels an opened file. A
     * `batch` parameter goes into Batch sizes instead (the batch is the sweep's), said in `notice`.
     */
    addTarget(raw: ApiTarget, name?: string): boolean {
      const { target: t, batch } = withoutBatch(raw);
      if (t.kind === 'file' && name) this.fileNames[t.fileId] = name;
      if (batch !== undefined && !this.restored) carriedBeforeRestore.push(batch);
      if (batch !== undefined && !this.batches.includes(batch)) {
        this.batches = [...this.batches, batch];
        this.notice = `Batch ${batch} was added to Batch sizes (the batch is set there, for every target).`;
      }
      const key = targetKey(t);
      if (this.targets.some((x) => targetKey(x) === key)) return false;
      this.targets.push(t);
      return true;
    },
    removeTarget(index: number): void {
      this.targets.splice(index, 1);
    },
    clearTargets(): void {
      this.targets = [];
    },
    /** Adds one target per sweep value; returns how many were added. */
    addSweep(): number {
      const { values, error } = sweepValues(this.sweep);
      if (error) {
        this.error = `Sweep: ${error}`;
        return 0;
      }
      this.error = null;
      const s = this.sweep;
      let added = 0;
      for (const v of values)
        if (this.addTarget({ kind: 'block', name: s.block, params: { ...s.base, [s.param]: v } })) added++;
      return added;
    },
    togglePrecision(p: PrecisionName, on: boolean): void {
      if (this.precision.includes(p) !== on) this.precision = toggled(PRECISION_NAMES, this.precision, p, on);
    },
    toggleBackend(b: BackendName, on: boolean): void {
      const has = this.backends.includes(b);
      if (on && !has) this.backends.push(b);
      if (!on && has) this.backends = this.backends.filter((x) => x !== b);
    },
    /** Applies a saved form (settings.lastBench, or the settings store's copy). */
    applyForm(raw: unknown): void {
      const f = parseForm(raw);
      if (f.targets) this.targets = f.targets;
      if (f.backends) this.backends = f.backends;
      if (f.batches) this.batches = f.batches;
      if (f.threads) this.threads = f.threads;
      if (f.precision) this.precision = f.precision;
      if (f.calibration) this.calibration = f.calibration;
      if (f.repetitions) this.repetitions = f.repetitions;
      if (f.scenario) this.scenario = f.scenario;
      if (f.preset) this.preset = f.preset;
      if (f.sweep) this.sweep = f.sweep;
      if (f.profile !== undefined) this.profile = f.profile;
      // Forms saved before batches moved out of targets: carry them over the same way.
      if (f.targets) {
        const targets = this.targets;
        this.targets = [];
        for (const t of targets) this.addTarget(t);
      }
    },
    /** Restores the last form once: from the settings store when it has loaded, else from settings.get. */
    async restore(): Promise<void> {
      if (this.restored) return;
      this.restored = true;
      const settings = useSettingsStore();
      let saved: unknown = settings.lastBench;
      if (!settings.loaded) {
        try {
          saved = (await getApi().call('settings.get', {})).lastBench;
        } catch {
          saved = undefined;
        }
      }
      // Targets added from other views before this one opened are appended to the saved ones, as
      // they are once it has opened: "Benchmark this ..." always adds, never replaces.
      if (saved) {
        const added = [...this.targets];
        const carried = [...carriedBeforeRestore];
        this.applyForm(saved);
        for (const b of carried) if (!this.batches.includes(b)) this.batches.push(b);
        for (const t of added) this.addTarget(t);
      }
    },
    async saveForm(): Promise<void> {
      await useSettingsStore().saveLastBench(this.form as unknown as Record<string, unknown>);
    },
    /** Listens to the bench.* events (once; the returned function stops listening). */
    attach(): () => void {
      if (unsubscribe.length) return () => this.detach();
      const api = getApi();
      unsubscribe = [
        api.on('bench.run-start', (e) => this.onRunStart(e)),
        // Events were lost while the stream was down: main's board is the truth.
        api.on('app.reconnected', () => void this.sync()),
        api.on('bench.cancelling', (e) => this.onCancelling(e)),
        api.on('bench.cleared', (e) => this.onCleared(e)),
        api.on('bench.job-start', (e) => this.onJobStart(e)),
        api.on('bench.progress', (e) => this.onProgress(e)),
        api.on('bench.job-end', (e) => this.onJobEnd(e)),
        api.on('bench.run-end', (e) => this.onRunEnd(e)),
      ];
      void this.sync();
      return () => this.detach();
    },
    /**
     * Replaces the queue with main's board (a reload, a second tab, a reconnect): what every view
     * shows, with labels, progress and outcomes. Events that arrive meanwhile are applied after it.
     */
    async sync(): Promise<void> {
      const before = new Set([...this.runs.map((r) => r.runId)]);
      let board: BenchQueueView;
      try {
        board = await getApi().call('bench.queue', {});
      } catch (e) {
        this.error = `Could not read the queue: ${errorMessage(e)}`;
        return;
      }
      const local = new Map(this.jobs.map((j) => [j.id, j]));
      const known = new Set(board.runs.map((r) => r.runId));
      // Runs that began here while the board was on its way are newer than its answer: kept.
      const newer = (runId: string) => !known.has(runId) && !before.has(runId);
      this.runs = [...board.runs, ...this.runs.filter((r) => newer(r.runId))];
      this.jobs = [
        ...board.jobs.map((j) => {
          // A row already further along here (an event newer than the board's answer) keeps its state.
          const mine = local.get(j.id);
          return mine && rank(mine.status) > rank(j.status) ? mine : j;
        }),
        ...this.jobs.filter((j) => newer(j.runId)),
      ];
      this.synced = true;
    },
    detach(): void {
      for (const u of unsubscribe) u();
      unsubscribe = [];
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      pending = new Map();
    },
    /** Starts a run of the form; its jobs appear queued. Returns the run's id, or null on error. */
    async start(): Promise<string | null> {
      if (this.blocker) {
        this.error = this.blocker;
        return null;
      }
      this.attach();
      this.starting = true;
      this.error = null;
      this.refused = [];
      try {
        const { runId, jobs, refused } = await getApi().call('bench.start', this.request);
        this.onRunStart({ runId, startedAt: new Date().toISOString(), jobs, refused: refused ?? [] });
        this.refused = refused ?? [];
        void this.saveForm();
        return runId;
      } catch (e) {
        this.error = errorMessage(e);
        return null;
      } finally {
        this.starting = false;
      }
    },
    /**
     * Cancels one job, or (no id) the active jobs shown: per run, the whole run when all its active
     * jobs are shown (they always are once synced), else exactly the shown ones.
     */
    async cancel(jobId?: string): Promise<void> {
      const api = getApi();
      try {
        if (jobId) {
          const row = this.row(jobId);
          if (!row) return;
          row.cancelRequested = true;
          await api.call('bench.cancel', { runId: row.runId, jobId });
          return;
        }
        const shown = this.activeJobs;
        for (const j of shown) j.cancelRequested = true;
        const byRun = new Map<string, string[]>();
        for (const j of shown) byRun.set(j.runId, [...(byRun.get(j.runId) ?? []), j.id]);
        await Promise.all(
          [...byRun].map(([runId, ids]) =>
            this.synced
              ? api.call('bench.cancel', { runId })
              : Promise.all(ids.map((id) => api.call('bench.cancel', { runId, jobId: id }))),
          ),
        );
      } catch (e) {
        this.error = `Cancel failed: ${errorMessage(e)}`;
      }
    },
    /** Forgets finished jobs in every view (main's board; the results stay saved). */
    async clearFinished(): Promise<void> {
      const ended = new Set(this.runs.filter((r) => r.ended).map((r) => r.runId));
      this.onCleared({ runIds: [...ended] });
      try {
        await getApi().call('bench.clearFinished', {});
      } catch (e) {
        this.error = `Clear failed: ${errorMessage(e)}`;
      }
    },
    onRunStart(e: ApiEvents['bench.run-start']): void {
      if (!this.runs.some((r) => r.runId === e.runId))
        this.runs.push({ runId: e.runId, startedAt: e.startedAt, ended: false, refused: e.refused });
      const fresh: JobRow[] = [];
      for (const j of e.jobs) {
        const row = this.row(j.id);
        if (!row) fresh.push(this.newRow(e.runId, j.id, j.label));
        else if (row.label === row.id) row.label = j.label;
      }
      // One push (not one per job): the row index is rebuilt once, not per row.
      for (let i = 0; i < fresh.length; i += 10_000) this.jobs.push(...fresh.slice(i, i + 10_000));
    },
    onCancelling(e: ApiEvents['bench.cancelling']): void {
      for (const id of e.jobIds) {
        const row = this.row(id);
        if (row && (row.status === 'queued' || row.status === 'running')) row.cancelRequested = true;
      }
    },
    onCleared(e: ApiEvents['bench.cleared']): void {
      const gone = new Set(e.runIds);
      this.jobs = this.jobs.filter((j) => !gone.has(j.runId) || j.status === 'queued' || j.status === 'running');
      this.runs = this.runs.filter((r) => !gone.has(r.runId) || !r.ended);
    },
    row(jobId: string): JobRow | undefined {
      if (indexed.rows !== this.jobs || indexed.length !== this.jobs.length) {
        rowIndex = new Map(this.jobs.map((j) => [j.id, j]));
        indexed = { rows: this.jobs, length: this.jobs.length };
      }
      return rowIndex.get(jobId);
    },
    newRow(runId: string, id: string, label: string): JobRow {
      return { id, runId, label, status: 'queued', fraction: 0 };
    },
    ensureRow(runId: string, jobId: string, label?: string): JobRow {
      let row = this.row(jobId);
      if (!row) {
        // Events can arrive before bench.start answers.
        this.jobs.push(this.newRow(runId, jobId, label ?? jobId));
        if (!this.runs.some((r) => r.runId === runId))
          this.runs.push({ runId, startedAt: new Date().toISOString(), ended: false, refused: [] });
        row = this.jobs[this.jobs.length - 1];
      }
      return row;
    },
    onJobStart(e: ApiEvents['bench.job-start']): void {
      const row = this.ensureRow(e.runId, e.jobId, e.label);
      row.label = e.label || row.label;
      if (row.status === 'queued') row.status = 'running';
      row.phase = 'starting';
    },
    onProgress(e: Progress): void {
      pending.set(e.jobId, e);
      if (!flushTimer) flushTimer = setTimeout(() => this.flushProgress(), PROGRESS_THROTTLE_MS);
    },
    /** Applies the progress events coalesced since the last flush (the latest per job). */
    flushProgress(): void {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      const batch = pending;
      pending = new Map();
      for (const e of batch.values()) {
        const row = this.ensureRow(e.runId, e.jobId);
        if (row.status !== 'queued' && row.status !== 'running') continue;
        row.status = 'running';
        row.phase = e.phase;
        if (e.runs !== undefined) row.runs = e.runs;
        if (e.median !== undefined) row.median = e.median;
        if (e.fraction !== undefined) row.fraction = Math.max(0, Math.min(1, e.fraction));
      }
    },
    onJobEnd(e: ApiEvents['bench.job-end']): void {
      pending.delete(e.jobId);
      const r = e.result;
      const row = this.ensureRow(e.runId, e.jobId, r.label);
      row.status = r.status;
      row.phase = undefined;
      row.cancelRequested = undefined;
      row.resultId = r.id;
      row.runs = r.stats?.n ?? row.runs;
      if (r.stats) row.median = r.stats.p50;
      if (r.status === 'ok') row.fraction = 1;
      row.error = failureText(r);
      row.failureKind = r.failure?.kind;
    },
    onRunEnd(e: ApiEvents['bench.run-end']): void {
      this.flushProgress();
      const run = this.runs.find((r) => r.runId === e.runId);
      if (run) {
        run.ended = true;
        run.counts = { ok: e.ok, failed: e.failed, cancelled: e.cancelled };
      } else
        this.runs.push({
          runId: e.runId,
          startedAt: new Date().toISOString(),
          ended: true,
          refused: [],
          counts: { ok: e.ok, failed: e.failed, cancelled: e.cancelled },
        });
      // Every job ends with bench.job-end before this; anything still open did not run.
      for (const j of this.jobs)
        if (j.runId === e.runId && (j.status === 'queued' || j.status === 'running')) j.status = 'cancelled';
    },
  },
});
