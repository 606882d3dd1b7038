// The seeded inputs every backend is fed: the same values for the same graph and seed, whichever
// runtime, precision variant or calibration run reads them.
import { numel, type Graph } from '../../shared/ir/types.js';
import { toHalf } from '../../shared/onnx/half.js';
import { seededRandom } from '../../shared/random.js';
import type { HostTensor } from './backend.js';

/**
 * Inputs for every graph input: uniform [-1, 1) for floating-point inputs (seeded per input name);
 * zeros for integer and boolean inputs, which are indices or masks where random values could be
 * out of range.
 */
export function makeInputs(graph: Graph, seed: number): HostTensor[] {
  return graph.inputs.map((input, k) => {
    const n = numel(input.shape);
    const next = seededRandom((seed * 0x9e3779b1 + k + 1) >>> 0);
    let data: HostTensor['data'];
    switch (input.dtype) {
      case 'float32':
      case 'float64': {
        const arr = input.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) arr[i] = next() * 2 - 1;
        data = arr;
        break;
      }
      case 'float16': {
        const arr = new Uint16Array(n);
        for (let i = 0; i < n; i++) arr[i] = toHalf(next() * 2 - 1);
        data = arr;
        break;
      }
      case 'int64':
        data = new BigInt64Array(n);
        break;
      case 'uint64':
        data = new BigUint64Array(n);
        break;
      case 'int32':
        data = new Int32Array(n);
        break;
      case 'uint32':
        data = new Uint32Array(n);
        break;
      case 'int16':
        data = new Int16Array(n);
        break;
      case 'uint16':
        data = new Uint16Array(n);
        break;
      case 'int8':
        data = new Int8Array(n);
        break;
      case 'uint8':
      case 'bool':
        data = new Uint8Array(n);
        break;
      default:
        throw new Error(`graph input '${input.name}' has type ${input.dtype}, which the benchmark cannot generate`);
    }
    return { name: input.name, dtype: input.dtype, shape: [...input.shape], data };
  });
}
