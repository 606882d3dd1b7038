// Does importing and costing an ONNX model scale linearly with its size? (Issue 9: "a graph of
// 100,000 nodes imports and is costed in linear time".) Builds chains of 10k, 30k and 100k nodes
// (Add with a per-node bias weight, then Relu, alternating), times decode + shape inference +
// classification (onnxToGraph) and costGraph separately, median of a few runs, and prints the
// time per node and the ratio of each size's time to the smallest's against the ratio of sizes.
// Linear: time per node stays flat (ratio of times ~ ratio of sizes); quadratic would be 100x at 10x.
import os from 'node:os';
import { costGraph } from '../shared/cost/cost-model.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { onnx, type OnnxTypes } from '../shared/onnx/tensor.js';

const SIZES = (process.env.SCALE_SIZES ?? '10000,30000,100000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function chainModel(nodes: number): Uint8Array {
  const width = 8;
  const vi = (name: string): OnnxTypes.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: width }] } } },
  });
  const node: OnnxTypes.INodeProto[] = [];
  const initializer: OnnxTypes.ITensorProto[] = [];
  let prev = 'x';
  for (let k = 0; k < nodes; k++) {
    const out = k === nodes - 1 ? 'y' : `t${k}`;
    if (k % 2 === 0) {
      initializer.push({ name: `b${k}`, dataType: 1, dims: [width], floatData: new Array(width).fill(0.5) });
      node.push({ name: `add${k}`, opType: 'Add', input: [prev, `b${k}`], output: [out] });
    } else node.push({ name: `relu${k}`, opType: 'Relu', input: [prev], output: [out] });
    prev = out;
  }
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: `chain${nodes}`, node, initializer, input: [vi('x')], output: [vi('y')] },
  }).finish();
}

console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}; median of ${REPEATS} runs after a warm-up\n`,
);
console.log('nodes     file KiB  import ms  cost ms  total ms  us/node  time ratio  size ratio');
const rows: { n: number; total: number }[] = [];
for (const n of SIZES) {
  const bytes = chainModel(n);
  const imports: number[] = [];
  const costs: number[] = [];
  for (let i = 0; i < REPEATS + 1; i++) {
    const t0 = performance.now();
    const g = onnxToGraph(bytes, { name: `chain${n}.onnx` });
    const t1 = performance.now();
    const r = costGraph(g);
    const t2 = performance.now();
    if (r.totals.nodes !== n) throw new Error(`costed ${r.totals.nodes} nodes of ${n}`);
    if (i > 0) {
      imports.push(t1 - t0);
      costs.push(t2 - t1);
    }
  }
  const total = median(imports) + median(costs);
  rows.push({ n, total });
  const first = rows[0];
  console.log(
    [
      String(n).padEnd(9),
      (bytes.length / 1024).toFixed(0).padStart(8),
      median(imports).toFixed(0).padStart(10),
      median(costs).toFixed(0).padStart(8),
      total.toFixed(0).padStart(9),
      ((total / n) * 1000).toFixed(1).padStart(8),
      (total / first.total).toFixed(2).padStart(11),
      (n / first.n).toFixed(2).padStart(11),
    ].join(' '),
  );
}
const last = rows[rows.length - 1];
const ratio = last.total / rows[0].total / (last.n / rows[0].n);
console.log(
  `\nper-node time at ${last.n} is ${ratio.toFixed(2)}x that at ${rows[0].n} (1.0 = linear; a quadratic step would make it ~${(last.n / rows[0].n).toFixed(0)}x)`,
);
