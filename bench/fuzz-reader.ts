// `npm run fuzz`: the reader fuzzer of tests/fuzz-reader.test.ts, for longer. FUZZ_RUNS cases
// (default 20000; FUZZ_SEED picks the seed) drawn from random protobuf-ish bytes, random
// valid-looking ModelProtos and mutations of the conformance models. Prints the totals; exits 1
// on any crash (an uncaught non-StudioError, or a refusal without a message) or a case over 2 s.
import fc from 'fast-check';
import { anyInput, conformanceModels, readCase } from '../tests/hostile/fuzz.js';

const runs = Number(process.env.FUZZ_RUNS ?? 20000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CASE_MS = 2000;
const models = conformanceModels();
const totals = { cases: 0, accepted: 0, refused: 0, crashes: 0, slow: 0 };
let slowest = 0;
let peakHeap = process.memoryUsage().heapUsed;
const crashes: string[] = [];
const started = performance.now();

fc.assert(
  fc.property(anyInput(models), (bytes) => {
    const r = readCase(bytes);
    totals.cases++;
    totals[r.outcome === 'crash' ? 'crashes' : r.outcome]++;
    if (r.outcome === 'crash' && crashes.length < 5)
      crashes.push(
        `${bytes.length} bytes, base64 ${Buffer.from(bytes).toString('base64').slice(0, 400)}\n  ${r.error}`,
      );
    if (r.ms > CASE_MS) totals.slow++;
    slowest = Math.max(slowest, r.ms);
    if (totals.cases % 64 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (totals.cases % 5000 === 0) process.stderr.write(`${totals.cases} cases...\n`);
    return true;
  }),
  { seed, numRuns: runs },
);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);

console.log(`fuzz-reader: seed ${seed}, ${models.length} conformance models mutated`);
console.log(`cases      ${totals.cases}`);
console.log(`accepted   ${totals.accepted}`);
console.log(`refused    ${totals.refused} (each a StudioError naming the file and the problem)`);
console.log(`crashes    ${totals.crashes}`);
console.log(`over ${CASE_MS} ms ${totals.slow}`);
console.log(`slowest    ${slowest.toFixed(1)} ms`);
console.log(`peak heap  ${(peakHeap / 2 ** 20).toFixed(0)} MiB`);
console.log(`total      ${((performance.now() - started) / 1000).toFixed(1)} s`);
for (const c of crashes) console.log(`crash: ${c}`);
if (totals.crashes > 0 || totals.slow > 0) process.exitCode = 1;
