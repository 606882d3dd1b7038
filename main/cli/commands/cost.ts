import type { Command } from 'commander';
import { costGraph, type CostReport } from '../../../shared/cost/cost-model.js';
import { parseAssignments, parseShape } from '../../../shared/targets.js';
import { loadTarget } from '../../targets.js';
import { bytes, grouped, si, table } from '../format.js';
import { action, printJson, printText, warn } from '../io.js';

export interface TargetOptions {
  set?: string;
  variant?: string;
  input?: string;
  json?: boolean;
}

/** The options every command that takes a target shares. */
export function withTargetOptions(cmd: Command): Command {
  return cmd
    .option(
      '--set <pairs>',
      'parameter overrides, e.g. width=32,stride=2 (for an .onnx file: symbolic dims, e.g. batch=8)',
    )
    .option('--variant <name>', 'model variant: keras, torchvision or paper')
    .option('--input <NxCxHxW>', 'input shape, e.g. 1x3x224x224')
    .option('--json', 'print one JSON document');
}

export function costOf(target: string, opts: TargetOptions): CostReport {
  const graph = loadTarget({
    target,
    set: parseAssignments(opts.set),
    variant: opts.variant,
    input: opts.input ? parseShape(opts.input) : undefined,
  });
  return costGraph(graph);
}

export function renderCost(target: string, r: CostReport): string {
  const t = r.totals;
  const layers = table(
    ['layer', 'op', 'output', 'params', 'MACs', 'elementwise', 'act. bytes'],
    r.layers.map((l) => [
      l.name,
      l.op + (l.known ? '' : ' (unknown)'),
      l.outputShape.join('x'),
      grouped(l.params),
      grouped(l.macs),
      grouped(l.elementwiseOps),
      grouped(l.activationBytes),
    ]),
  );
  const totals = [
    `${target}${r.variant ? ` (variant ${r.variant})` : ''}: ${r.description ?? r.graph}`,
    `input ${r.inputs.map((i) => `${i.name} ${i.shape.join('x')}`).join(', ')} -> output ${r.outputs.map((o) => o.shape.join('x')).join(', ')}`,
    `params               ${grouped(t.params)} (trainable ${grouped(t.trainableParams)}, non-trainable ${grouped(t.nonTrainableParams)})`,
    `MACs                 ${grouped(t.macs)} (${si(t.macs)})`,
    `FLOPs (2 x MACs)     ${grouped(t.flops)} (${si(t.flops)})`,
    `element-wise ops     ${grouped(t.elementwiseOps)} (${si(t.elementwiseOps)}), not included in FLOPs`,
    `weights              fp32 ${bytes(t.weightBytesByPrecision.fp32)}, fp16 ${bytes(t.weightBytesByPrecision.fp16)}, int8 ${bytes(t.weightBytesByPrecision.int8)}`,
    `activations          ${bytes(t.activationBytes)} in all, peak live ${bytes(t.peakActivationBytes)}`,
    `arithmetic intensity ${t.arithmeticIntensity.toFixed(2)} ops/byte`,
    `nodes                ${t.nodes}${t.unknownNodes ? ` (${t.unknownNodes} unknown, costed as 0)` : ''}`,
  ];
  return `${layers}\n\n${totals.join('\n')}`;
}

export function registerCost(program: Command): void {
  withTargetOptions(
    program
      .command('cost <target>')
      .description('per-layer analytic costs and totals of a block, a zoo model or an .onnx file'),
  ).action(
    action((target: string, opts: TargetOptions) => {
      const report = costOf(target, opts);
      if (opts.json) return printJson({ target, ...report });
      for (const w of report.warnings) warn(w);
      printText(renderCost(target, report));
    }),
  );
}
