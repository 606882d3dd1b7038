// `compare-backends`: the same seeded random inputs (and the same seeded weights) through several
// backends, in this process; per output the largest absolute and relative differences to the first.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NATIVE_ISAS, type BackendName } from '../../../shared/contract/job.js';
import { StudioError, type Graph } from '../../../shared/ir/types.js';
import { graphToOnnx } from '../../../shared/onnx/writer.js';
import { parseAssignments, parseShape } from '../../../shared/targets.js';
import { makeInputs } from '../../backends/inputs.js';
import { loadTarget, looksLikeFile } from '../../targets.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';
import { withTargetOptions, type TargetOptions } from './cost.js';
import {
  difference,
  parseBackend,
  parseIsa,
  parseThreads,
  runOnBackend,
  type Difference,
  type NamedOutput,
  type RunOptions,
} from './verify.js';

export interface BackendDifference extends Omit<Difference, 'pass' | 'mismatches'> {
  /** The backend compared with the reference (the first backend). */
  backend: BackendName;
  output: string;
  shape: number[];
  /** maxAbs / max |reference|: the difference on the output's own scale (fp32 logits of 10 differ by 1e-5). */
  maxAbsOfScale: number;
  /** Within rtol 1e-4, atol 1e-5 of the reference (the agreement the studio asks of its backends). */
  agrees: boolean;
  mismatches: number;
}

export interface CompareBackendsReport {
  target: string;
  graph: string;
  seed: number;
  reference: BackendName;
  backends: { backend: BackendName; ms: number; error?: string }[];
  differences: BackendDifference[];
}

/** Agreement asked of two fp32 backends on random inputs (issue: rtol 1e-4, atol 1e-5). */
export const AGREEMENT = { rtol: 1e-4, atol: 1e-5 };

export async function compareBackends(
  target: string,
  graph: Graph,
  bytes: () => Uint8Array,
  backends: BackendName[],
  opts: RunOptions & { seed?: number } = {},
): Promise<CompareBackendsReport> {
  const seed = opts.seed ?? 0;
  const inputs = makeInputs(graph, seed);
  const outputs: (Record<string, NamedOutput> | undefined)[] = [];
  const report: CompareBackendsReport = {
    target,
    graph: graph.name,
    seed,
    reference: backends[0],
    backends: [],
    differences: [],
  };
  for (const b of backends) {
    const t0 = performance.now();
    try {
      outputs.push(await runOnBackend(b, { bytes, graph }, inputs, { ...opts, seed }));
      report.backends.push({ backend: b, ms: performance.now() - t0 });
    } catch (e) {
      outputs.push(undefined);
      report.backends.push({ backend: b, ms: performance.now() - t0, error: (e as Error).message });
    }
  }
  const ref = outputs[0];
  if (!ref) return report;
  backends.slice(1).forEach((b, k) => {
    const got = outputs[k + 1];
    if (!got) return;
    for (const o of graph.outputs) {
      const want = ref[o.name];
      const have = got[o.name];
      if (!want || !have) continue;
      const d = difference(have.data, want.data, AGREEMENT.rtol, AGREEMENT.atol);
      report.differences.push({
        backend: b,
        output: o.name,
        shape: have.shape,
        maxAbs: d.maxAbs,
        maxRel: d.maxRel,
        maxAbsOfScale: d.maxAbs / Math.max(Number.MIN_VALUE, maxAbsValue(want.data)),
        worst: d.worst,
        mismatches: d.mismatches,
        agrees: d.pass,
      });
    }
  });
  return report;
}

/** Largest magnitude, in a loop: spreading a large tensor into Math.max overflows the stack. */
function maxAbsValue(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
  return m;
}

interface CompareBackendsOptions extends TargetOptions {
  backends: string;
  seed: string;
  threads?: string;
  isa?: string;
}

const sci = (v: number) => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(2) : String(v));

export function registerCompareBackends(program: Command): void {
  withTargetOptions(
    program
      .command('compare-backends <target>')
      .description(
        'the same seeded random inputs and weights through several backends: the largest differences per output, against the first backend',
      )
      .option('--backends <list>', 'backends, the first being the reference', 'native,ort-cpu')
      .option('--seed <n>', 'seed of the generated inputs and weights', '0')
      .option('--threads <n>', 'intra-op threads (0: one per physical core)')
      .option('--isa <path>', `native kernel path: ${NATIVE_ISAS.join(', ')}`),
  ).action(
    action(async (target: string, opts: CompareBackendsOptions) => {
      const backends = opts.backends.split(',').map((b) => parseBackend(b.trim()));
      if (backends.length < 2)
        throw new StudioError('--backends needs at least two backends to compare', 'bad-parameter');
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed))
        throw new StudioError(`--seed must be an integer, got '${opts.seed}'`, 'bad-parameter');
      const graph = loadTarget({
        target,
        set: parseAssignments(opts.set),
        variant: opts.variant,
        input: opts.input ? parseShape(opts.input) : undefined,
      });
      // A file runs as it is on ONNX Runtime (its own weights); blocks and models as the studio exports them.
      const file = looksLikeFile(target) && ![...graph.initializers.values()].some((i) => i.external);
      const bytes = () => (file ? new Uint8Array(readFileSync(target)) : graphToOnnx(graph, { seed }));
      const report = await compareBackends(target, graph, bytes, backends, {
        seed,
        threads: parseThreads(opts.threads),
        isa: parseIsa(opts.isa),
      });
      const failed = report.backends.filter((b) => b.error);
      if (opts.json) printJson(report);
      else {
        for (const b of failed) printText(`${b.backend}: could not run: ${b.error}`);
        printText(
          table(
            [
              'backend',
              'vs',
              'output',
              'shape',
              'max abs diff',
              'max rel diff',
              'max abs / max |ref|',
              `agrees (rtol ${AGREEMENT.rtol}, atol ${AGREEMENT.atol})`,
            ],
            report.differences.map((d) => [
              d.backend,
              report.reference,
              d.output,
              d.shape.join('x'),
              sci(d.maxAbs),
              sci(d.maxRel),
              sci(d.maxAbsOfScale),
              d.agrees
                ? 'yes'
                : `no (${d.mismatches} elements; worst at ${d.worst.index}: ${d.worst.actual} vs ${d.worst.expected})`,
            ]),
          ),
        );
      }
      if (failed.length > 0) process.exitCode = 1;
    }),
  );
}
