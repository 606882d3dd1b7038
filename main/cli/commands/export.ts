import type { Command } from 'commander';
import { StudioError } from '../../../shared/ir/types.js';
import { parseAssignments, parseShape } from '../../../shared/targets.js';
import { writeOnnxFile } from '../../onnx/onnx-file.js';
import { loadTarget } from '../../targets.js';
import { action, printJson, printText } from '../io.js';
import { withTargetOptions, type TargetOptions } from './cost.js';

export function registerExport(program: Command): void {
  withTargetOptions(
    program
      .command('export <target>')
      .description('write a block, model or re-read .onnx file as an ONNX file (opset 17)')
      .requiredOption('--out <file.onnx>', 'where to write the model')
      .option('--seed <n>', 'seed of the generated weights', '0'),
  ).action(
    action((target: string, opts: TargetOptions & { out: string; seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed))
        throw new StudioError(`--seed must be an integer, got '${opts.seed}'`, 'bad-parameter');
      const graph = loadTarget({
        target,
        set: parseAssignments(opts.set),
        variant: opts.variant,
        input: opts.input ? parseShape(opts.input) : undefined,
      });
      const written = writeOnnxFile(graph, opts.out, { seed });
      if (opts.json) return printJson({ target, out: opts.out, bytes: written.bytes });
      printText(`wrote ${opts.out} (${written.bytes} bytes, ${graph.nodes.length} nodes)`);
    }),
  );
}
