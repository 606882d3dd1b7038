// A sweep (targets x backends x batch sizes x thread counts x precisions x repetitions) expanded into jobs.
// With `interleave` (the default) the configurations run A B C A B C ... one repetition at a
// time, so that a drift of the machine (heat, a background task) spreads over every
// configuration instead of masquerading as a difference between them.
import { z } from 'zod';
import {
  BackendConfigSchema,
  BACKEND_NAMES,
  CalibrationSchema,
  PRECISIONS,
  JOB_SCHEMA_VERSION,
  JobSpecSchema,
  MeasureOverridesSchema,
  TargetSchema,
  type JobSpec,
  type JobSpecInput,
} from '../contract/job.js';
import { StudioError } from '../ir/types.js';

/**
 * How big one run may be (jobs = targets x backends x batches x threads x precisions x repetitions,
 * after duplicates are merged). Above `confirmAbove` the app asks before running; past `hardCap` the
 * API, the CLI and the service refuse, naming the count and the cap (issue 19: a sweep of 64,000
 * jobs was accepted, and its cancel took the server down).
 */
export const SWEEP_LIMITS = { confirmAbove: 200, hardCap: 10_000 } as const;

/** The distinct values of each axis of a sweep (duplicates merged), as counts. */
export interface SweepAxes {
  targets: number;
  backends: number;
  batches: number;
  threads: number;
  precisions: number;
  repetitions: number;
}

/** Jobs a sweep expands into, counted without building them (duplicates merged). */
export function sweepJobCount(s: SweepAxes): number {
  return s.targets * s.backends * s.batches * Math.max(1, s.threads) * s.precisions * s.repetitions;
}

/** 64000 -> "64,000" (the same in every locale: messages are compared in tests and read in logs). */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, one: string, many: string) => `${grouped(n)} ${n === 1 ? one : many}`;

/**
 * Refuses a sweep past SWEEP_LIMITS.hardCap with a StudioError ('bad-parameter') that names the
 * count, the cap and the axes; counted from the merged axes alone, before any job is built, so that
 * a huge request costs nothing. Returns the job count.
 */
export function checkSweepSize(axes: SweepAxes, cap: number = SWEEP_LIMITS.hardCap): number {
  const jobs = sweepJobCount(axes);
  if (jobs <= cap) return jobs;
  const parts = [
    plural(axes.targets, 'target', 'targets'),
    plural(axes.backends, 'backend', 'backends'),
    plural(axes.batches, 'batch', 'batches'),
    ...(axes.threads > 1 ? [plural(axes.threads, 'thread count', 'thread counts')] : []),
    ...(axes.precisions > 1 ? [plural(axes.precisions, 'precision', 'precisions')] : []),
    ...(axes.repetitions > 1 ? [plural(axes.repetitions, 'repetition', 'repetitions')] : []),
  ];
  throw new StudioError(
    `a run of ${grouped(jobs)} jobs (${parts.join(' x ')}) is past the cap of ${grouped(cap)}: split it or use fewer values`,
    'bad-parameter',
  );
}

export const SweepSpecSchema = z.object({
  targets: z.array(TargetSchema).min(1),
  /** Backend names, or full backend configurations (threads below override intraOpThreads). */
  backends: z.array(z.union([z.enum(BACKEND_NAMES), BackendConfigSchema])).min(1),
  batches: z.array(z.number().int().min(1)).min(1).default([1]),
  /** Intra-op thread counts; 0 lets the runtime choose. Absent: each backend configuration's own. */
  threads: z.array(z.number().int().min(0)).min(1).optional(),
  /** Precisions of each configuration: fp32 as built, fp16/int8 variants built from it. */
  precisions: z.array(z.enum(PRECISIONS)).min(1).default(['fp32']),
  /** How the int8 variants calibrate (absent: CalibrationSchema's defaults). */
  calibration: CalibrationSchema.partial().optional(),
  /** Fresh-process repetitions of each configuration (DESIGN: 3 for comparisons). */
  repetitions: z.number().int().min(1).max(100).default(1),
  interleave: z.boolean().default(true),
  measure: MeasureOverridesSchema.optional(),
  timeLimitS: z.number().positive().optional(),
  seed: z.number().int().default(0),
  /** Comparison group shared by every job of the sweep; generated when absent. */
  group: z.string().min(1).optional(),
  /** Prefix of job ids; defaults to the group. */
  idPrefix: z.string().min(1).optional(),
});
export type SweepSpec = z.input<typeof SweepSpecSchema>;

/** Everything that makes two jobs the same measurement, except the repetition (and the id). */
export function configKey(job: JobSpec): string {
  const { id: _id, repetition: _r, group: _g, ...rest } = job;
  return stableStringify(rest);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function slug(target: z.infer<typeof TargetSchema>): string {
  const base = target.kind === 'file' ? (target.path.split(/[\\/]/).pop() ?? 'file') : target.name;
  return base.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-');
}

let sweepCounter = 0;

/** The first of each value, in order, by a key (stable JSON for objects). */
function distinct<T>(xs: readonly T[], key: (x: T) => string = stableStringify): T[] {
  const seen = new Map<string, T>();
  for (const x of xs) {
    const k = key(x);
    if (!seen.has(k)) seen.set(k, x);
  }
  return [...seen.values()];
}

type ParsedSweep = z.output<typeof SweepSpecSchema>;
type BackendConfig = JobSpec['backend'];

/**
 * A sweep's axes with duplicates merged: the same target, backend configuration (after parsing, so
 * 'ort-cpu' and { backend: 'ort-cpu' } are one), batch, thread count or precision given twice runs
 * once. With `threads`, backends that differ only in their own intraOpThreads are one (the threads
 * given override it).
 */
function mergedAxes(s: ParsedSweep) {
  const parsed = s.backends.map((b) => BackendConfigSchema.parse(typeof b === 'string' ? { backend: b } : b));
  const backends: BackendConfig[] = s.threads
    ? distinct(parsed, (b) => stableStringify({ ...b, intraOpThreads: null }))
    : distinct(parsed);
  return {
    targets: distinct(s.targets),
    backends,
    batches: distinct(s.batches, String),
    threads: s.threads && distinct(s.threads, String),
    precisions: distinct(s.precisions, String),
  };
}

/** How many distinct values each axis of a sweep has (what sweepJobCount and checkSweepSize take). */
export function sweepAxes(input: SweepSpec): SweepAxes {
  const s = SweepSpecSchema.parse(input);
  const m = mergedAxes(s);
  return {
    targets: m.targets.length,
    backends: m.backends.length,
    batches: m.batches.length,
    threads: m.threads?.length ?? 1,
    precisions: m.precisions.length,
    repetitions: s.repetitions,
  };
}

/**
 * Expands a sweep into validated, uniquely named jobs, in the order they should run. Duplicates are
 * merged first (mergedAxes), and a sweep past SWEEP_LIMITS.hardCap is refused before any job is built.
 */
export function expandSweep(input: SweepSpec): JobSpec[] {
  const s = SweepSpecSchema.parse(input);
  const m = mergedAxes(s);
  checkSweepSize({
    targets: m.targets.length,
    backends: m.backends.length,
    batches: m.batches.length,
    threads: m.threads?.length ?? 1,
    precisions: m.precisions.length,
    repetitions: s.repetitions,
  });
  const group = s.group ?? `sweep-${Date.now().toString(36)}-${(sweepCounter++).toString(36)}`;
  const prefix = s.idPrefix ?? group;
  // Plain inputs here; JobSpecSchema.parse below fills every default and validates the whole job.
  const configs: (Omit<JobSpecInput, 'id'> & {
    target: JobSpec['target'];
    backend: JobSpec['backend'];
    batch: number;
  })[] = [];
  for (const target of m.targets)
    for (const backend of m.backends)
      for (const batch of m.batches)
        for (const threads of m.threads ?? [backend.intraOpThreads])
          for (const precision of m.precisions)
            configs.push({
              version: JOB_SCHEMA_VERSION,
              target,
              batch,
              precision,
              ...(precision === 'int8' ? { calibration: CalibrationSchema.parse(s.calibration ?? {}) } : {}),
              backend: { ...backend, intraOpThreads: threads },
              measure: s.measure ?? {},
              timeLimitS: s.timeLimitS,
              seed: s.seed,
              group,
            });
  const order: [number, number][] = [];
  if (s.interleave) {
    for (let r = 0; r < s.repetitions; r++) configs.forEach((_, c) => order.push([c, r]));
  } else {
    configs.forEach((_, c) => {
      for (let r = 0; r < s.repetitions; r++) order.push([c, r]);
    });
  }
  const width = String(order.length).length;
  // Each configuration is validated once; its repetitions differ only in id and repetition (a run of
  // thousands of jobs is mostly repetitions: one schema pass each would be most of its cost).
  const parsed = configs.map((cfg) => JobSpecSchema.parse({ ...cfg, id: `${prefix}-config`, repetition: 0 }));
  return order.map(([c, r], i) => {
    const cfg = configs[c];
    const precision = cfg.precision && cfg.precision !== 'fp32' ? `-${cfg.precision}` : '';
    const id = `${prefix}-${String(i + 1).padStart(width, '0')}-${slug(cfg.target)}-${cfg.backend.backend}${precision}-b${cfg.batch}-t${cfg.backend.intraOpThreads}-r${r}`;
    return { ...parsed[c], id, repetition: r };
  });
}
