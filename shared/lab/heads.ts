// The lab's heads and their training, in plain Float32Array math (no ML library): dense layers,
// softmax cross-entropy, Adam, seeded mini-batches, a seeded validation split, early stopping on the
// validation loss with the best epoch's weights restored.
import { seededRandom } from '../random.js';
import { StudioError } from '../ir/types.js';
import {
  fitStandardizer,
  flattenRows,
  gapRows,
  standardize,
  type FeatureSet,
  type Rows,
  type Standardizer,
} from './features.js';

import { HEAD_KINDS, type HeadKind } from '../contract/lab.js';

export { HEAD_KINDS, type HeadKind };

export const HEAD_TITLES: Record<HeadKind, string> = {
  gap: 'global average pooling + linear',
  fc: 'flatten + linear',
  mlp: 'flatten + hidden FC (ReLU) + linear',
};

export function parseHeads(text: string): HeadKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0)
    throw new StudioError(`--heads needs at least one head: ${HEAD_KINDS.join(', ')}`, 'bad-parameter');
  for (const n of names)
    if (!(HEAD_KINDS as readonly string[]).includes(n))
      throw new StudioError(
        `unknown head '${n}': the lab trains ${HEAD_KINDS.map((k) => `${k} (${HEAD_TITLES[k]})`).join(', ')}`,
        'bad-parameter',
      );
  return [...new Set(names)] as HeadKind[];
}

/** A fully connected layer, W stored [out, in] (ONNX Gemm with transB = 1). */
export interface Dense {
  in: number;
  out: number;
  weight: Float32Array;
  bias: Float32Array;
}

export interface TrainOptions {
  epochs: number;
  /** Mini-batch size of training. */
  batchSize: number;
  learningRate: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  /** Hidden units of the mlp head. */
  hidden: number;
  seed: number;
  /** L2 penalty on the weights (not the biases), added to the gradient. */
  weightDecay: number;
}

/**
 * Adam's step size when the user gives none: the gap head is a logistic regression on a few dozen
 * pooled features and needs larger steps to converge within a few epochs; the flatten heads have
 * thousands of inputs per unit and fit (then overfit) quickly at the usual 1e-3.
 */
export const DEFAULT_LEARNING_RATE: Record<HeadKind, number> = { gap: 1e-2, fc: 1e-3, mlp: 1e-3 };

export const DEFAULT_TRAIN: TrainOptions = {
  epochs: 10,
  batchSize: 64,
  learningRate: 1e-3,
  patience: 3,
  hidden: 128,
  seed: 0,
  weightDecay: 1e-4,
};

export interface EpochReport {
  head: HeadKind;
  epoch: number;
  epochs: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainedHead {
  kind: HeadKind;
  /** Standardization of the head's input (after GAP for gap), fitted on the training rows. */
  standardizer: Standardizer;
  /** The layers on the standardized input (mlp: two, with a ReLU between). */
  layers: Dense[];
  classes: number;
  /** Learned values: weights and biases of every layer. */
  params: number;
  epochsRun: number;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  valLoss: number;
  valAccuracy: number;
  trainMs: number;
  history: EpochReport[];
}

/** A seeded split of [0, n): `fraction` of the indices (at least 1 when n > 1) for validation. */
export function validationSplit(n: number, fraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  shuffle(idx, seededRandom(seed ^ 0x5eed));
  const nVal = n > 1 ? Math.min(n - 1, Math.max(1, Math.round(n * fraction))) : 0;
  return { val: idx.slice(0, nVal).sort(), train: idx.slice(nVal).sort() };
}

function shuffle(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function denseLayer(inputs: number, outputs: number, rand: () => number, gain: number): Dense {
  // Uniform with variance gain / fan_in (gain 2: He, for a layer before a ReLU; 1: LeCun).
  const limit = Math.sqrt((3 * gain) / inputs);
  const weight = new Float32Array(inputs * outputs);
  for (let i = 0; i < weight.length; i++) weight[i] = (2 * rand() - 1) * limit;
  return { in: inputs, out: outputs, weight, bias: new Float32Array(outputs) };
}

/** The head's input rows: GAP'd for gap, the flattened features for fc and mlp. */
export function headInput(kind: HeadKind, f: FeatureSet): Rows {
  return kind === 'gap' ? gapRows(f) : flattenRows(f);
}

/**
 * y[k, j] = b[j] + x[row(k), :] . W[j, :] (ReLU'd when asked) for k in [0, n). Four units per pass
 * over a row, so each input value is loaded once for four weights (about 1.5x faster in V8).
 */
function forwardDense(
  layer: Dense,
  x: Float32Array,
  rowOf: (k: number) => number,
  n: number,
  y: Float32Array,
  relu: boolean,
): void {
  const { in: w, out, weight, bias } = layer;
  for (let k = 0; k < n; k++) {
    const xo = rowOf(k) * w;
    const yo = k * out;
    let j = 0;
    for (; j + 3 < out; j += 4) {
      const w0 = j * w,
        w1 = w0 + w,
        w2 = w1 + w,
        w3 = w2 + w;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let t = 0; t < w; t++) {
        const v = x[xo + t];
        s0 += v * weight[w0 + t];
        s1 += v * weight[w1 + t];
        s2 += v * weight[w2 + t];
        s3 += v * weight[w3 + t];
      }
      y[yo + j] = s0 + bias[j];
      y[yo + j + 1] = s1 + bias[j + 1];
      y[yo + j + 2] = s2 + bias[j + 2];
      y[yo + j + 3] = s3 + bias[j + 3];
    }
    for (; j < out; j++) {
      const wo = j * w;
      let s = 0;
      for (let t = 0; t < w; t++) s += x[xo + t] * weight[wo + t];
      y[yo + j] = s + bias[j];
    }
    if (relu) for (let i = yo; i < yo + out; i++) if (y[i] < 0) y[i] = 0;
  }
}

/**
 * gW[j, :] += sum_k d[k, j] x[row(k), :] and gb[j] += sum_k d[k, j], four samples per pass over a
 * weight row (a quarter of the read-modify-writes of gW: about 2.5x faster than one at a time).
 */
function weightGradient(
  layer: Dense,
  x: Float32Array,
  rowOf: (k: number) => number,
  n: number,
  d: Float32Array,
  gw: Float32Array,
  gb: Float32Array,
): void {
  const { in: w, out } = layer;
  gw.fill(0);
  gb.fill(0);
  for (let k = 0; k < n; k++) for (let j = 0; j < out; j++) gb[j] += d[k * out + j];
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const a0 = rowOf(k) * w,
      a1 = rowOf(k + 1) * w,
      a2 = rowOf(k + 2) * w,
      a3 = rowOf(k + 3) * w;
    for (let j = 0; j < out; j++) {
      const g0 = d[k * out + j],
        g1 = d[(k + 1) * out + j],
        g2 = d[(k + 2) * out + j],
        g3 = d[(k + 3) * out + j];
      if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
      const wo = j * w;
      for (let t = 0; t < w; t++) gw[wo + t] += g0 * x[a0 + t] + g1 * x[a1 + t] + g2 * x[a2 + t] + g3 * x[a3 + t];
    }
  }
  for (; k < n; k++) {
    const a = rowOf(k) * w;
    for (let j = 0; j < out; j++) {
      const g = d[k * out + j];
      if (g === 0) continue;
      const wo = j * w;
      for (let t = 0; t < w; t++) gw[wo + t] += g * x[a + t];
    }
  }
}

/** d x[k, :] = sum_j d[k, j] W[j, :], zeroed where the ReLU that produced x was off. */
function inputGradient(layer: Dense, d: Float32Array, n: number, xAct: Float32Array, dx: Float32Array): void {
  const { in: w, out, weight } = layer;
  dx.fill(0, 0, n * w);
  for (let k = 0; k < n; k++)
    for (let j = 0; j < out; j++) {
      const g = d[k * out + j];
      if (g === 0) continue;
      const wo = j * w;
      const xo = k * w;
      for (let t = 0; t < w; t++) dx[xo + t] += g * weight[wo + t];
    }
  for (let i = 0; i < n * w; i++) if (xAct[i] <= 0) dx[i] = 0;
}

/** Softmax cross-entropy of logits rows; writes d loss / d logits (averaged over n) into `grad`. */
function softmaxCrossEntropy(
  logits: Float32Array,
  labels: (k: number) => number,
  n: number,
  classes: number,
  grad?: Float32Array,
): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let k = 0; k < n; k++) {
    const o = k * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++)
      if (logits[o + c] > max) {
        max = logits[o + c];
        arg = c;
      }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c] - max);
    const label = labels(k);
    loss += Math.log(sum) - (logits[o + label] - max);
    if (arg === label) correct++;
    if (grad)
      for (let c = 0; c < classes; c++) grad[o + c] = (Math.exp(logits[o + c] - max) / sum - (c === label ? 1 : 0)) / n;
  }
  return { loss, correct };
}

class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  constructor(
    private readonly values: Float32Array,
    private readonly lr: number,
    private readonly decay: number,
  ) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
  }
  step(grad: Float32Array): void {
    const b1 = 0.9,
      b2 = 0.999,
      eps = 1e-8;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const { m, v, values, lr, decay } = this;
    for (let i = 0; i < values.length; i++) {
      const g = grad[i] + decay * values[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      values[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

/** Runs the layers (ReLU between them) over rows of standardized input; returns the logits. */
export function predictLogits(layers: Dense[], x: Rows, rows?: ArrayLike<number>): Float32Array {
  const n = rows ? rows.length : x.count;
  const rowOf = rows ? (k: number) => rows[k] : (k: number) => k;
  let input = x.data;
  let pick = rowOf;
  let out = new Float32Array(0);
  layers.forEach((layer, li) => {
    out = new Float32Array(n * layer.out);
    forwardDense(layer, input, pick, n, out, li < layers.length - 1);
    input = out;
    pick = (k) => k;
  });
  return out;
}

export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[k * classes + c] > logits[k * classes + best]) best = c;
    out[k] = best;
  }
  return out;
}

function evaluate(
  layers: Dense[],
  x: Rows,
  labels: Int32Array,
  rows: ArrayLike<number>,
  classes: number,
): { loss: number; accuracy: number } {
  if (rows.length === 0) return { loss: NaN, accuracy: NaN };
  const logits = predictLogits(layers, x, rows);
  const r = softmaxCrossEntropy(logits, (k) => labels[rows[k]], rows.length, classes);
  return { loss: r.loss / rows.length, accuracy: r.correct / rows.length };
}

export interface TrainInput {
  kind: HeadKind;
  /** The head's input rows (headInput), not yet standardized. */
  rows: Rows;
  labels: Int32Array;
  classes: number;
  /** Rows trained on and rows validated on (validationSplit). */
  trainIdx: Int32Array;
  valIdx: Int32Array;
}

/**
 * Trains one head. `now` is the caller's clock in milliseconds (shared code has no timer of its
 * own); `onEpoch` hears every epoch's losses.
 */
export function trainHead(
  input: TrainInput,
  opts: TrainOptions,
  now: () => number,
  onEpoch?: (e: EpochReport) => void,
): TrainedHead {
  const t0 = now();
  const { kind, classes, labels, trainIdx, valIdx } = input;
  if (trainIdx.length === 0) throw new StudioError('no training images left after the validation split', 'bad-data');
  const standardizer = fitStandardizer(input.rows, trainIdx);
  const x = standardize(input.rows, standardizer);
  const rand = seededRandom(opts.seed ^ (0x9e3779b9 * (HEAD_KINDS.indexOf(kind) + 1)));
  const layers =
    kind === 'mlp'
      ? [denseLayer(x.width, opts.hidden, rand, 2), denseLayer(opts.hidden, classes, rand, 1)]
      : [denseLayer(x.width, classes, rand, 1)];
  const adams = layers.flatMap((l) => [
    new Adam(l.weight, opts.learningRate, opts.weightDecay),
    new Adam(l.bias, opts.learningRate, 0),
  ]);
  const grads = layers.map((l) => ({ w: new Float32Array(l.weight.length), b: new Float32Array(l.bias.length) }));
  const B = opts.batchSize;
  const acts = layers.map((l) => new Float32Array(B * l.out));
  const deltas = layers.map((l) => new Float32Array(B * l.out));
  const order = trainIdx.slice();
  const shuffleRand = seededRandom(opts.seed ^ 0x51ed);

  let best = {
    loss: Infinity,
    epoch: 0,
    accuracy: NaN,
    weights: layers.map((l) => [l.weight.slice(), l.bias.slice()]),
  };
  const history: EpochReport[] = [];
  let since = 0;
  let epoch = 0;
  while (epoch < opts.epochs) {
    epoch++;
    shuffle(order, shuffleRand);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += B) {
      const n = Math.min(B, order.length - start);
      // Forward: the first layer reads the standardized rows of this batch, the next ones the activations.
      forwardDense(layers[0], x.data, (k) => order[start + k], n, acts[0], layers.length > 1);
      for (let li = 1; li < layers.length; li++)
        forwardDense(layers[li], acts[li - 1], (k) => k, n, acts[li], li < layers.length - 1);
      const last = layers.length - 1;
      lossSum += softmaxCrossEntropy(acts[last], (k) => labels[order[start + k]], n, classes, deltas[last]).loss;
      // Backward, last layer first; the first layer needs no input gradient.
      for (let li = last; li >= 0; li--) {
        const rowOf = li === 0 ? (k: number) => order[start + k] : (k: number) => k;
        weightGradient(layers[li], li === 0 ? x.data : acts[li - 1], rowOf, n, deltas[li], grads[li].w, grads[li].b);
        if (li > 0) inputGradient(layers[li], deltas[li], n, acts[li - 1], deltas[li - 1]);
      }
      layers.forEach((_, li) => {
        adams[2 * li].step(grads[li].w);
        adams[2 * li + 1].step(grads[li].b);
      });
    }
    const val = evaluate(layers, x, labels, valIdx, classes);
    const report: EpochReport = {
      head: kind,
      epoch,
      epochs: opts.epochs,
      trainLoss: lossSum / order.length,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
    };
    history.push(report);
    onEpoch?.(report);
    // Without validation rows every epoch counts as the best: the last one is kept.
    if (!(val.loss >= best.loss - 1e-6) || valIdx.length === 0) {
      best = {
        loss: val.loss,
        epoch,
        accuracy: val.accuracy,
        weights: layers.map((l) => [l.weight.slice(), l.bias.slice()]),
      };
      since = 0;
    } else if (++since >= opts.patience) break;
  }
  layers.forEach((l, li) => {
    l.weight.set(best.weights[li][0]);
    l.bias.set(best.weights[li][1]);
  });
  return {
    kind,
    standardizer,
    layers,
    classes,
    params: layers.reduce((s, l) => s + l.weight.length + l.bias.length, 0),
    epochsRun: epoch,
    bestEpoch: best.epoch,
    valLoss: best.loss,
    valAccuracy: best.accuracy,
    trainMs: now() - t0,
    history,
  };
}

/** Predicted classes of rows that are not standardized yet (test rows), the JS float path. */
export function predictClasses(head: TrainedHead, rows: Rows): Int32Array {
  return argmaxRows(predictLogits(head.layers, standardize(rows, head.standardizer)), head.classes);
}

/**
 * The first layer with the standardization folded in: W'[j, k] = W[j, k] / std[k] and
 * b'[j] = b[j] - sum_k W[j, k] mean[k] / std[k] (computed in float64), so that the exported head
 * reads the raw features.
 */
export function foldedLayers(head: TrainedHead): Dense[] {
  const [first, ...rest] = head.layers;
  const { mean, std } = head.standardizer;
  const weight = new Float32Array(first.weight.length);
  const bias = new Float32Array(first.out);
  for (let j = 0; j < first.out; j++) {
    let shift = 0;
    for (let k = 0; k < first.in; k++) {
      const w = first.weight[j * first.in + k] / std[k];
      weight[j * first.in + k] = w;
      shift += w * mean[k];
    }
    bias[j] = first.bias[j] - shift;
  }
  return [{ in: first.in, out: first.out, weight, bias }, ...rest];
}
