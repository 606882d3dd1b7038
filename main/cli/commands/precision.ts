// `precision`: the fp16 and int8 variants of a target against fp32, on the same seeded inputs,
// without timing: fidelity per variant, or the reason ONNX Runtime's CPU provider cannot run it.
import type { Command } from 'commander';
import { JobSpecSchema, type PrecisionName } from '../../../shared/contract/job.js';
import type { PrecisionDetails } from '../../../shared/contract/result.js';
import { parseAssignments } from '../../../shared/targets.js';
import { RefusedError } from '../../backends/backend.js';
import { makeInputs } from '../../backends/inputs.js';
import { modelBytes, resolveJob } from '../../engine/resolve.js';
import { cpuSession, feedsOf, outputsOf, REFERENCE_NAME } from '../../backends/ort/runs.js';
import {
  FIDELITY_HEADER,
  fidelityRow,
  parseCalibration,
  parsePrecisions,
  type CalibrationFlags,
} from '../../precision/options.js';
import { buildVariant, measureFidelity } from '../../precision/variant.js';
import { checkVariantOnOrt } from '../../backends/ort/variant-check.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';
import { jobTargetOf } from '../../services/bench-spec.js';
import { registerLayerError } from './precision-error.js';

interface PrecisionOptions extends CalibrationFlags {
  precision: string;
  set?: string;
  variant?: string;
  seed: string;
  json?: boolean;
}

export interface VariantReport {
  precision: PrecisionName;
  status: 'ok' | 'refused';
  reason?: string;
  flags: string[];
  details?: PrecisionDetails;
}

export function registerPrecision(program: Command): void {
  // `precision error TARGET --precision int8 --json`: the options after `error` are the subcommand's,
  // not this command's (which has the same names). Commander hands a command the options after its
  // name only when its parent, the root here (which has no options of its own), is positional too.
  program.enablePositionalOptions();
  const precision = program
    .command('precision <target>')
    .enablePositionalOptions()
    .description('fidelity of the fp16 and int8 variants against fp32 on ONNX Runtime CPU (no timing)')
    .option('--precision <list>', 'variants: fp16, int8', 'fp16,int8')
    .option('--calibration <method>', 'int8 activation ranges: minmax, percentile or entropy (default minmax)')
    .option('--calibration-samples <n>', 'seeded random calibration inputs (default 8)')
    .option('--calibration-seed <n>', 'seed of the first calibration input (default 1000)')
    .option('--percentile <p>', 'percentile calibration: the share of values kept, % (default 99.999)')
    .option('--set <pairs>', 'parameter overrides, e.g. height=14,width=14')
    .option('--variant <name>', 'model variant')
    .option('--seed <n>', 'seed of the weights and of the compared inputs', '0')
    .option('--json', 'print one JSON document')
    .action(
      action(async (target: string, opts: PrecisionOptions) => {
        const precisions = parsePrecisions(opts.precision).filter((p) => p !== 'fp32');
        const calibration = parseCalibration(opts);
        const seed = Number(opts.seed);
        const job = JobSpecSchema.parse({
          version: 1,
          id: 'precision',
          target: jobTargetOf(target, parseAssignments(opts.set), opts.variant),
          backend: { backend: 'ort-cpu' },
          seed: Number.isInteger(seed) ? seed : 0,
        });
        const resolved = resolveJob(job);
        const fp32 = modelBytes(job, resolved);
        const inputs = makeInputs(resolved.graph, job.seed);
        const variants: VariantReport[] = [];
        for (const precision of precisions) {
          const built = await buildVariant(fp32, resolved.graph, precision as Exclude<PrecisionName, 'fp32'>, {
            calibration,
          });
          try {
            const flags = await checkVariantOnOrt('ort-cpu', { graphOptimization: 'all' }, built);
            const session = await cpuSession(built.bytes);
            const out = outputsOf(await session.run(feedsOf(inputs)));
            await session.release();
            built.details.fidelity = await measureFidelity(fp32, inputs, out, job.seed);
            variants.push({ precision, status: 'ok', flags, details: built.details });
          } catch (e) {
            if (!(e instanceof RefusedError)) throw e;
            variants.push({ precision, status: 'refused', reason: e.message, flags: [], details: built.details });
          }
        }
        const doc = { target, graph: resolved.graph.name, seed: job.seed, reference: REFERENCE_NAME, variants };
        if (opts.json) return printJson(doc);
        printText(`${target}: variants against ${REFERENCE_NAME} on the seeded inputs (seed ${job.seed})`);
        printText(
          table(
            FIDELITY_HEADER,
            variants.map((v) => fidelityRow(v.precision, v.status, v.details)),
          ),
        );
        for (const v of variants) {
          for (const n of v.details?.notes ?? []) printText(`${v.precision}: ${n}`);
          const k = v.details?.quantization?.runtimeKernels;
          if (k)
            printText(
              `${v.precision}: ONNX Runtime kernels: ${Object.entries(k)
                .map(([op, n]) => `${n} ${op}`)
                .join(', ')}`,
            );
          if (v.reason) printText(`${v.precision}: refused: ${v.reason}`);
          for (const f of v.flags) printText(`${v.precision}: warning: ${f}`);
        }
      }),
    );
  registerLayerError(precision);
}
