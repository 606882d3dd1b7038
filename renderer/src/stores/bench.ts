// The Benchmark view's state: the form (targets x backends x batches x threads x repetitions, the
// measurement preset), the sweep builder, and the live state of each job of the runs started here,
// fed by the bench.* events. Progress events are coalesced (at most one update per job every
// PROGRESS_THROTTLE_MS) so that a fast run never floods the view.
import { defineStore } from 'pinia';
import type { ApiEvents, ApiTarget, BenchRequest } from '../../../shared/contract/api.js';
import {
  BACKEND_NAMES,
  CALIBRATION_METHODS,
  PRECISIONS as PRECISION_NAMES,
  type BackendName,
  type Measure,
  type PrecisionName,
} from '../../../shared/contract/job.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import { errorMessage, getApi } from '../api/index.js';
import { useSettingsStore } from './settings.js';
import { toggled } from './toggle.js';

export type JobStatus = 'queued' | 'running' | 'ok' | 'failed' | 'cancelled';
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

export interface JobRow {
  id: string;
  runId: string;
  label: string;
  status: JobStatus;
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
  cancelRequested?: boolean;
}

export interface RunState {
  runId: string;
  ended: boolean;
  counts?: { ok: number; failed: number; cancelled: number };
}

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

type Progress = ApiEvents['bench.progress'];

function failureText(r: BenchResult): string | undefined {
  const f = r.failure;
  if (!f) return r.status === 'ok' ? undefined : r.status;
  return `${f.kind}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`;
}

// Outside the state: timers and subscriptions are not data.
let pending = new Map<string, Progress>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let unsubscribe: (() => void)[] = [];

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
    starting: false,
    error: null as string | null,
    restored: false,
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
    /** Why Run is disabled, or null. */
    blocker(): string | null {
      if (this.targets.length === 0) return 'Add at least one target.';
      if (this.backends.length === 0) return 'Choose at least one backend.';
      if (this.batches.length === 0) return 'Give at least one batch size.';
      if (this.precision.length === 0) return 'Choose at least one precision.';
      if (this.targets.length > 500) return 'At most 500 targets per run.';
      return null;
    },
    request(): BenchRequest {
      return {
        targets: this.targets.map((t) => ({ ...t })),
        backends: [...this.backends],
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
        }),
      ) as BenchForm;
    },
  },
  actions: {
    /** Adds a target (ignored when the same one is already there); `name` labels an opened file. */
    addTarget(t: ApiTarget, name?: string): boolean {
      if (t.kind === 'file' && name) this.fileNames[t.fileId] = name;
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
      // Targets added from other views before this one opened win over the saved ones; the rest of
      // the form (backends, batches, preset...) comes back either way.
      if (saved) {
        const added = [...this.targets];
        this.applyForm(saved);
        if (added.length) this.targets = added;
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
        api.on('bench.job-start', (e) => this.onJobStart(e)),
        api.on('bench.progress', (e) => this.onProgress(e)),
        api.on('bench.job-end', (e) => this.onJobEnd(e)),
        api.on('bench.run-end', (e) => this.onRunEnd(e)),
      ];
      return () => this.detach();
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
      try {
        const { runId, jobs } = await getApi().call('bench.start', this.request);
        if (!this.runs.some((r) => r.runId === runId)) this.runs.push({ runId, ended: false });
        for (const j of jobs) if (!this.row(j.id)) this.jobs.push(this.newRow(runId, j.id, j.label));
        void this.saveForm();
        return runId;
      } catch (e) {
        this.error = errorMessage(e);
        return null;
      } finally {
        this.starting = false;
      }
    },
    /** Cancels one job, or (no id) every active run. */
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
        const runIds = new Set([
          ...this.runs.filter((r) => !r.ended).map((r) => r.runId),
          ...this.activeJobs.map((j) => j.runId),
        ]);
        for (const j of this.activeJobs) j.cancelRequested = true;
        await Promise.all([...runIds].map((runId) => api.call('bench.cancel', { runId })));
      } catch (e) {
        this.error = `Cancel failed: ${errorMessage(e)}`;
      }
    },
    /** Forgets finished jobs (the results stay in the store). */
    clearFinished(): void {
      this.jobs = this.jobs.filter((j) => j.status === 'queued' || j.status === 'running');
      this.runs = this.runs.filter((r) => !r.ended);
    },
    row(jobId: string): JobRow | undefined {
      return this.jobs.find((j) => j.id === jobId);
    },
    newRow(runId: string, id: string, label: string): JobRow {
      return { id, runId, label, status: 'queued', fraction: 0 };
    },
    ensureRow(runId: string, jobId: string, label?: string): JobRow {
      let row = this.row(jobId);
      if (!row) {
        // Events can arrive before bench.start answers.
        this.jobs.push(this.newRow(runId, jobId, label ?? jobId));
        if (!this.runs.some((r) => r.runId === runId)) this.runs.push({ runId, ended: false });
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
        this.runs.push({ runId: e.runId, ended: true, counts: { ok: e.ok, failed: e.failed, cancelled: e.cancelled } });
      // Every job ends with bench.job-end before this; anything still open did not run.
      for (const j of this.jobs)
        if (j.runId === e.runId && (j.status === 'queued' || j.status === 'running')) j.status = 'cancelled';
    },
  },
});
