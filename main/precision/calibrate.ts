// Calibration of the int8 variant: the prepared fp32 model runs on ONNX Runtime's CPU provider with
// every tensor the plan quantizes added as a graph output, over the calibration inputs; a
// RangeCollector per tensor turns what it saw into a range by the chosen method.
import type { Calibration } from '../../shared/contract/job.js';
import type { Graph } from '../../shared/ir/types.js';
import { RangeCollector } from '../../shared/precision/calibration.js';
import { withTensorOutputs, type Range } from '../../shared/precision/int8.js';
import type { HostTensor } from '../backends/backend.js';
import { makeInputs } from '../backends/inputs.js';
import { cpuSession, feedsOf } from '../backends/ort/runs.js';

/** Calibration inputs: one list of input tensors per sample. */
export type CalibrationFeeds = AsyncIterable<HostTensor[]> | Iterable<HostTensor[]>;

/** `samples` seeded random inputs (uniform [-1, 1), as the benchmark feeds), sample k seeded with seed + k. */
export function* seededFeeds(graph: Graph, cal: Pick<Calibration, 'samples' | 'seed'>): Iterable<HostTensor[]> {
  for (let k = 0; k < cal.samples; k++) yield makeInputs(graph, cal.seed + k);
}

export interface CalibrationRun {
  ranges: Map<string, Range>;
  samples: number;
  ms: number;
}

export async function calibrate(
  prepared: Uint8Array,
  tensors: string[],
  feeds: CalibrationFeeds,
  cal: Pick<Calibration, 'method' | 'percentile'>,
): Promise<CalibrationRun> {
  const t0 = performance.now();
  const collectors = new Map(tensors.map((t) => [t, new RangeCollector(cal.method)]));
  const session = await cpuSession(withTensorOutputs(prepared, tensors));
  let samples = 0;
  try {
    const wanted = tensors.filter((t) => session.outputNames.includes(t));
    for await (const inputs of feeds) {
      for (const input of inputs) collectors.get(input.name)?.observe(input.data as ArrayLike<number>);
      const out = await session.run(feedsOf(inputs), wanted);
      for (const t of wanted) collectors.get(t)!.observe(out[t].data as Float32Array);
      samples++;
    }
  } finally {
    await session.release();
  }
  if (samples === 0) throw new Error('calibration needs at least one input sample; none was given');
  const ranges = new Map([...collectors].map(([t, c]) => [t, c.range({ percentile: cal.percentile })]));
  return { ranges, samples, ms: performance.now() - t0 };
}
