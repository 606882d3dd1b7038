// What the job worker needs from an inference runtime. ONNX Runtime implements it now (ort.ts);
// the native kernels add one implementation and one registry line (registry.ts).
import type { BackendConfig, BackendName, PrecisionName } from '../../shared/contract/job.js';
import type { DType, Graph, TensorData } from '../../shared/ir/types.js';
import type { GpuAdapter } from '../../shared/contract/machine.js';
import type {
  DeviceResidentLatency,
  GpuPhaseSplit,
  PrecisionDetails,
  SessionCreatePart,
} from '../../shared/contract/result.js';
import type { OptimizedNode, RuntimeNodeTiming } from '../../shared/stats/node-map.js';

/** Why a backend cannot run here; the category lets a UI group the reasons. */
export type UnavailableKind = 'platform' | 'not-bundled' | 'library-missing' | 'no-device' | 'error';

export interface Availability {
  backend: BackendName;
  /** The runtime's own name for the device path, e.g. CPUExecutionProvider. */
  provider: string;
  available: boolean;
  kind?: UnavailableKind;
  /** Always present when unavailable: what is missing and, where possible, what to do. */
  reason?: string;
  /**
   * The graphics adapter a GPU backend runs on, where the studio can tell (WebGPU: the Vulkan
   * adapter Dawn picks). A software one (adapter.software) runs on the CPU and is labeled so.
   */
  adapter?: GpuAdapter;
}

/** An input tensor prepared on the host before any timer starts. */
export interface HostTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: TensorData | Uint16Array;
}

export type { OptimizedNode, RuntimeNodeTiming } from '../../shared/stats/node-map.js';

export interface ProfileReport {
  nodes: RuntimeNodeTiming[];
  /** Absent when the runtime could not save its optimized graph (compiled providers such as TensorRT). */
  optimizedGraph?: OptimizedNode[];
}

export interface SessionOptions {
  /** Turn the runtime's profiler on; its files go to this folder and are deleted by the caller. */
  profileDir?: string;
  /**
   * The studio graph the model bytes were made from, and the seed of its generated weights. A
   * backend that executes the studio graph itself (native) uses it instead of parsing the bytes;
   * ONNX Runtime ignores it.
   */
  graph?: Graph;
  seed?: number;
  /**
   * Values of graph inputs known before running (a conformance case feeds its weights as inputs):
   * a backend that compiles the graph (native) may fold them into constants; ONNX Runtime ignores it.
   */
  inputValues?: ReadonlyMap<string, TensorData>;
  /**
   * Time the creation's parts where that takes a step of its own (ONNX Runtime: its profiler is on
   * while the session is created and ended by creation()); the worker's measured session asks for it.
   */
  timeCreation?: boolean;
}

/** What a session says of its own creation (LoadPhases in shared/contract/result.ts). */
export interface SessionCreation {
  /** The parts the backend timed apart, in order; their sum is at most the creation's wall time. */
  parts: SessionCreatePart[];
  /** What cannot be told apart, and why. */
  unseparated: string[];
  /** What the first run is known to pay for on this backend (shaders compiled on first use). */
  firstRun?: string[];
}

/** The device-resident latency, with the upload / compute / read-back split when it was measured. */
export type DeviceResidentMeasurement = DeviceResidentLatency & { split?: GpuPhaseSplit };

/** A precision variant of a model (precision/variant.ts builds it): its bytes and what was done. */
export interface BuiltVariant {
  bytes: Uint8Array;
  details: PrecisionDetails;
}

/** An output by name, as the runtime returned it (untimed runs: fidelity, verification). */
export interface NamedTensor {
  shape: number[];
  data: TensorData;
}

/** What a session says about itself once created, for the result. */
export interface SessionInfo {
  /** The device paths that actually run the model (default: the backend's provider). */
  providers?: string[];
  /** Warnings for the result's flags (what may make its numbers wrong). */
  flags?: string[];
  /** Information for the result's notes (what the backend rewrote, how it planned memory). */
  notes?: string[];
}

/** Opaque inputs bound to a session (for ONNX Runtime: ort.Tensor objects). */
export type PreparedInputs = unknown;

export interface BackendSession {
  /** Converts host tensors once, outside the timed region. */
  prepare(inputs: HostTensor[]): PreparedInputs;
  /** One inference. The worker times exactly this call, so implementations add nothing around it. */
  run(inputs: PreparedInputs): Promise<unknown>;
  /** Ends profiling and parses the runtime's trace (only for sessions created with profileDir). */
  profile(): Promise<ProfileReport>;
  release(): Promise<void>;
  /** Optional: what actually runs (an ISA path chosen at run time) and notes for the result. */
  info?(): SessionInfo;
  /**
   * Optional, GPU providers that can keep tensors on the device: the latency without the
   * host<->device copies, measured on a sibling session after the headline measurement.
   */
  deviceResident?(inputs: HostTensor[], plan: DeviceResidentPlan): Promise<DeviceResidentMeasurement>;
  /**
   * Optional: the parts of this session's creation. Called right after createSession, before any
   * run (ONNX Runtime's session ends its creation profile there, so no run is profiled).
   */
  creation?(): SessionCreation;
  /** Outputs by name, untimed (precision fidelity, verification, accuracy). */
  runNamed?(inputs: HostTensor[]): Promise<Record<string, NamedTensor>>;
}

export interface DeviceResidentPlan {
  /** Median latency of a complete run (the headline), to size the batches. */
  headlineMs: number;
  /** Time to spend on the whole measurement, seconds. */
  budgetS: number;
}

export interface Backend {
  readonly name: BackendName;
  /** The runtime's provider name the backend asks for (results and placement use it). */
  readonly provider: string;
  readonly runtime: { name: string; version: string };
  /**
   * True when every node runs on the one device path by construction (no fallback to another
   * provider is possible), so the worker need not check placement with a profiled session.
   */
  readonly singleDevice?: boolean;
  /**
   * True when the backend compiles the studio graph it is given (SessionOptions.graph) and never
   * reads the model bytes then, so a caller holding the graph need not write the bytes at all.
   */
  readonly compilesGraph?: boolean;
  /**
   * GPU backends that cannot time a run's upload, compute and read-back apart: why (the result's
   * phases.gpuUnmeasured). Absent on CPU backends and where the split is measured (deviceResident).
   */
  readonly gpuSplitUnmeasured?: string;
  /** Whether the backend can run on this machine: never assumed, always tried. */
  detect(): Promise<Availability>;
  /**
   * Creates a session on exactly the configured device path. A failure because the device path is
   * unavailable throws RefusedError; it never falls back to another device silently.
   */
  createSession(model: Uint8Array, config: BackendConfig, opts?: SessionOptions): Promise<BackendSession>;
  /**
   * Why this backend refuses a precision before any variant is built (the native kernels compute
   * fp32 only), or undefined when it may run it (the variant is then checked by checkVariant).
   */
  precisionRefusal?(precision: PrecisionName): string | undefined;
  /**
   * What the runtime really runs of a built variant, checked before anything is timed: throws
   * RefusedError with the reason when it would not be that precision; returns flags for the result.
   */
  checkVariant?(config: BackendConfig, variant: BuiltVariant): Promise<string[]>;
  /**
   * The graphics adapter the backend computes on, where the studio can tell, and the flags that keep
   * a software adapter's figures from passing as GPU speed. Backends without one leave it out.
   */
  adapterInUse?(): Promise<{ adapter?: GpuAdapter; flags: string[]; notes?: string[] }>;
}

/** A job the studio declines to run (unavailable provider, no memory, a fixed batch): not a crash. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}
