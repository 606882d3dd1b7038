// The ONNX reader under fuzzing (issue 9): random protobuf-ish bytes, random valid-looking
// ModelProtos, and mutations of the real conformance models. Seeded and bounded (a few seconds);
// `npm run fuzz` runs the same properties for longer. No input may crash the reader (anything
// thrown that is not a StudioError with a message), take more than 2 s, or allocate what a
// header merely claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anyInput,
  conformanceModels,
  modelProtoBytes,
  mutationArb,
  protobufishBytes,
  readCase,
} from './hostile/fuzz.js';

const models = conformanceModels();
const CASE_MS = 2000;

const property = (arb: fc.Arbitrary<Uint8Array>) =>
  fc.property(arb, (bytes) => {
    const r = readCase(bytes);
    if (r.outcome === 'crash') throw new Error(`crash on ${bytes.length} bytes: ${r.error}`);
    if (r.ms > CASE_MS) throw new Error(`case took ${r.ms.toFixed(0)} ms on ${bytes.length} bytes`);
  });

describe('fuzzing the ONNX reader', () => {
  it('the conformance models are there to mutate', () => {
    expect(models.length).toBeGreaterThanOrEqual(5);
  });

  it('random protobuf-ish bytes are refused or accepted, never a crash', { timeout: 60_000 }, () => {
    fc.assert(property(protobufishBytes), { seed: 9001, numRuns: 400 });
  });

  it('random valid-looking ModelProtos are refused or accepted, never a crash', { timeout: 60_000 }, () => {
    fc.assert(property(modelProtoBytes), { seed: 9002, numRuns: 400 });
  });

  it('bit flips, truncations, splices and lying length fields of real models', { timeout: 60_000 }, () => {
    fc.assert(property(mutationArb(models)), { seed: 9003, numRuns: 300 });
  });

  it('all kinds mixed, and the heap does not grow past a bound', { timeout: 60_000 }, () => {
    const before = process.memoryUsage().heapUsed;
    fc.assert(property(anyInput(models)), { seed: 9004, numRuns: 200 });
    // A claimed 10 GB tensor is refused from its header: the heap stays far below what headers claim.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(512 * 2 ** 20);
  });
});
