// How long does the analytic cost model take on each zoo model? (Issue: "well under a second"
// for the largest.) Measures build (graph construction + shape inference) and costing separately,
// median of repeated runs after a warm-up, and prints the machine it ran on.
import os from 'node:os';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { MODELS } from '../shared/models/registry.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`,
);
console.log(`repeats: ${REPEATS} (median reported, 2 warm-up runs)\n`);
console.log('model                 variant      nodes  params        build ms  cost ms  total ms');
const rows: { name: string; total: number }[] = [];
for (const m of MODELS) {
  for (const variant of m.variants) {
    const params = resolveParams(m.name, m.params, {});
    const build: number[] = [];
    const cost: number[] = [];
    let nodes = 0;
    let count = 0;
    for (let i = 0; i < REPEATS + 2; i++) {
      const t0 = performance.now();
      const g = m.build(variant, params);
      const t1 = performance.now();
      const r = costGraph(g);
      const t2 = performance.now();
      if (i >= 2) {
        build.push(t1 - t0);
        cost.push(t2 - t1);
      }
      nodes = r.totals.nodes;
      count = r.totals.params;
    }
    const total = median(build) + median(cost);
    rows.push({ name: `${m.name}/${variant}`, total });
    console.log(
      `${m.name.padEnd(21)} ${variant.padEnd(12)} ${String(nodes).padStart(5)}  ${count.toLocaleString('en-US').padStart(12)}  ${median(build).toFixed(2).padStart(8)}  ${median(cost).toFixed(2).padStart(7)}  ${total.toFixed(2).padStart(8)}`,
    );
  }
}
const worst = rows.reduce((a, b) => (b.total > a.total ? b : a), rows[0]);
if (worst) console.log(`\nslowest: ${worst.name} at ${worst.total.toFixed(2)} ms (build + cost, median)`);
