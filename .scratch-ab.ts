// In-process A/B: native sessions of one target at several thread counts, interleaved rounds,
// per-node min over rounds of the per-round mean (host noise only ever adds time).
import { loadNativeAddon } from '/work/main/main/backends/native/addon.js';
import { lowerGraph } from '/work/main/main/backends/native/lower.js';
import { buildTarget } from '/work/main/shared/targets.js';
const [target, setStr = '', batchStr = '1', threadsStr = '1,2', roundsStr = '7', top = '25'] = process.argv.slice(2);
const set: Record<string, string> = {};
for (const kv of setStr.split(',').filter(Boolean)) { const [k, v] = kv.split('='); set[k] = v; }
const addon = loadNativeAddon()!;
const g0 = buildTarget({ target, set });
const shape = [...g0.inputs[0].shape]; shape[0] = Number(batchStr);
const g = buildTarget({ target, set, input: shape });
const desc = lowerGraph(g, { seed: 1 }).desc;
const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
const threads = threadsStr.split(',').map(Number);
const sess = threads.map((t) => addon.createSession(desc, { threads: t, profile: true }));
const prev = sess.map(() => new Map<string, number>());
const best = sess.map(() => new Map<string, number>());
const wall = sess.map(() => [] as number[]);
const kern = new Map<string, string>();
for (const s of sess) for (let i = 0; i < 3; i++) await s.run([x]);
for (let r = 0; r < Number(roundsStr); r++)
  for (let k = 0; k < sess.length; k++) {
    const s = sess[k];
    const n = 10;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await s.run([x]);
    wall[k].push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
    for (const p of s.profile()) {
      kern.set(p.name, p.kernel);
      const tot = p.meanUs * p.runs;
      const d = (tot - (prev[k].get(p.name) ?? 0)) / n;
      prev[k].set(p.name, tot);
      if (r > 0 || true) best[k].set(p.name, Math.min(best[k].get(p.name) ?? Infinity, d));
    }
  }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (let k = 0; k < sess.length; k++)
  console.log(`t${threads[k]}: wall min ${Math.min(...wall[k]).toFixed(3)} ms, median ${med(wall[k]).toFixed(3)} ms, sum of node mins ${([...best[k].values()].reduce((a, b) => a + b, 0) / 1000).toFixed(3)} ms`);
const names = [...best[0].keys()];
const rows = names.map((nm) => ({ nm, a: best[0].get(nm)!, b: best[sess.length - 1].get(nm)! }));
rows.sort((p, q) => (q.b - q.a / 2) - (p.b - p.a / 2));
console.log('node'.padEnd(34), 'kernel'.padEnd(26), `t${threads[0]} us`.padStart(9), `t${threads.at(-1)} us`.padStart(9), 'ratio', 'loss vs ideal us');
for (const r of rows.slice(0, Number(top)))
  console.log(r.nm.padEnd(34), (kern.get(r.nm) ?? '').padEnd(26), r.a.toFixed(1).padStart(9), r.b.toFixed(1).padStart(9), (r.b / r.a).toFixed(2).padStart(5), (r.b - r.a / 2).toFixed(1).padStart(8));
for (const s of sess) s.release();
