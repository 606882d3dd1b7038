// The job worker: one job per process, started by the queue through a Spawner (spawner.ts). It says
// 'ready', receives one 'start', streams progress, sends one result or failure, and exits. It never
// starts processes of its own, so killing it leaves nothing behind.
//
// It talks through whichever channel its host gives it: child_process IPC (process.send) under
// Node, or process.parentPort under Electron's utilityProcess; nothing else here is host-specific.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSpec } from '../../shared/contract/job.js';
import { RefusedError, type Backend, type HostTensor, type SessionCreation } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { openWorkerChannel } from '../process/channel.js';
import { makeInputs } from '../backends/inputs.js';
import { MemoryTracker, measureRuns, msSince, nowNs, ProgressThrottle, warmup } from './measure.js';
import { joinNodeTimings, placementOf, strictPlacementRefusal } from '../../shared/stats/node-map.js';
import {
  ParentMessageSchema,
  TEST_FAULT_ENV,
  type WorkerMessage,
  type WorkerPayload,
  type ProgressMessage,
} from '../process/job-protocol.js';
import { memoryEstimate, modelBytes, resolveJob, type ResolvedJob } from './resolve.js';
import { deviceMemoryOf } from '../machine/gpu-memory.js';
import { loadNativeAddon } from '../backends/native/addon.js';
import { buildVariant, measureFidelity, type BuiltVariant } from '../precision/variant.js';
import { instabilityFlags, latencyStats, median } from '../../shared/stats/latency.js';
import type { DeviceResidentLatency, GpuPhaseSplit, LoadPhases } from '../../shared/contract/result.js';

/** Backends whose work runs off the CPU (device memory, placement). */
const offCpu = (backend: Backend) => !backend.singleDevice && backend.provider !== 'CPUExecutionProvider';

/** The device-resident pass follows the headline one: a share of its time, 0.5-5 s. */
const residentBudgetS = (job: JobSpec) => Math.min(5, Math.max(0.5, job.measure.minTimeS));

/** Extra profiled runs (the first is discarded as warm-up), bounded in time for big models. */
const PROFILE_RUNS = 6;
const PROFILE_MAX_MS = 3000;

/**
 * Test hook, not a feature: STUDIO_TEST_FAULT makes a worker misbehave so that tests can check
 * that the queue records each failure and goes on. 'crash' exits non-zero with a message on stderr,
 * 'hang' spins forever (only SIGKILL stops it), 'sigkill' kills itself with SIGKILL as a kill -9 or
 * the operating system's out-of-memory killer would (recorded as 'killed': a SIGKILL alone does not
 * say who sent it), 'throw' throws inside the job, 'native-abort' calls the addon's testAbort()
 * (std::abort() in C++, which also needs STUDIO_TEST_NATIVE_ABORT=1), and 'alloc' allocates and
 * touches native memory (Buffers, outside the JS heap) until the queue's memory watchdog kills it
 * (recorded as 'oom'); it stops growing at STUDIO_TEST_ALLOC_MAX_BYTES (default 4 GiB) and
 * then hangs, so that a missing watchdog ends in the time limit rather than in the machine's swap.
 */
function injectFault(): void {
  const fault = process.env[TEST_FAULT_ENV];
  if (!fault) return;
  if (fault === 'crash') {
    process.stderr.write('simulated native crash (STUDIO_TEST_FAULT=crash)\n');
    process.exit(3);
  }
  if (fault === 'hang') for (;;);
  if (fault === 'sigkill') process.kill(process.pid, 'SIGKILL');
  if (fault === 'throw') throw new Error('simulated failure (STUDIO_TEST_FAULT=throw)');
  if (fault === 'native-abort') {
    const addon = loadNativeAddon() as unknown as { testAbort?: () => void };
    if (!addon.testAbort) throw new Error('the native addon has no testAbort(): rebuild it (npm run build:native)');
    addon.testAbort();
  }
  if (fault === 'alloc') {
    const max = Number(process.env.STUDIO_TEST_ALLOC_MAX_BYTES ?? 4 * 2 ** 30);
    const chunk = 32 * 2 ** 20;
    const held: Buffer[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // Filled with ones, so every page is touched and counts in the resident set.
    while (held.length * chunk < max) {
      held.push(Buffer.alloc(chunk, 1));
      Atomics.wait(pause, 0, 0, 5);
    }
    for (;;) Atomics.wait(pause, 0, 0, 1000);
  }
}

/**
 * The load phases of a job (LoadPhases): what was timed on the way to the first run, the first run
 * against the warm median, and on GPU backends the upload / compute / read-back split or why not.
 */
function loadPhases(
  job: JobSpec,
  backend: Backend,
  m: {
    buildMs: number;
    variantMs?: number;
    sessionMs: number;
    creation?: SessionCreation;
    firstRunMs: number;
    warmMedianMs: number;
    gpuSplit?: GpuPhaseSplit;
    residentFailure?: string;
  },
): LoadPhases {
  const gpuUnmeasured = () =>
    m.residentFailure !== undefined
      ? `upload, compute and read-back were not measured: ${m.residentFailure}`
      : (backend.gpuSplitUnmeasured ??
        'this backend cannot keep tensors on the device, so upload, compute and read-back cannot be timed apart');
  return {
    build: { ms: m.buildMs, method: buildMethod(job, backend) },
    ...(m.variantMs !== undefined
      ? {
          variant: {
            ms: m.variantMs,
            method: `wall time: the ${job.precision} variant built from the fp32 bytes and checked on the runtime (calibration included)`,
          },
        }
      : {}),
    sessionCreateMs: m.sessionMs,
    sessionParts: m.creation?.parts ?? [],
    sessionUnseparated: m.creation?.unseparated ?? ['this backend does not time the parts of its session creation'],
    firstRunMs: m.firstRunMs,
    warmMedianMs: m.warmMedianMs,
    firstRunOverheadMs: m.firstRunMs - m.warmMedianMs,
    firstRunNotes: m.creation?.firstRun ?? [],
    ...(offCpu(backend) ? (m.gpuSplit ? { gpu: m.gpuSplit } : { gpuUnmeasured: gpuUnmeasured() }) : {}),
  };
}

/** What the build step of the load phases covers, in words. */
function buildMethod(job: JobSpec, backend: Backend): string {
  if (job.target.kind === 'file')
    return 'wall time: the ONNX file read, checked and parsed into the studio graph, costed, and its bytes taken (or re-exported: see the notes)';
  return needsModelBytes(job, backend)
    ? "wall time: the target built into the studio graph (shapes inferred), costed, and exported to ONNX bytes with the job's seeded weights"
    : 'wall time: the target built into the studio graph (shapes inferred) and costed (this backend compiles the graph itself: no ONNX bytes are written)';
}

/**
 * Whether the job needs the model as ONNX bytes: a backend that compiles the studio graph (native)
 * never reads them for an fp32 job, and writing them costs seconds on a large model (ResNet-50:
 * about 2 s of seeded weights serialized for nothing).
 */
function needsModelBytes(job: JobSpec, backend: Backend): boolean {
  return !backend.compilesGraph || job.precision !== 'fp32';
}

function costSummary(r: ResolvedJob, precision: JobSpec['precision']): NonNullable<WorkerPayload['cost']> {
  const t = r.cost.totals;
  return {
    params: t.params,
    macs: t.macs,
    flops: t.flops,
    // A variant stores its weights at 2 (fp16) or 1 (int8) byte per value (int8's scales and int32 biases aside).
    weightBytes: precision === 'fp32' ? t.weightBytes : t.weightBytesByPrecision[precision],
    peakActivationBytes: t.peakActivationBytes,
  };
}

async function runJob(job: JobSpec, progress: ProgressThrottle, mem: MemoryTracker, partial: Partial<WorkerPayload>) {
  const phaseStart = (phase: ProgressMessage['phase']) => progress.report(phase, 0, 0, { force: true });
  injectFault();
  phaseStart('load');
  const tLoad = nowNs();
  const resolved = resolveJob(job);
  partial.cost = costSummary(resolved, job.precision);
  const estimate = memoryEstimate(resolved.cost);
  const backend = getBackend(job.backend.backend);
  const fp32Bytes = needsModelBytes(job, backend) ? modelBytes(job, resolved) : new Uint8Array();
  const buildMs = msSince(tLoad);
  // fp16/int8: the variant is built from the fp32 bytes and checked on the runtime before the timers
  // (calibration runs count in loadMs, not in any latency).
  let variant: BuiltVariant | undefined;
  let variantMs: number | undefined;
  const variantFlags: string[] = [];
  if (job.precision !== 'fp32') {
    const refusal = backend.precisionRefusal?.(job.precision);
    if (refusal) throw new RefusedError(refusal);
    const tVariant = nowNs();
    variant = await buildVariant(fp32Bytes, resolved.graph, job.precision, { calibration: job.calibration });
    partial.precision = variant.details;
    variantFlags.push(...((await backend.checkVariant?.(job.backend, variant)) ?? []));
    variantMs = msSince(tVariant);
  }
  const bytes = variant?.bytes ?? fp32Bytes;
  const loadMs = msSince(tLoad);
  mem.sample();

  phaseStart('session');
  const tSession = nowNs();
  // The studio graph describes the fp32 model only: a variant is given to the backend as bytes alone.
  const session = await backend.createSession(
    bytes,
    job.backend,
    variant ? { seed: job.seed, timeCreation: true } : { graph: resolved.graph, seed: job.seed, timeCreation: true },
  );
  const sessionMs = msSince(tSession);
  // Before any run: ONNX Runtime ends its creation profile here (load phases).
  const creation = session.creation?.();
  // Only once a session exists has anything run anywhere (placement is refined by the profile).
  const info = session.info?.() ?? {};
  const adapter = (await backend.adapterInUse?.()) ?? { flags: [] };
  const runtime = {
    ...backend.runtime,
    providers: info.providers ?? [backend.provider],
    ...(adapter.adapter ? { adapter: adapter.adapter } : {}),
  };
  partial.runtime = runtime;
  const host = makeInputs(resolved.graph, job.seed);
  const inputs = session.prepare(host);
  mem.sample();
  // Fidelity: one untimed run of the variant on this backend against one fp32 run on ORT's CPU provider.
  if (variant) variantFlags.push(...(await variantFidelity(session, fp32Bytes, host, job.seed, variant)));

  phaseStart('cold');
  const tFirst = process.hrtime.bigint();
  await session.run(inputs);
  const firstRunMs = Number(process.hrtime.bigint() - tFirst) / 1e6;
  mem.sample();

  const warm = await warmup(session, inputs, job.measure, progress);
  const { samplesMs, stopReason, measuredMs } = await measureRuns(session, inputs, job.measure, progress);
  // Peak memory is taken before the profiling session exists: it belongs to the measured session.
  const memory = mem.result(estimate.estimatedBytes);
  // Device memory is read while the session still holds it, or said to be unmeasurable.
  if (offCpu(backend)) Object.assign(memory, deviceMemoryOf(backend.provider, adapter.adapter));
  const residentFlags: string[] = [];
  const resident = session.deviceResident
    ? await session
        .deviceResident(host, { headlineMs: median(samplesMs), budgetS: residentBudgetS(job) })
        .catch((e: Error) => {
          residentFlags.push(`the device-resident latency could not be measured: ${e.message.split('\n')[0]}`);
          return undefined;
        })
    : undefined;
  await session.release();
  // The GPU split travels in the load phases, the device-resident latency on its own.
  let deviceResident: DeviceResidentLatency | undefined;
  let gpuSplit: GpuPhaseSplit | undefined;
  if (resident) ({ split: gpuSplit, ...deviceResident } = resident);

  const stats = latencyStats(samplesMs, { batch: job.batch, flops: resolved.cost.totals.flops });
  // Warnings go in `flags` (what "N flags" counts), information in `notes` (shared/stats/flags.ts).
  const payload: WorkerPayload & { notes: string[] } = {
    runtime,
    cost: partial.cost,
    coldStart: { loadMs, sessionMs, firstRunMs },
    warmup: warm,
    samplesMs,
    stopReason,
    measuredMs,
    stats,
    memory,
    flags: [
      ...instabilityFlags(stats),
      ...(info.flags ?? []),
      ...resolved.cost.warnings,
      ...variantFlags,
      ...adapter.flags,
      ...residentFlags,
    ],
    notes: [...resolved.notes, ...(info.notes ?? []), ...(adapter.notes ?? [])],
    ...(variant ? { precision: variant.details } : {}),
    ...(deviceResident ? { deviceResident } : {}),
    phases: loadPhases(job, backend, {
      buildMs,
      variantMs,
      sessionMs,
      creation,
      firstRunMs,
      warmMedianMs: stats.p50,
      gpuSplit,
      // A device-resident pass that failed says why there is no split.
      residentFailure: session.deviceResident && !resident ? (residentFlags[0] ?? 'no reason given') : undefined,
    }),
  };
  // Placement is always checked off the CPU: a job labeled CUDA must say which nodes fell back.
  // The measurement stands on its own: a profiler that fails costs the per-node table, not the job.
  if (job.backend.profiling || offCpu(backend))
    await profilePass(job, backend, bytes, host, resolved, payload, progress).catch((e: Error) =>
      payload.flags.push(`profiling failed, so node placement and per-node times are unknown: ${e.message}`),
    );
  if (job.backend.strictPlacement && offCpu(backend)) {
    const refusal = strictPlacementRefusal(backend.provider, payload.placement);
    if (refusal) {
      // The failure still carries what was learnt about placement.
      if (payload.placement) partial.placement = payload.placement;
      throw new RefusedError(refusal);
    }
  }
  return payload;
}

/** Fills the variant's fidelity; a session without named outputs says so in a flag instead. */
async function variantFidelity(
  session: Awaited<ReturnType<Backend['createSession']>>,
  fp32Bytes: Uint8Array,
  host: HostTensor[],
  seed: number,
  variant: BuiltVariant,
): Promise<string[]> {
  if (!session.runNamed) return ['this backend does not return named outputs, so the fidelity against fp32 is unknown'];
  const out = await session.runNamed(host);
  const outputs = Object.entries(out).flatMap(([name, t]) =>
    // Variants keep float32 inputs and outputs (boundary Casts): only those are compared.
    t.data instanceof Float32Array ? [{ name, shape: t.shape, data: t.data }] : [],
  );
  variant.details.fidelity = await measureFidelity(fp32Bytes, host, outputs, seed);
  return [];
}

/** A second, profiled session, so that the profiler never slows the measured runs. */
async function profilePass(
  job: JobSpec,
  backend: Backend,
  bytes: Uint8Array,
  host: HostTensor[],
  resolved: ResolvedJob,
  payload: WorkerPayload,
  progress: ProgressThrottle,
) {
  const dir = mkdtempSync(join(tmpdir(), 'studio-profile-'));
  try {
    const session = await backend.createSession(bytes, job.backend, {
      profileDir: dir,
      graph: resolved.graph,
      seed: job.seed,
    });
    const inputs = session.prepare(host);
    const t0 = nowNs();
    progress.report('profile', 0, 0, { total: PROFILE_RUNS, force: true });
    let runs = 0;
    while (runs < PROFILE_RUNS && (runs < 2 || msSince(t0) < PROFILE_MAX_MS)) {
      await session.run(inputs);
      progress.report('profile', ++runs, msSince(t0), { total: PROFILE_RUNS });
    }
    const report = await session.profile();
    await session.release();
    progress.report('profile', runs, msSince(t0), { total: PROFILE_RUNS, force: true });
    // A variant's runtime nodes are joined to the fp32 graph too (names survive; Casts map to nothing).
    const joined = joinNodeTimings(resolved.graph, resolved.cost, report.nodes, report.optimizedGraph);
    const placement = placementOf(report.nodes, backend.provider, { nodes: joined, cost: resolved.cost });
    payload.placement = placement;
    payload.runtime = { ...payload.runtime, ...backend.runtime, providers: Object.keys(placement.nodesByProvider) };
    if (job.backend.profiling) payload.nodes = joined;
    if (placement.fallbackNodes.length > 0)
      payload.flags.push(
        `${placement.fallbackNodes.length} of ${report.nodes.length} nodes did not run on ${backend.provider}${placement.fallbackOps.length ? ` (operators ${placement.fallbackOps.join(', ')}; ${sharePct(placement.macsShareByProvider?.[backend.provider])} of the MACs ran there)` : ''}: ${placement.fallbackNodes.slice(0, 10).join(', ')}${placement.fallbackNodes.length > 10 ? ', ...' : ''}`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sharePct(share: number | undefined): string {
  return share === undefined ? 'an unknown share' : `${(share * 100).toFixed(1)}%`;
}

function failureOf(e: unknown): { kind: 'refused' | 'error'; reason: string; detail?: string } {
  if (e instanceof RefusedError) return { kind: 'refused', reason: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: 'error', reason: err.message, detail: err.name === 'StudioError' ? undefined : err.stack };
}

function main(): void {
  const channel = openWorkerChannel<WorkerMessage>();
  // Baseline before the model loads (the runtime's libraries are loaded with this module already).
  const mem = new MemoryTracker();
  const partial: Partial<WorkerPayload> = {};
  const finish = async (msg: WorkerMessage, code: number) => {
    try {
      await channel.send(msg);
    } finally {
      process.exit(code);
    }
  };
  const fail = (e: unknown) => finish({ type: 'failure', failure: failureOf(e), partial }, 0);
  // A parent that dies (a killed CLI) closes the IPC channel: a worker without a parent must not
  // keep a CPU busy. (Electron ends its utility processes with the app.)
  process.on('disconnect', () => process.exit(1));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  let started = false;
  channel.onMessage((raw) => {
    const parsed = ParentMessageSchema.safeParse(raw);
    if (!parsed.success || started) {
      const why = started ? 'a second start message' : parsed.error?.issues.map((i) => i.message).join('; ');
      void fail(new Error(`the job worker received an invalid message: ${why}`));
      return;
    }
    started = true;
    const progress = new ProgressThrottle(
      (p) => void channel.send({ ...p, rssBytes: process.memoryUsage.rss() }).catch(() => {}),
      100,
      () => mem.sample(),
    );
    runJob(parsed.data.job, progress, mem, partial).then(
      (payload) => finish({ type: 'result', payload }, 0),
      (e) => fail(e),
    );
  });
  void channel.send({ type: 'ready', pid: process.pid });
}

main();
