// 16-bit float bit patterns. The studio holds float16/bfloat16 tensors as Uint16Array bit
// patterns (there is no Float16Array in Node 20); these convert to and from numbers.
import type { DType, TensorData } from '../ir/types.js';

/** IEEE half from a float, round to nearest even (for float16 weights generated as float32). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0));
  }
  const rem = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function toBfloat16(v: number): number {
  const x = new Uint32Array(new Float32Array([v]).buffer)[0];
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The first element as a number; float16/bfloat16 are held as bit patterns and decoded here. */
export function firstValue(data: TensorData, dtype: DType): number {
  const v = Number(data[0]);
  if (dtype === 'bfloat16') return new Float32Array(new Uint32Array([v << 16]).buffer)[0];
  if (dtype !== 'float16') return v;
  const exp = (v >> 10) & 0x1f;
  const mant = v & 0x3ff;
  const mag =
    exp === 0 ? mant * 2 ** -24 : exp === 0x1f ? (mant ? NaN : Infinity) : (1 + mant / 1024) * 2 ** (exp - 15);
  return v & 0x8000 ? -mag : mag;
}
