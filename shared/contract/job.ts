// The benchmark job: one target x one backend configuration x batch x precision x threads.
// Validated with zod wherever it crosses a boundary (CLI flags, IPC, a child process, a file).
import { z } from 'zod';

export const JOB_SCHEMA_VERSION = 1;

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

export const TargetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('block'),
    name: z.string().min(1),
    params: z.record(z.string(), paramValue).default({}),
  }),
  z.object({
    kind: z.literal('model'),
    name: z.string().min(1),
    variant: z.string().optional(),
    params: z.record(z.string(), paramValue).default({}),
  }),
  z.object({
    kind: z.literal('file'),
    path: z.string().min(1),
    /** Values of the file's symbolic dimensions; the batch size fills the first input's first one. */
    dims: z.record(z.string(), z.number().int().positive()).default({}),
  }),
]);
export type Target = z.infer<typeof TargetSchema>;

/** ONNX Runtime backends, one per execution provider. */
export const ORT_BACKEND_NAMES = [
  'ort-cpu',
  'ort-cuda',
  'ort-tensorrt',
  'ort-dml',
  'ort-coreml',
  'ort-webgpu',
] as const;
export type OrtBackendName = (typeof ORT_BACKEND_NAMES)[number];

/** Backends by name: `ort-<execution provider>`, and `native` (the studio's own C++ kernels, native/). */
export const BACKEND_NAMES = [...ORT_BACKEND_NAMES, 'native'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * What every face may know of a backend without loading its runtime: where it computes (CPU
 * backends are compared by thread count and CPU; the others by device), whether it takes a native
 * kernel path (--isa), and which CPU backend is the reference a device is compared with. Anything
 * that needs the runtime is asked of the backend itself (main/backends/backend.ts).
 */
export const BACKEND_TRAITS: Record<BackendName, { device: 'cpu' | 'gpu'; takesIsa: boolean }> = {
  'ort-cpu': { device: 'cpu', takesIsa: false },
  'ort-cuda': { device: 'gpu', takesIsa: false },
  'ort-tensorrt': { device: 'gpu', takesIsa: false },
  'ort-dml': { device: 'gpu', takesIsa: false },
  'ort-coreml': { device: 'gpu', takesIsa: false },
  'ort-webgpu': { device: 'gpu', takesIsa: false },
  native: { device: 'cpu', takesIsa: true },
};

/** The CPU backend other devices are compared with. */
export const CPU_REFERENCE_BACKEND: BackendName = 'ort-cpu';

/** Whether a backend (by name, as results carry it) computes on the CPU; an unknown name does not. */
export const isCpuBackend = (backend: string): boolean =>
  Object.hasOwn(BACKEND_TRAITS, backend) && BACKEND_TRAITS[backend as BackendName].device === 'cpu';

/** Kernel paths of the native backend: `auto` takes the best the CPU offers (native/DESIGN.md). */
export const NATIVE_ISAS = ['auto', 'scalar', 'avx2', 'avx512'] as const;
export type NativeIsa = (typeof NATIVE_ISAS)[number];

export const BackendConfigSchema = z.object({
  backend: z.enum(BACKEND_NAMES),
  /** Intra-op threads; 0 lets the runtime choose (one per physical core for ONNX Runtime). */
  intraOpThreads: z.number().int().min(0).max(1024).default(0),
  interOpThreads: z.number().int().min(0).max(1024).default(0),
  graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
  executionMode: z.enum(['sequential', 'parallel']).default('sequential'),
  memoryArena: z.boolean().default(true),
  /** Per-node kernel times and provider placement from the runtime's profiler. */
  profiling: z.boolean().default(false),
  /**
   * Native backend only: the kernel path (instruction set). Absent means `auto`, the best path this
   * CPU supports (optional rather than defaulted so that configurations written before it stay valid
   * as they are, in files and in code).
   */
  isa: z.enum(NATIVE_ISAS).optional(),
  /**
   * GPU providers: a job some of whose nodes fell back to another provider (or whose placement is
   * unknown) is refused instead of reported as a GPU result. Optional so that older files stay valid.
   */
  strictPlacement: z.boolean().optional(),
  /**
   * GPU providers that select a device (ort-cuda, ort-tensorrt, ort-dml): which GPU, numbered as the
   * runtime numbers them (CUDA: fastest first among CUDA_VISIBLE_DEVICES, nvidia-smi's order with
   * CUDA_DEVICE_ORDER=PCI_BUS_ID; DirectML: DXGI's adapter order). Absent means device 0; optional so
   * that configurations and result files written before it stay valid.
   */
  deviceId: z.number().int().min(0).optional(),
});
export type BackendConfig = z.infer<typeof BackendConfigSchema>;

/**
 * When to stop measuring (DESIGN.md "Benchmark method"): warm-up bounded by runs and time; then
 * measured runs until both minRuns and minTimeS are reached, or the median's 95% confidence
 * interval is within targetRelCi of the median (once minRuns are in), never past maxTimeS or maxRuns.
 * The early stop on the confidence interval serves the default minimums only: minimums the user
 * set (`userMinimums`) always hold (shared/stats/latency.ts, stopReason).
 */
/** Each measuring setting and its bounds, without a default (MeasureSchema adds the defaults). */
const MEASURE_FIELDS = {
  warmupRuns: z.number().int().min(0).max(10_000),
  warmupTimeS: z.number().min(0).max(600),
  minRuns: z.number().int().min(1).max(1_000_000),
  minTimeS: z.number().min(0).max(3600),
  maxTimeS: z.number().positive().max(3600),
  maxRuns: z.number().int().min(1).max(10_000_000),
  targetRelCi: z.number().min(0).max(1),
  /**
   * The user set minRuns or minTimeS (recorded by withUserMinimums before the defaults fill them
   * in): both minimums then hold and the confidence-interval early stop is off. False (the
   * default, and every job written before it) lets the early stop end a job before the minimum time.
   */
  userMinimums: z.boolean(),
};

export const MeasureSchema = z.object({
  warmupRuns: MEASURE_FIELDS.warmupRuns.default(5),
  warmupTimeS: MEASURE_FIELDS.warmupTimeS.default(2),
  minRuns: MEASURE_FIELDS.minRuns.default(10),
  minTimeS: MEASURE_FIELDS.minTimeS.default(1),
  maxTimeS: MEASURE_FIELDS.maxTimeS.default(10),
  maxRuns: MEASURE_FIELDS.maxRuns.default(100_000),
  targetRelCi: MEASURE_FIELDS.targetRelCi.default(0.01),
  userMinimums: MEASURE_FIELDS.userMinimums.default(false),
});

/**
 * Measuring settings a sweep or a request overrides: only what was given. Not MeasureSchema.partial(),
 * which in zod 4 fills every default in and so hides what the user set (minimums, a short maximum).
 */
export const MeasureOverridesSchema = z
  .object({
    warmupRuns: MEASURE_FIELDS.warmupRuns,
    warmupTimeS: MEASURE_FIELDS.warmupTimeS,
    minRuns: MEASURE_FIELDS.minRuns,
    minTimeS: MEASURE_FIELDS.minTimeS,
    maxTimeS: MEASURE_FIELDS.maxTimeS,
    maxRuns: MEASURE_FIELDS.maxRuns,
    targetRelCi: MEASURE_FIELDS.targetRelCi,
    userMinimums: MEASURE_FIELDS.userMinimums,
  })
  .partial();
export type MeasureOverrides = z.infer<typeof MeasureOverridesSchema>;
export type Measure = z.infer<typeof MeasureSchema>;
export type MeasureInput = z.input<typeof MeasureSchema>;

/**
 * Records whether the user asked for a minimum, which MeasureSchema's defaults would otherwise hide:
 * `userMinimums` becomes true when the raw settings hold minTimeS or minRuns. Call it on the settings
 * as the user gave them (CLI flags, a request), before any default or derived value is added (the
 * CLI's "--max-time below 1 s lowers the minimum time" is not a minimum the user set). An explicit
 * `userMinimums` in the input is kept as it is.
 */
export function withUserMinimums<M extends Partial<MeasureInput>>(
  measure: M | undefined,
): M & { userMinimums: boolean } {
  const m = (measure ?? {}) as M;
  return { ...m, userMinimums: m.userMinimums ?? (m.minTimeS !== undefined || m.minRuns !== undefined) };
}

/** Numeric precisions of a job: fp32 as built; fp16 and int8 variants built from it (shared/precision/). */
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type PrecisionName = (typeof PRECISIONS)[number];

/** How activation ranges of the int8 variant are calibrated (shared/precision/calibration.ts). */
export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;

export const CalibrationSchema = z.object({
  method: z.enum(CALIBRATION_METHODS).default('minmax'),
  /** Calibration inputs: seeded random inputs, `samples` of them, sample k seeded with seed + k. */
  samples: z.number().int().min(1).max(100_000).default(8),
  /** Distinct from the job's seed by default, so that fidelity is not measured on calibration inputs. */
  seed: z.number().int().default(1000),
  /** The percentile method keeps this share (%) of the values. */
  percentile: z.number().gt(50).max(100).default(99.999),
});
export type Calibration = z.infer<typeof CalibrationSchema>;

export const JobSpecSchema = z
  .object({
    version: z.literal(JOB_SCHEMA_VERSION),
    id: z.string().min(1),
    target: TargetSchema,
    batch: z.number().int().min(1).max(65_536).default(1),
    precision: z.enum(PRECISIONS).default('fp32'),
    /** int8 only: how activation ranges are calibrated (absent: the defaults of CalibrationSchema). */
    calibration: CalibrationSchema.optional(),
    /**
     * MLPerf's terms: single-stream = one query at a time, latency is the answer (p90 headline);
     * offline = all the work at once, throughput over batch sizes is the answer.
     */
    scenario: z.enum(['single-stream', 'offline']).default('single-stream'),
    backend: BackendConfigSchema,
    measure: MeasureSchema.default(MeasureSchema.parse({})),
    /** The whole job (load, warm-up, measurement) is killed past this many seconds. */
    timeLimitS: z
      .number()
      .positive()
      .max(24 * 3600)
      .default(600),
    /** Seed of generated weights and inputs. */
    seed: z.number().int().default(0),
    /** Which fresh-process repetition of the same configuration this is (0-based). */
    repetition: z.number().int().min(0).default(0),
    /** Jobs of one comparison share a group so that reports can pair them. */
    group: z.string().optional(),
  })
  .refine((j) => j.measure.minTimeS <= j.measure.maxTimeS, {
    message: 'measure.minTimeS must not exceed measure.maxTimeS',
    path: ['measure', 'minTimeS'],
  });
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;

/** A short human label of a job: "bottleneck:mid=32 on ort-cpu, batch 1, 2 threads". */
export function jobLabel(j: JobSpec): string {
  const t = j.target;
  const params =
    t.kind === 'file'
      ? ''
      : Object.entries(t.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
  const name = t.kind === 'file' ? t.path : `${t.name}${t.kind === 'model' && t.variant ? `/${t.variant}` : ''}`;
  const threads = j.backend.intraOpThreads ? `, ${j.backend.intraOpThreads} threads` : '';
  // Repetitions of one configuration share everything else: number them so reports can tell them apart.
  const rep = j.repetition > 0 ? `, rep ${j.repetition + 1}` : '';
  const precision = j.precision !== 'fp32' ? ` ${j.precision}` : '';
  return `${name}${params ? `:${params}` : ''}${precision} on ${j.backend.backend}${j.backend.isa && j.backend.isa !== 'auto' ? `/${j.backend.isa}` : ''}, batch ${j.batch}${threads}${rep}`;
}
