// Does the studio's harness cost anything? The same model and session options timed by the
// studio's job worker (a fresh child process, the engine's measurement loop) and by a bare loop
// in this process (ONNX Runtime's InferenceSession.run between two hrtime readings, nothing else).
// Goal (issue 3): the studio's median within 2% (or 5 microseconds) of the bare loop's.
// Rounds alternate bare / studio so that a drift of the machine hits both sides alike.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { median } from 'simple-statistics';
import { BackendConfigSchema, JOB_SCHEMA_VERSION, type Target } from '../shared/contract/job.js';
import { buildTarget } from '../shared/targets.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { runJobs } from '../main/engine/queue.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

interface Case {
  name: string;
  target: Target;
  runs: number;
}

const CASES: Case[] = [
  {
    name: 'tiny block (pointwise 14x14x152 -> 64)',
    target: { kind: 'block', name: 'pointwise', params: {} },
    runs: 3000,
  },
  {
    name: 'ResNet-50 (torchvision, 224x224)',
    target: { kind: 'model', name: 'resnet50', variant: 'torchvision', params: {} },
    runs: 30,
  },
];

const config = BackendConfigSchema.parse({ backend: 'ort-cpu', intraOpThreads: THREADS, interOpThreads: 1 });

/** Seeded uniform [-1, 1) input, like the worker's. */
function input(shape: number[]): Float32Array {
  let a = 12345;
  const out = new Float32Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < out.length; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    out[i] = (a / 2 ** 32) * 2 - 1;
  }
  return out;
}

async function bare(c: Case): Promise<number> {
  const graph = buildTarget({
    target: c.target.kind === 'file' ? c.target.path : c.target.name,
    variant: c.target.kind === 'model' ? c.target.variant : undefined,
  });
  const session = await ort.InferenceSession.create(graphToOnnx(graph, { seed: 0 }), {
    executionProviders: ['cpu'],
    intraOpNumThreads: config.intraOpThreads,
    interOpNumThreads: config.interOpThreads,
    graphOptimizationLevel: config.graphOptimization,
    executionMode: config.executionMode,
    enableCpuMemArena: config.memoryArena,
    logSeverityLevel: 3,
  });
  const x = graph.inputs[0];
  const feeds = { [x.name]: new ort.Tensor('float32', input(x.shape), x.shape) };
  for (let i = 0; i < Math.min(50, c.runs); i++) await session.run(feeds);
  const samples: number[] = [];
  for (let i = 0; i < c.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await session.release();
  return median(samples);
}

async function studio(c: Case, round: number): Promise<number> {
  const [r] = await runJobs([
    {
      version: JOB_SCHEMA_VERSION,
      id: `overhead-${round}-${c.target.kind}`,
      target: c.target,
      backend: config,
      // Exactly c.runs measured runs: no early stop on the CI, no time bound in the way.
      measure: {
        warmupRuns: Math.min(50, c.runs),
        warmupTimeS: 60,
        minRuns: c.runs,
        maxRuns: c.runs,
        minTimeS: 0,
        maxTimeS: 3600,
        targetRelCi: 0,
      },
    },
  ]);
  if (r.status !== 'ok' || !r.stats) throw new Error(`studio job failed: ${r.failure?.reason}`);
  return r.stats.p50;
}

console.log(
  `machine: ${os.cpus()[0]?.model} x${os.cpus().length}, node ${process.version}, onnxruntime-node ${ort.env.versions.node}`,
);
console.log(
  `config: ort-cpu, intra-op threads ${THREADS}, inter-op 1, optimization all; ${ROUNDS} alternating rounds\n`,
);
for (const c of CASES) {
  const b: number[] = [];
  const s: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    b.push(await bare(c));
    s.push(await studio(c, round));
  }
  const [mb, ms] = [median(b), median(s)];
  // Paired per round (each studio round against the bare round just before it): drift cancels.
  const paired = s.map((v, i) => v / b[i]).sort((x, y) => x - y);
  const diffUs = (ms - mb) * 1000;
  const rel = (ms - mb) / mb;
  const ok = Math.abs(rel) <= 0.02 || Math.abs(diffUs) <= 5;
  console.log(`${c.name}, ${c.runs} runs per round`);
  console.log(`  bare loop medians   ${b.map((v) => v.toFixed(4)).join(', ')} ms -> ${mb.toFixed(4)} ms`);
  console.log(`  studio job medians  ${s.map((v) => v.toFixed(4)).join(', ')} ms -> ${ms.toFixed(4)} ms`);
  console.log(`  paired studio/bare per round: ${paired.map((r) => r.toFixed(3)).join(', ')}`);
  // Round-to-round spread of the bare loop alone: a difference smaller than this is not resolvable here.
  const noise = (Math.max(...b) - Math.min(...b)) / mb;
  console.log(`  bare loop spread across rounds: ${(noise * 100).toFixed(1)}% (the resolution of this comparison)`);
  console.log(
    `  studio / bare = ${(ms / mb).toFixed(4)} (${diffUs >= 0 ? '+' : ''}${diffUs.toFixed(1)} us, ${(rel * 100).toFixed(2)}%): ${ok ? 'within' : 'OUTSIDE'} the 2% / 5 us goal\n`,
  );
}
