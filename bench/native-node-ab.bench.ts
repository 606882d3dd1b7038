// Per-node A/B of native sessions inside one process: one target, several session configurations
// (thread count, plus environment knobs read while the session is planned, e.g.
// STUDIO_NATIVE_WINOGRAD=f2), run in interleaved rounds. Each node's time is the minimum over the
// rounds of its mean per run in that round: on a shared host, noise only ever adds time, and the
// rounds alternate, so drift spreads over every configuration. This is how native/DESIGN.md's
// "in-process, min of N rounds" figures were measured; the ratio table against ONNX Runtime is
// bench:native.
//
//   npm run bench:native-ab -- <target> [--set k=v,...] [--batch N] [--rounds R] [--runs N]
//                              [--filter REGEX] <config>...
//   config: THREADS[:ENV=VALUE[,ENV=VALUE...]]
//   e.g. npm run bench:native-ab -- resnet50 --filter winograd 1 2 2:STUDIO_NATIVE_WINOGRAD=f2
import { Command } from 'commander';
import { loadNativeAddon, type NativeSession } from '../main/backends/native/addon.js';
import { lowerGraph } from '../main/backends/native/lower.js';
import { buildTarget } from '../shared/targets.js';

const program = new Command('bench:native-ab')
  .argument('<target>', 'block or model name')
  .argument('<configs...>', 'THREADS[:ENV=VALUE,...] per session')
  .option('--set <pairs>', 'parameter overrides, k=v,...', '')
  .option('--batch <n>', 'batch size', '1')
  .option('--rounds <n>', 'interleaved rounds', '7')
  .option('--runs <n>', 'runs per session per round', '10')
  .option('--filter <regex>', 'list only nodes whose name or kernel matches')
  .parse();
const [target, configs] = program.processedArgs as [string, string[]];
const opts = program.opts<{ set: string; batch: string; rounds: string; runs: string; filter?: string }>();
const positive = (v: string, what: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) program.error(`${what} must be a positive integer, got '${v}'`);
  return n;
};
const batch = positive(opts.batch, '--batch');
const rounds = positive(opts.rounds, '--rounds');
const runs = positive(opts.runs, '--runs');
const pairs = (s: string) =>
  s
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) program.error(`expected KEY=VALUE, got '${kv}'`);
      return [kv.slice(0, i), kv.slice(i + 1)] as const;
    });

const addon = loadNativeAddon();
const set = Object.fromEntries(pairs(opts.set));
const input = [...buildTarget({ target, set }).inputs[0].shape];
input[0] = batch;
const graph = buildTarget({ target, set, input });
const desc = lowerGraph(graph, { seed: 1 }).desc;
const x = Float32Array.from({ length: input.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));

const sessions: NativeSession[] = configs.map((c) => {
  const [threads, env = ''] = c.split(':');
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of pairs(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  try {
    return addon.createSession(desc, { threads: positive(threads, `threads in '${c}'`), profile: true });
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

const kernels = new Map<string, string>();
const totals = sessions.map(() => new Map<string, number>());
const best = sessions.map(() => new Map<string, number>());
const wall = sessions.map(() => [] as number[]);
for (const s of sessions) for (let i = 0; i < 3; i++) await s.run([x]);
for (let r = 0; r < rounds; r++)
  for (const [k, s] of sessions.entries()) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await s.run([x]);
    wall[k].push(Number(process.hrtime.bigint() - t0) / 1e6 / runs);
    for (const p of s.profile()) {
      kernels.set(p.name, p.kernel);
      const total = p.meanUs * p.runs; // the profile accumulates since the session was created
      const perRun = (total - (totals[k].get(p.name) ?? 0)) / runs;
      totals[k].set(p.name, total);
      best[k].set(p.name, Math.min(best[k].get(p.name) ?? Infinity, perRun));
    }
  }
for (const s of sessions) s.release();

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`${target}${opts.set ? `:${opts.set}` : ''}, batch ${batch}, ${rounds} rounds of ${runs} runs per session`);
configs.forEach((c, k) => {
  const nodes = [...best[k].values()].reduce((a, b) => a + b, 0) / 1000;
  console.log(
    `#${k} ${c}: run min ${Math.min(...wall[k]).toFixed(3)} ms, median ${median(wall[k]).toFixed(3)} ms; node minima sum ${nodes.toFixed(3)} ms`,
  );
});
const match = opts.filter ? new RegExp(opts.filter) : undefined;
console.log(['node'.padEnd(34), 'kernel'.padEnd(24), ...configs.map((_, k) => `#${k} us`.padStart(10))].join(' '));
for (const [name, kernel] of kernels)
  if (!match || match.test(name) || match.test(kernel))
    console.log(
      [name.padEnd(34), kernel.padEnd(24), ...best.map((b) => (b.get(name) ?? NaN).toFixed(1).padStart(10))].join(' '),
    );
