import { seededRandom } from '../random.js';
import { numel, type Graph, type Initializer, type TensorData } from '../ir/types.js';

/** Largest initializer whose values are produced during shape inference (shape tensors, scalars). */
const SMALL_CONSTANT = 64;

/** FNV-1a of the seed and the tensor's name: each tensor's values depend only on (seed, name). */
function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function typedArrayFor(init: Initializer, n: number): TensorData {
  switch (init.dtype) {
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float64':
      return new Float64Array(n);
    default:
      return new Float32Array(n);
  }
}

/** Produces an initializer's values from its `init` recipe, deterministically from `seed`. */
export function generateValues(init: Initializer, seed = 0): TensorData {
  if (init.data) return init.data;
  const n = numel(init.shape);
  const out = typedArrayFor(init, n);
  const recipe = init.init ?? { kind: 'constant', value: 0 };
  const set = (i: number, v: number) => {
    if (out instanceof BigInt64Array) out[i] = BigInt(Math.trunc(v));
    else (out as Float32Array)[i] = v;
  };
  if (recipe.kind === 'constant') for (let i = 0; i < n; i++) set(i, recipe.value);
  else if (recipe.kind === 'values') recipe.values.forEach((v, i) => set(i, v));
  else {
    // He-normal (He et al. 2015): N(0, 2 / fan_in), sampled by Box-Muller.
    const std = Math.sqrt(2 / Math.max(1, recipe.fanIn));
    const rand = seededRandom(hashSeed(seed, init.name));
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(rand(), 1e-12);
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      set(i, r * Math.cos(2 * Math.PI * v));
      if (i + 1 < n) set(i + 1, r * Math.sin(2 * Math.PI * v));
    }
  }
  return out;
}

/** Values of a small constant (a shape, a bound, a scalar), for folding during inference. */
export function smallConstantValue(init: Initializer): TensorData | undefined {
  if (init.data) return numel(init.shape) <= SMALL_CONSTANT ? init.data : undefined;
  if (numel(init.shape) > SMALL_CONSTANT || init.init?.kind === 'he-normal') return undefined;
  return generateValues(init);
}

/**
 * Gives every initializer its values. Called only when a graph is exported or run, so that
 * costing a 150M-parameter model allocates no weights.
 */
export function materializeWeights(graph: Graph, seed = 0): void {
  for (const init of graph.initializers.values()) if (!init.data) init.data = generateValues(init, seed);
}
