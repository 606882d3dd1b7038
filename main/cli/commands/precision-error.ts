// `precision error TARGET`: where the fp16 or int8 variant loses accuracy, node by node (issue 21):
// fp32 and the variant on ONNX Runtime CPU with every intermediate tensor as an output, on the same
// seeded inputs, a table of the nodes by error with the jump node marked. In this process (a
// one-off CLI run), the same runLayerError the app's layer-error task runs in a worker.
import type { Command } from 'commander';
import type { LayerErrorNode, LayerErrorReport } from '../../../shared/contract/layer-error.js';
import { StudioError } from '../../../shared/ir/types.js';
import { parseAssignments } from '../../../shared/targets.js';
import { errorOverlay } from '../../../shared/explorer/overlays.js';
import { nodeDataJson, overlayToNodeData } from '../../../shared/explorer/node-data.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { loadTarget } from '../../targets.js';
import { runLayerError } from '../../tasks/layer-error.js';
import { parseCalibration, parsePrecisions, type CalibrationFlags } from '../../precision/options.js';
import { jobTargetOf } from '../../services/bench-spec.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';

interface LayerErrorOptions extends CalibrationFlags {
  precision: string;
  samples: string;
  seed: string;
  set?: string;
  variant?: string;
  top: string;
  json?: boolean;
  nodeData?: string;
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new StudioError(`${flag} must be an integer from 1 to ${max}, got '${text}'`, 'bad-parameter');
  return n;
}

const sci = (v: number) => (v === 0 ? '0' : v >= 0.01 && v < 1000 ? v.toFixed(4) : v.toExponential(2));

/** The rows of the nodes table, worst first; the jump node marked and always shown. */
export function layerErrorRows(report: LayerErrorReport, top: number): string[][] {
  const sorted = [...report.nodes].sort((a, b) => b.relRms - a.relRms);
  const shown = sorted.slice(0, top);
  const isJump = (n: LayerErrorNode) => report.jump?.tensor === n.tensor;
  const jump = sorted.find(isJump);
  if (jump && !shown.includes(jump)) shown.push(jump);
  return shown.map((n) => [
    isJump(n) ? '>> jump' : '',
    String(sorted.indexOf(n) + 1),
    n.node,
    n.op,
    n.tensor === n.node ? '' : n.tensor,
    sci(n.relRms),
    sci(n.maxAbs),
    n.cosine.toFixed(6),
    n.snrDb.toFixed(1),
    [n.nonFinite ? `${n.nonFinite} non-finite` : '', n.zeroReference ? 'fp32 all zeros' : '']
      .filter(Boolean)
      .join(', '),
  ]);
}

export const LAYER_ERROR_HEADER = [
  '',
  'rank',
  'node',
  'op',
  'tensor',
  'rel. RMS',
  'max abs',
  'cosine',
  'SNR dB',
  'warning',
];

export function registerLayerError(precision: Command): void {
  precision
    .command('error <target>')
    .description(
      'error per node of the fp16 or int8 variant against fp32 on ONNX Runtime CPU: every intermediate tensor compared, the node where the error jumps marked',
    )
    .option('--precision <name>', 'the variant: fp16 or int8', 'int8')
    .option('--samples <n>', 'seeded random input samples compared (sample k seeded with seed + k)', '4')
    .option('--seed <n>', 'seed of the weights and of the first compared input', '0')
    .option('--calibration <method>', 'int8 activation ranges: minmax, percentile or entropy (default minmax)')
    .option('--calibration-samples <n>', 'seeded random calibration inputs (default 8)')
    .option('--calibration-seed <n>', 'seed of the first calibration input (default 1000)')
    .option('--percentile <p>', 'percentile calibration: the share of values kept, % (default 99.999)')
    .option('--set <pairs>', 'parameter overrides, e.g. height=14,width=14')
    .option('--variant <name>', 'model variant')
    .option('--top <n>', 'nodes shown in the table, worst first (the jump node is always shown)', '20')
    .option('--json', 'print the LayerErrorReport as one JSON document')
    .option(
      '--node-data <file>',
      'also write the relative RMS error per node as Model Explorer node-data JSON, keyed by node name',
    )
    .action(
      action(async (target: string, opts: LayerErrorOptions) => {
        const names = parsePrecisions(opts.precision);
        if (names.length !== 1 || names[0] === 'fp32')
          throw new StudioError(
            `--precision takes one variant, fp16 or int8, got '${opts.precision}' (fp32 is the reference)`,
            'bad-parameter',
          );
        const variant = names[0] as 'fp16' | 'int8';
        const samples = positiveInt('--samples', opts.samples, 256);
        const top = positiveInt('--top', opts.top, 100_000);
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed))
          throw new StudioError(`--seed must be an integer, got '${opts.seed}'`, 'bad-parameter');
        const calibration = parseCalibration(opts);
        const spec = {
          target: jobTargetOf(target, parseAssignments(opts.set), opts.variant),
          precision: variant,
          samples,
          seed,
          ...(variant === 'int8' && Object.keys(calibration).length ? { calibration } : {}),
          ...(target.toLowerCase().endsWith('.onnx') ? { label: target } : {}),
        };
        const live = !opts.json && process.stderr.isTTY;
        const report = await runLayerError(spec, (p) => {
          if (live) process.stderr.write(`\r\x1b[K${p.message}`);
        });
        if (live) process.stderr.write('\r\x1b[K');
        if (opts.nodeData) {
          const graph = loadTarget({ target, set: parseAssignments(opts.set), variant: opts.variant });
          const overlay = errorOverlay(report, { graph, model: report.model, precision: variant });
          const { path } = writeFileAtomic(
            opts.nodeData,
            nodeDataJson(overlayToNodeData(overlay, { graphId: graph.name, graph })),
          );
          process.stderr.write(`node data (${variant} relative RMS error) written to ${path}\n`);
        }
        if (opts.json) return printJson(report);
        printText(
          `${report.model}: ${report.precision} against fp32 on ${report.runtime.name} ${report.runtime.version} ${report.runtime.provider}, ${report.inputs}`,
        );
        printText(
          `${report.nodes.length} node outputs compared, ${report.skipped.length} skipped; the worst ${Math.min(top, report.nodes.length)} by relative RMS error:`,
        );
        printText(table(LAYER_ERROR_HEADER, layerErrorRows(report, top)));
        const j = report.jump;
        if (j)
          printText(
            `jump: ${j.node}${j.tensor === j.node ? '' : ` (${j.tensor})`}: relative RMS error ${sci(j.inputRelRms)} at its inputs -> ${sci(j.relRms)} at its output`,
          );
        const f = report.fidelity;
        printText(
          `whole model (the variant as it runs, every graph output): relative RMS ${sci(f.relRms)}, cosine ${f.cosine.toFixed(6)}, max abs ${sci(f.maxAbs)}`,
        );
        const reasons = new Map<string, number>();
        for (const s of report.skipped) {
          // One line per kind of reason: the tensor names inside it vary.
          const why = s.reason.split(';')[0].replace(/'[^']*'/g, "'…'");
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
        for (const [why, n] of reasons) printText(`skipped ${n}: ${why}`);
        for (const n of report.notes) printText(`note: ${n}`);
      }),
    );
}
