// One sentence per seed comparison saying why the cheaper target is cheaper, written from the
// live numbers (channel counts and ratios come from the cost reports, not from prose).
import type { CostReport } from '../../../shared/cost/cost-model.js';
import { grouped, ratio } from '../../../shared/format.js';

export interface Costed {
  target: string;
  report: CostReport;
}

const inChannels = (r: CostReport) => r.inputs[0]?.shape[1] ?? 0;
const inShape = (r: CostReport) => r.inputs[0]?.shape ?? [];
const outChannels = (r: CostReport, layer: string) => r.layers.find((l) => l.name === layer)?.outputShape[1];
const firstOut = (r: CostReport, re: RegExp) => r.layers.find((l) => re.test(l.name))?.outputShape[1];

/** The costlier (by MACs) and the cheaper of a pair, and how many times fewer MACs. */
export function order(a: Costed, b: Costed): { costly: Costed; cheap: Costed; r: number } {
  const [costly, cheap] = a.report.totals.macs >= b.report.totals.macs ? [a, b] : [b, a];
  const c = cheap.report.totals.macs;
  return { costly, cheap, r: c > 0 ? costly.report.totals.macs / c : Infinity };
}

const mode = (t: string, key: string) => new RegExp(`[:,]${key}=([^,]+)`).exec(t)?.[1];

export function explain(name: string, a: Costed, b: Costed): string {
  const { costly, cheap, r } = order(a, b);
  const x = ratio(r);
  const C = cheap.report;
  const K = costly.report;
  if (r <= 1.0001)
    return `Both do the same number of multiply-adds (${grouped(C.totals.macs)}); any difference in time comes from memory traffic and the runtime.`;
  switch (name) {
    case 'fc-vs-pointwise': {
      if (mode(cheap.target, 'mode') !== 'pointwise') break;
      const [, c, h, w] = inShape(C);
      const out = outChannels(C, 'pointwise') ?? '?';
      const units = K.outputs[0]?.shape[1] ?? '?';
      return `The 1x1 convolution does ${x} fewer multiply-adds: its ${c}x${out} weights are shared by all ${h}x${w} positions, while the fully connected layer gives each of its ${units} units a weight for every one of the ${h}x${w}x${c} inputs.`;
    }
    case 'basic-vs-bottleneck': {
      if (!cheap.target.startsWith('bottleneck')) break;
      const c = inChannels(C);
      const mid = outChannels(C, 'conv2') ?? '?';
      return `The bottleneck does ${x} fewer multiply-adds even though it carries ${c} channels instead of ${inChannels(K)}: its 1x1 convolutions reduce ${c} channels to ${mid} before the 3x3 runs and restore ${c} after it, so only a ${mid}-channel 3x3 is left to pay for.`;
    }
    case 'inception-naive-vs-reduced': {
      if (!/^inception(:|$)/.test(cheap.target)) break;
      const r3 = firstOut(C, /3x3_reduce$/) ?? '?';
      const r5 = firstOut(C, /5x5_reduce$/) ?? '?';
      return `The module with reductions does ${x} fewer multiply-adds: 1x1 convolutions shrink the ${inChannels(C)} input channels to ${r3} before the 3x3 branch and to ${r5} before the 5x5 branch, where the naive module runs them on all ${inChannels(K)}.`;
    }
    case 'inception-factorized-5x5':
      if (mode(cheap.target, 'factorize') !== 'true') break;
      return `Two stacked 3x3 convolutions see the same 5x5 window with 9 + 9 = 18 weights per channel pair instead of 25, so the factorized module does ${x} fewer multiply-adds (the other branches are unchanged, which is why the saving is modest).`;
    case 'inception-factorized-7x7':
      if (mode(cheap.target, 'factorize') !== 'true') break;
      return `A 1x7 followed by a 7x1 convolution covers the same 7x7 window with 7 + 7 = 14 weights per channel pair instead of 49, so the factorized module does ${x} fewer multiply-adds.`;
    case 'standard-vs-separable': {
      if (mode(cheap.target, 'mode') !== 'separable') break;
      const c = inChannels(C);
      const out = K.outputs[0]?.shape[1] ?? c;
      return `The separable version does ${x} fewer multiply-adds: the depthwise 3x3 filters each of the ${c} channels on its own (9 weights per channel) and a 1x1 then mixes them, instead of 3x3x${c} weights for each of ${out} outputs.`;
    }
    case 'gap-vs-fc-head': {
      if (!cheap.target.startsWith('head-gap')) break;
      const [, c, h, w] = inShape(C);
      return `Global average pooling does ${x} fewer multiply-adds in the head: it averages each of the ${c} channels over the ${h}x${w} positions first, so the classifier sees ${grouped(c)} inputs instead of ${h}x${w}x${c} = ${grouped(c * h * w)}.`;
    }
    case 'reduce-then-conv': {
      if (mode(cheap.target, 'mode') !== 'reduced') break;
      const c = inChannels(C);
      const mid = outChannels(C, 'reduce') ?? '?';
      return `Reducing first does ${x} fewer multiply-adds: a 1x1 convolution brings ${c} channels down to ${mid}, so the big convolution reads ${mid} channels instead of ${c} (plus a small ${c}x${mid} 1x1).`;
    }
  }
  return `${cheap.report.description ?? cheap.target} does ${x} fewer multiply-adds than ${costly.report.description ?? costly.target} (${grouped(C.totals.macs)} vs ${grouped(K.totals.macs)}).`;
}
