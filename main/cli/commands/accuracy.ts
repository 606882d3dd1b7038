// `accuracy`: a classifier (a catalog block or zoo model with seeded weights, or an .onnx file)
// over a labeled data set (an image folder or MNIST-style IDX files): top-1, top-5, per-class
// accuracy, the confusion matrix and images per second. Progress on stderr, results on stdout.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { AccuracyResult } from '../../../shared/contract/accuracy.js';
import { BACKEND_NAMES, type PrecisionName } from '../../../shared/contract/job.js';
import type { Preprocess } from '../../../shared/data/dataset.js';
import { StudioError } from '../../../shared/ir/types.js';
import type { AccuracySpecInput } from '../../accuracy/run-accuracy.js';
import { parseCalibration, parsePrecisions } from '../../precision/options.js';
import type { PreprocessFlags } from '../../accuracy/preprocess-defaults.js';
import { ResultsService } from '../../services/results.js';
import { TaskService } from '../../services/tasks.js';
import { defaultResultsDir } from '../../store/paths.js';
import { table } from '../format.js';
import { action, printJson, printText, warn, terminalSafe } from '../io.js';
import { withTargetOptions, type TargetOptions } from './cost.js';
import { parseBackend, parseIsa, parseThreads } from './verify.js';

interface AccuracyOptions extends TargetOptions {
  data: string;
  split?: string;
  limit?: string;
  batch: string;
  backend: string;
  seed: string;
  threads?: string;
  isa?: string;
  channels?: string;
  resize?: string;
  crop?: string;
  channelOrder?: string;
  scale?: string;
  mean?: string;
  std?: string;
  skipUnreadable?: boolean;
  precision: string;
  calibration?: string;
  calibrationSamples?: string;
  percentile?: string;
  calibrationData?: string;
  results: string;
  save: boolean;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new StudioError(`${flag} must be a positive integer, got '${text}'`, 'bad-parameter');
  return n;
}

function numberList(text: string, flag: string): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length < 1 || v.length > 3 || v.some((x) => !Number.isFinite(x)))
    throw new StudioError(
      `${flag} takes one number or three separated by commas (e.g. 0.485,0.456,0.406), got '${text}'`,
      'bad-parameter',
    );
  return v;
}

/** The preprocessing flags given on the command line (absent ones stay undefined). */
export function preprocessFlags(o: AccuracyOptions): PreprocessFlags {
  const f: PreprocessFlags = {};
  if (o.channels !== undefined) {
    if (o.channels !== '1' && o.channels !== '3')
      throw new StudioError(`--channels must be 1 (gray) or 3 (color), got '${o.channels}'`, 'bad-parameter');
    f.channels = Number(o.channels) as 1 | 3;
  }
  if (o.resize !== undefined) f.resize = positiveInt(o.resize, '--resize');
  if (o.crop !== undefined) {
    const dims = o.crop
      .toLowerCase()
      .split('x')
      .map((d) => positiveInt(d.trim(), '--crop (HxW)'));
    if (dims.length > 2) throw new StudioError(`--crop takes HxW or one size, got '${o.crop}'`, 'bad-parameter');
    f.crop = [dims[0], dims[1] ?? dims[0]];
  }
  if (o.channelOrder !== undefined) {
    if (o.channelOrder !== 'rgb' && o.channelOrder !== 'bgr')
      throw new StudioError(`--channel-order must be rgb or bgr, got '${o.channelOrder}'`, 'bad-parameter');
    f.channelOrder = o.channelOrder;
  }
  if (o.scale !== undefined) {
    const s = Number(o.scale);
    if (!(s > 0)) throw new StudioError(`--scale must be a positive number, got '${o.scale}'`, 'bad-parameter');
    f.scale = s;
  }
  if (o.mean !== undefined) f.mean = numberList(o.mean, '--mean');
  if (o.std !== undefined) {
    f.std = numberList(o.std, '--std');
    if (f.std.some((s) => !(s > 0)))
      throw new StudioError(`--std values must be positive, got '${o.std}'`, 'bad-parameter');
  }
  return f;
}

/** Progress on stderr: a bar on a terminal, otherwise a line at every ~10%. */
function progressReporter(label: string): { update: (p: { done: number; total: number }) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ` {bar} ${label} | {value}/{total} images | {rate} img/s`,
        hideCursor: true,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    const t0 = performance.now();
    let started = false;
    return {
      update: ({ done, total }) => {
        if (!started) {
          bar.start(total, 0, { rate: '-' });
          started = true;
        }
        bar.update(done, { rate: Math.round((done * 1000) / Math.max(1, performance.now() - t0)) });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update: ({ done, total }) => {
      const tenth = Math.floor((done * 10) / Math.max(1, total));
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(
        terminalSafe(`${label}: ${done}/${total} images (${Math.round((done * 100) / Math.max(1, total))}%)\n`),
      );
    },
    stop: () => undefined,
  };
}

/** The CLI's options as an AccuracySpec (validated again by runAccuracySpec). */
export function accuracySpecFromOptions(target: string, o: AccuracyOptions): AccuracySpecInput {
  const seed = Number(o.seed);
  if (!Number.isInteger(seed)) throw new StudioError(`--seed must be an integer, got '${o.seed}'`, 'bad-parameter');
  if (o.split !== undefined && !['train', 'test', 'all'].includes(o.split))
    throw new StudioError(`--split must be train, test or all, got '${o.split}'`, 'bad-parameter');
  return {
    target,
    variant: o.variant,
    set: o.set,
    input: o.input,
    data: o.data,
    split: o.split as 'train' | 'test' | 'all' | undefined,
    limit: o.limit !== undefined ? positiveInt(o.limit, '--limit') : undefined,
    batch: positiveInt(o.batch, '--batch'),
    backend: parseBackend(o.backend),
    seed,
    threads: parseThreads(o.threads),
    isa: parseIsa(o.isa),
    preprocess: preprocessFlags(o),
    skipUnreadable: o.skipUnreadable ?? false,
    calibration: parseCalibration(o),
    ...(o.calibrationData ? { calibrationData: o.calibrationData } : {}),
  };
}

/** One precision through the accuracy service, in this process (saved unless --no-save). */
async function runAccuracyTask(target: string, o: AccuracyOptions, progress: boolean, precision: PrecisionName) {
  const spec = { ...accuracySpecFromOptions(target, o), precision };
  const bar = progress
    ? progressReporter(`accuracy ${target}${precision === 'fp32' ? '' : ` (${precision})`}`)
    : undefined;
  const tasks = new TaskService({ results: new ResultsService(o.results), isolation: 'none' });
  try {
    return await tasks.run('accuracy', spec, {
      save: o.save,
      onProgress: (p) => p.done !== undefined && p.total !== undefined && bar?.update({ done: p.done, total: p.total }),
    });
  } finally {
    bar?.stop();
  }
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

export function describePreprocess(p: Preprocess): string {
  return [
    `${p.channels} channel${p.channels === 1 ? '' : 's'}`,
    p.resize ? `resize shorter side to ${p.resize}` : 'no resize',
    p.crop ? `center crop ${p.crop[0]}x${p.crop[1]}` : 'no crop',
    ...(p.channels === 3 ? [p.channelOrder.toUpperCase()] : []),
    `x ${p.scale}/255`,
    `mean ${p.mean.join(',')}`,
    `std ${p.std.join(',')}`,
  ].join(', ');
}

export function renderAccuracy(r: AccuracyResult): string {
  const d = r.dataset;
  const a = r.accuracy;
  const t = r.timing;
  const sourceText = { flags: 'flags', 'model-metadata': "the model's metadata", 'model-input': "the model's input" }[
    r.preprocessSource
  ];
  const lines = [
    `${r.target} (${r.model}) on ${d.source}: ${d.split} split, ${d.count} of ${d.available} images, ${d.classes.length} classes, ${d.imageShape.join('x')}`,
    `preprocessing (from ${sourceText}): ${describePreprocess(d.preprocess)}`,
    `backend ${r.backend.backend}, ${r.precision}, batch ${t.batch}${r.seed !== undefined ? `, seeded weights (seed ${r.seed})` : ''}`,
    '',
    `top-1 accuracy   ${pct(a.top1)} (${a.perClass.reduce((s, c) => s + c.correct, 0)} of ${a.count})`,
    ...(a.top5 !== undefined ? [`top-5 accuracy   ${pct(a.top5)}`] : []),
    `images/s         ${t.inferenceImagesPerSecond.toFixed(0)} inference only, ${t.endToEndImagesPerSecond.toFixed(0)} end to end (decoding and preprocessing included)`,
    `time             ${(t.elapsedMs / 1000).toFixed(2)} s (session ${t.sessionMs.toFixed(0)} ms, data ${t.dataMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms)`,
    '',
    table(
      ['#', 'class', 'images', 'correct', 'accuracy'],
      a.perClass.map((c, i) => [String(i), c.name, String(c.count), String(c.correct), pct(c.accuracy)]),
    ),
  ];
  if (a.outputs <= 30) {
    lines.push('', 'confusion matrix (rows: true class #, columns: predicted output #)');
    lines.push(
      table(
        ['true \\ pred', ...Array.from({ length: a.outputs }, (_, j) => String(j))],
        a.confusion.map((row, i) => [String(i), ...row.map(String)]),
      ),
    );
  } else lines.push('', `confusion matrix: ${a.outputs} outputs, in the --json output`);
  return lines.join('\n');
}

/** The precisions side by side: what a variant costs in accuracy and what it gains in speed. */
export function renderPrecisionComparison(
  results: AccuracyResult[],
  refused: { precision: string; reason: string }[] = [],
): string {
  const ref = results.find((r) => r.precision === 'fp32');
  return table(
    ['precision', 'top-1', 'vs fp32', 'top-5', 'images/s (inference)'],
    [
      ...results.map((r) => [
        r.precision,
        pct(r.accuracy.top1),
        ref && r !== ref ? `${((r.accuracy.top1 - ref.accuracy.top1) * 100).toFixed(2)} points` : '',
        pct(r.accuracy.top5),
        r.timing.inferenceImagesPerSecond.toFixed(0),
      ]),
      ...refused.map((r) => [r.precision, 'refused', '', '', '']),
    ],
  );
}

export function registerAccuracy(program: Command): void {
  withTargetOptions(
    program
      .command('accuracy <target>')
      .description(
        'top-1 / top-5 accuracy, per-class accuracy, the confusion matrix and images per second of a classifier (a block, a zoo model or an .onnx file) on labeled data (an image folder with one sub-folder per class, or MNIST-style IDX files)',
      )
      .requiredOption(
        '--data <path>',
        'image folder (one sub-folder per class; train/ and test/ optional) or IDX folder / images file',
      )
      .option('--split <split>', 'train, test or all (default: test where the data has splits, else all)')
      .option('--limit <n>', 'only the first N images of the split')
      .option('--batch <n>', 'images per inference', '32')
      .option('--backend <name>', `backend: ${BACKEND_NAMES.join(', ')}`, 'ort-cpu')
      .option('--seed <n>', 'seed of the generated weights (blocks and zoo models)', '0')
      .option('--threads <n>', 'intra-op threads (0: one per physical core)')
      .option('--isa <path>', 'native kernel path: auto, scalar, avx2, avx512')
      .option('--channels <n>', 'channels the model reads: 1 (gray) or 3 (color)')
      .option('--resize <n>', 'resize the shorter side to N pixels (bilinear)')
      .option('--crop <HxW>', 'center crop after the resize, e.g. 224x224')
      .option('--channel-order <order>', 'rgb or bgr')
      .option('--scale <s>', 'pixel values 0..255 become 0..s')
      .option('--mean <a,b,c>', 'subtracted per channel after scaling')
      .option('--std <a,b,c>', 'divided per channel after the mean')
      .option('--skip-unreadable', 'skip (and count) images that cannot be decoded instead of failing')
      .option('--precision <list>', 'fp32, fp16, int8, or several (e.g. fp32,int8): each a run and a result', 'fp32')
      .option('--calibration <method>', 'int8 activation ranges: minmax, percentile or entropy (default minmax)')
      .option('--calibration-samples <n>', 'int8: calibration batches of --batch images (default 8)')
      .option('--percentile <p>', 'percentile calibration: the share of values kept, % (default 99.999)')
      .option(
        '--calibration-data <path>',
        'int8: labeled data whose training split calibrates the ranges (default: the training split of --data)',
      )
      .option(
        '--results <dir>',
        'results folder (the result is saved in its accuracy/ sub-folder)',
        defaultResultsDir(),
      )
      .option('--no-save', 'do not save the result'),
  ).action(
    action(async (target: string, o: AccuracyOptions) => {
      const precisions = parsePrecisions(o.precision);
      const results: AccuracyResult[] = [];
      const refused: { precision: PrecisionName; reason: string }[] = [];
      for (const precision of precisions) {
        let result: AccuracyResult;
        let savedTo: string | undefined;
        try {
          const outcome = await runAccuracyTask(target, o, true, precision);
          if (outcome.saveError) throw new StudioError(outcome.saveError, 'io-error');
          result = outcome.value;
          savedTo = outcome.savedTo;
        } catch (e) {
          // One precision a backend cannot run does not cost the others (asked alone, it is the error).
          if (precisions.length > 1 && e instanceof StudioError && e.code === 'refused') {
            refused.push({ precision, reason: e.message });
            if (!o.json) warn(`${precision} refused: ${e.message}`);
            continue;
          }
          throw e;
        }
        results.push(result);
        if (o.json) continue;
        for (const w of result.warnings) warn(w);
        if (results.length > 1) printText('');
        printText(renderAccuracy(result));
        for (const note of result.precisionDetails?.notes ?? []) printText(`  ${note}`);
        if (savedTo) printText(`\nsaved ${savedTo}`);
      }
      if (results.length === 0)
        throw new StudioError(refused.map((r) => `${r.precision}: ${r.reason}`).join('\n'), 'refused');
      if (o.json) return printJson(precisions.length === 1 ? results[0] : { results, refused });
      if (precisions.length > 1) printText(`\n${renderPrecisionComparison(results, refused)}`);
    }),
  );
}
