// `lab`: the bottleneck-feature lab. Cuts a base at a tensor, caches its features over a labeled data
// set, trains small heads on them, exports each head with the base as one ONNX classifier.
import type { Command } from 'commander';
import type { LabResult, LabSpecInput } from '../../../shared/contract/lab.js';
import { StudioError } from '../../../shared/ir/types.js';
import { parseHeads } from '../../../shared/lab/heads.js';
import type { TaskProgress } from '../../process/task-protocol.js';
import { ResultsService } from '../../services/results.js';
import { TaskService } from '../../services/tasks.js';
import { defaultResultsDir } from '../../store/paths.js';
import { grouped, table } from '../format.js';
import { action, printJson, printText, terminalSafe } from '../io.js';

interface LabOptions {
  base?: string;
  cut?: string;
  data?: string;
  heads: string;
  epochs?: string;
  limit?: string;
  testLimit?: string;
  batch?: string;
  trainBatch?: string;
  seed?: string;
  hidden?: string;
  lr?: string;
  patience?: string;
  valFraction?: string;
  threads?: string;
  exportDir?: string;
  cacheDir?: string;
  results: string;
  save: boolean;
  json?: boolean;
}

function integer(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new StudioError(`${flag} must be an integer >= ${min}, got '${text}'`, 'bad-parameter');
  return n;
}

function decimal(flag: string, text: string | undefined, ok: (n: number) => boolean, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new StudioError(`${flag} must be ${what}, got '${text}'`, 'bad-parameter');
  return n;
}

export function labSpecFromOptions(opts: LabOptions): LabSpecInput {
  if (!opts.data)
    throw new StudioError(
      '--data is required: an MNIST-style IDX folder (e.g. /usr/share/datasets/fashion-mnist) or an image folder',
      'bad-parameter',
    );
  const spec: LabSpecInput = {
    data: opts.data,
    heads: parseHeads(opts.heads),
    base: opts.base,
    cut: opts.cut,
    epochs: integer('--epochs', opts.epochs, 1),
    limit: integer('--limit', opts.limit, 1),
    testLimit: integer('--test-limit', opts.testLimit, 1),
    batch: integer('--batch', opts.batch, 1),
    trainBatch: integer('--train-batch', opts.trainBatch, 1),
    seed: integer('--seed', opts.seed, 0),
    hidden: integer('--hidden', opts.hidden, 1),
    patience: integer('--patience', opts.patience, 1),
    threads: integer('--threads', opts.threads, 0),
    learningRate: decimal('--lr', opts.lr, (n) => n > 0, 'a positive number'),
    valFraction: decimal('--val-fraction', opts.valFraction, (n) => n > 0 && n < 1, 'between 0 and 1'),
    exportDir: opts.exportDir,
    cacheDir: opts.cacheDir,
  };
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as LabSpecInput;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

/** Progress on stderr: one line per phase change and per epoch (a TTY also sees the batches count up). */
/** The lab's progress on stderr, in the CLI's own words, from the task's progress messages. */
function progressPrinter(): (p: TaskProgress) => void {
  const tty = process.stderr.isTTY;
  return (p) => {
    const [phase, part] = p.phase.split(':');
    switch (phase) {
      case 'open':
        process.stderr.write(terminalSafe(`${p.message}\n`));
        break;
      case 'features': {
        const line = `features ${part}: ${p.done}/${p.total}${p.cached ? ' (cache)' : ''}`;
        if (p.done === p.total) process.stderr.write(`${tty ? '\r' : ''}${terminalSafe(line)}\n`);
        else if (tty) process.stderr.write(`\r${terminalSafe(line)}`);
        break;
      }
      case 'train': {
        const e = p.epoch;
        if (e)
          process.stderr.write(
            `${e.head} epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)}, val loss ${e.valLoss.toFixed(4)}, val acc ${pct(e.valAccuracy)}\n`,
          );
        break;
      }
      case 'evaluate':
        if (p.done === p.total)
          process.stderr.write(terminalSafe(`${part}: exported classifier evaluated on ${p.total} test images\n`));
        break;
      case 'export':
        if (p.path) process.stderr.write(terminalSafe(`${part}: wrote ${p.path}\n`));
        break;
    }
  };
}

export function renderLab(r: LabResult): string {
  const rows = r.heads.map((h) => [
    h.head,
    h.title,
    grouped(h.params),
    `${h.epochsRun} (best ${h.bestEpoch})`,
    pct(h.valAccuracy),
    pct(h.testAccuracy),
    pct(h.testAccuracyJs),
    String(h.testDisagreements),
    ms(h.trainMs),
  ]);
  const lines = [
    `base ${r.base.target}${r.base.isDefault ? ' (default)' : ''}, cut at '${r.base.cut.tensor}' (${r.base.cut.reason}), features ${r.base.featureShape.join('x')}`,
    `data ${r.data.train.source}: ${r.data.trainImages} train + ${r.data.valImages} validation, ${r.data.test.count} test images, ${r.data.classes.length} classes`,
    '',
    table(['head', 'what', 'params', 'epochs', 'val acc', 'test acc', 'test (JS)', 'differ', 'train time'], rows),
    '',
    `test acc: the exported ONNX classifier run by ONNX Runtime (what \`accuracy\` measures); test (JS): the lab's own float math; differ: images they classify differently`,
    `cache ${r.cache.hit ? 'hit' : 'miss'}: ${r.cache.dir}${r.cache.missReason ? ` (${r.cache.missReason})` : ''}`,
    `features ${ms(r.timings.featuresMs)} (${r.cache.hit ? 'cache read' : 'base run + cache write'}); base ${r.timings.baseMsPerImage.toFixed(4)} ms/image, ${ms(r.timings.basePassMs)} per pass over the training split`,
    `time saved by the cache: ${ms(r.timeSaved.ms)} (${r.timeSaved.epochsTrained} epochs x ${ms(r.timings.basePassMs)} = ${ms(r.timeSaved.withoutCacheMs)} without it, ${ms(r.timeSaved.withCacheMs)} with it)`,
  ];
  for (const h of r.heads) if (h.exported) lines.push(`exported ${h.head}: ${h.exported.path}`);
  return lines.join('\n');
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description(
      "bottleneck-feature lab: cache a frozen base's features over labeled data, train heads (gap, fc, mlp) on them, export base + head as ONNX",
    )
    .option('--base <target>', 'block, zoo model or .onnx file (default: lab_mini_resnet sized for the data)')
    .option(
      '--cut <tensor>',
      'tensor to cut the base at (default: the last one before global pooling / the first FC layer)',
    )
    .option('--data <path>', 'labeled data: an IDX folder or file, or an image folder')
    .option('--heads <list>', 'heads to train: gap, fc, mlp', 'gap,fc,mlp')
    .option('--epochs <n>', 'most epochs per head (early stopping may end sooner)', '10')
    .option('--limit <n>', 'the first N training images (validation is taken from them)')
    .option('--test-limit <n>', 'the first N test images')
    .option('--batch <n>', 'images per base run while extracting features', '64')
    .option('--train-batch <n>', 'mini-batch size of head training', '64')
    .option('--seed <n>', 'seed of the validation split, shuffles and head weights', '0')
    .option('--hidden <n>', 'hidden units of the mlp head', '128')
    .option('--lr <x>', "Adam's learning rate (default: gap 1e-2, fc and mlp 1e-3)")
    .option('--patience <n>', 'epochs without a better validation loss before stopping', '3')
    .option('--val-fraction <x>', 'share of the training images held out for validation', '0.1')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (0: its default)')
    .option('--export-dir <dir>', 'write each head with the base as <dir>/<base>-<tensor>-<head>.onnx')
    .option('--cache-dir <dir>', "feature cache folder (default: $STUDIO_CACHE_DIR, else the app's cache folder)")
    .option('--results <dir>', 'results folder (the result is saved in its lab/ sub-folder)', defaultResultsDir())
    .option('--no-save', 'do not save the result')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: LabOptions) => {
        const tasks = new TaskService({ results: new ResultsService(opts.results), isolation: 'none' });
        const outcome = await tasks.run('lab', labSpecFromOptions(opts), {
          save: opts.save,
          onProgress: progressPrinter(),
        });
        if (outcome.saveError) throw new StudioError(outcome.saveError, 'io-error');
        const { value: result, savedTo } = outcome;
        if (opts.json) return printJson(result);
        printText(renderLab(result));
        if (savedTo) printText(`\nsaved ${savedTo}`);
      }),
    );
}
