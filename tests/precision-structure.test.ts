// The fp16 and int8 variants as ONNX graphs: what the rewrites produce, checked node by node.
import { describe, expect, it } from 'vitest';
import { decodeTensor, onnx, type OnnxTypes } from '../shared/onnx/tensor.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { convertToFp16 } from '../shared/precision/fp16.js';
import { planQuantization, prepareForQuantization, quantizeQdq, type Range } from '../shared/precision/int8.js';
import { buildTarget } from '../shared/targets.js';

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
const FLOAT16 = 10;

const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);
const attr = (n: OnnxTypes.INodeProto, name: string) => (n.attribute ?? []).find((a) => a.name === name);

describe('fp16 variant', () => {
  const fp32 = graphToOnnx(buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } }), { seed: 0 });
  const v = convertToFp16(fp32);
  const m = decode(v.bytes);
  const g = m.graph!;

  it('stores every float initializer as float16', () => {
    expect(g.initializer!.length).toBeGreaterThan(0);
    expect(g.initializer!.every((t) => t.dataType === FLOAT16)).toBe(true);
    expect(v.convertedInitializers).toBe(g.initializer!.length);
    // Values survive the rounding to within float16's precision.
    const before = decode(fp32).graph!.initializer!.find((t) => t.name === g.initializer![0].name)!;
    const a = decodeTensor(before, 'a').data as Float32Array;
    const b = decodeTensor(g.initializer![0], 'b').data as Uint16Array;
    expect(b.length).toBe(a.length);
  });

  it('keeps float32 inputs and outputs with one Cast at each boundary', () => {
    expect(g.input!.map((i) => i.type!.tensorType!.elemType)).toEqual([FLOAT]);
    expect(g.output!.map((o) => o.type!.tensorType!.elemType)).toEqual([FLOAT]);
    const first = g.node![0];
    const last = g.node!.at(-1)!;
    expect(first.opType).toBe('Cast');
    expect(first.input).toEqual([g.input![0].name]);
    expect(Number(attr(first, 'to')!.i)).toBe(FLOAT16);
    expect(last.opType).toBe('Cast');
    expect(last.output).toEqual([g.output![0].name]);
    expect(Number(attr(last, 'to')!.i)).toBe(FLOAT);
    expect(v.boundaryCasts).toBe(2);
    // No compute node reads the float32 input directly.
    const computes = g.node!.filter((n) => n.opType !== 'Cast');
    expect(computes.some((n) => n.input!.includes(g.input![0].name!))).toBe(false);
    expect(v.ops).toEqual(['Add', 'BatchNormalization', 'Conv', 'Relu']);
  });
});

describe('int8 variant (QDQ)', () => {
  const fp32 = graphToOnnx(buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } }), { seed: 0 });
  const prepared = prepareForQuantization(fp32);
  const plan = planQuantization(decode(prepared.bytes));
  // Fixed ranges instead of calibration: the structure does not depend on them.
  const ranges = new Map<string, Range>(plan.calibrate.map((t, i) => [t, { min: i === 0 ? -1 : 0, max: 2 + i }]));
  const q = quantizeQdq(prepared.bytes, ranges);
  const g = decode(q.bytes).graph!;
  const init = new Map(g.initializer!.map((t) => [t.name!, t]));
  const producer = new Map(g.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));

  it('folds BatchNormalization into the Conv and absorbs the Relus', () => {
    expect(prepared.report.foldedBatchNorms).toBe(3);
    expect(decode(prepared.bytes).graph!.node!.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    expect(q.report.removedActivations).toBe(3);
    expect(g.node!.some((n) => n.opType === 'Relu')).toBe(false);
    expect(q.report.ops).toEqual({ Conv: 3, Add: 1 });
  });

  it('gives every Conv per-channel int8 weights, an int32 bias and QDQ activations', () => {
    const convs = g.node!.filter((n) => n.opType === 'Conv');
    expect(convs).toHaveLength(3);
    for (const c of convs) {
      const [x, w, b] = c.input!;
      // Input: DequantizeLinear of a uint8 QuantizeLinear with scalar scale and zero point.
      const dqx = producer.get(x)!;
      expect(dqx.opType).toBe('DequantizeLinear');
      expect(init.get(dqx.input![2])!.dataType).toBe(UINT8);
      expect(init.get(dqx.input![1])!.dims).toEqual([]);
      // Weights: int8, one scale and one zero (int8, 0) per output channel, axis 0.
      const dqw = producer.get(w)!;
      expect(dqw.opType).toBe('DequantizeLinear');
      expect(Number(attr(dqw, 'axis')!.i)).toBe(0);
      const wq = init.get(dqw.input![0])!;
      const channels = Number(wq.dims![0]);
      expect(wq.dataType).toBe(INT8);
      const ws = decodeTensor(init.get(dqw.input![1])!, 'ws').data as Float32Array;
      expect(ws.length).toBe(channels);
      expect(new Set(ws).size).toBeGreaterThan(1);
      const wz = init.get(dqw.input![2])!;
      expect(wz.dataType).toBe(INT8);
      expect([...(decodeTensor(wz, 'wz').data as Int8Array)].every((z) => z === 0)).toBe(true);
      const wv = decodeTensor(wq, 'wq').data as Int8Array;
      expect(Math.max(...wv.map(Math.abs))).toBe(127);
      // Bias: int32 with scale = input scale x weight scale, per channel.
      const dqb = producer.get(b)!;
      expect(dqb.opType).toBe('DequantizeLinear');
      expect(init.get(dqb.input![0])!.dataType).toBe(INT32);
      const bs = decodeTensor(init.get(dqb.input![1])!, 'bs').data as Float32Array;
      const xs = (decodeTensor(init.get(dqx.input![1])!, 'xs').data as Float32Array)[0];
      bs.forEach((s, k) => expect(Math.abs(s - xs * ws[k])).toBeLessThan(1e-6 * s));
      expect(init.get(dqb.input![2])!.dataType).toBe(INT32);
      // Output: straight into a QuantizeLinear (QLinearConv needs it).
      const consumers = g.node!.filter((n) => n.input!.includes(c.output![0]));
      expect(consumers.map((n) => n.opType)).toEqual(['QuantizeLinear']);
    }
  });

  it('quantizes both inputs and the output of the residual Add and keeps the graph output float32', () => {
    const add = g.node!.find((n) => n.opType === 'Add')!;
    expect(add.input!.map((i) => producer.get(i)?.opType)).toEqual(['DequantizeLinear', 'DequantizeLinear']);
    const out = g.output![0];
    expect(out.type!.tensorType!.elemType).toBe(FLOAT);
    expect(producer.get(out.name!)!.opType).toBe('DequantizeLinear');
    // The output's range came from the removed Relu: zero point 0.
    const dq = producer.get(out.name!)!;
    expect((decodeTensor(init.get(dq.input![2])!, 'zp').data as Uint8Array)[0]).toBe(0);
  });
});
