// Exports declare opset >= 17, but an imported file may be older (the onnx-light models are
// opset 9): attributes that later became inputs or disappeared must be rewritten, or ONNX Runtime
// rejects the file ("Unrecognized attribute: ratio for operator Dropout"). This covers the forms
// CNN files use; anything else that changed is refused with a message, never written wrongly.
import { StudioError, type Graph, type GraphNode, type Initializer } from '../ir/types.js';

export interface Upgraded {
  nodes: GraphNode[];
  /** Constants that used to be attributes (Clip bounds, Reshape shapes, Dropout ratios, axes). */
  extra: Initializer[];
}

/** Operators whose signature changed between `from` and 17 in ways not handled below. */
const CHANGED_SINCE: Record<string, number> = {
  Pad: 11,
  Split: 13,
  Slice: 10,
  ReduceSum: 13,
  Upsample: 10,
  Resize: 11,
  TopK: 10,
  Cast: 6,
  Scan: 9,
  Loop: 11,
  If: 11,
};

/** Rewrites nodes written for default-domain opset `from` so that they are valid at opset 17. */
export function upgradeNodes(graph: Graph, nodes: GraphNode[], from: number): Upgraded {
  const extra: Initializer[] = [];
  const constant = (node: GraphNode, what: string, values: number[], shape: number[], dtype: 'float32' | 'int64') => {
    const name = `${node.name}.${what}`;
    extra.push({ name, dtype, shape, role: 'constant', trainable: false, init: { kind: 'values', values } });
    return name;
  };
  const fail = (node: GraphNode, why: string) =>
    new StudioError(
      `cannot export ${node.op} node '${node.name}' from opset ${from} to opset 17: ${why}. Export is refused rather than written wrong.`,
      'unsupported',
    );
  const out = nodes.map((orig) => {
    if (orig.domain !== '') return orig;
    const node: GraphNode = { ...orig, inputs: [...orig.inputs], attrs: { ...orig.attrs } };
    const a = node.attrs;
    const take = (k: string) => {
      const v = a[k];
      delete a[k];
      return v;
    };
    take('consumed_inputs'); // an opset < 6 memory hint with no meaning since
    if (CHANGED_SINCE[node.op] !== undefined && from < CHANGED_SINCE[node.op])
      throw fail(node, `its signature changed at opset ${CHANGED_SINCE[node.op]}`);
    switch (node.op) {
      case 'Dropout': {
        // Inference ignores the ratio, but it is kept, as the input it became at opset 12.
        take('is_test');
        const ratio = take('ratio');
        if (ratio && ratio.type === 'float' && node.inputs.length < 2)
          node.inputs[1] = constant(node, 'ratio', [ratio.value], [], 'float32');
        break;
      }
      case 'BatchNormalization': {
        take('is_test');
        const spatial = take('spatial');
        if (spatial && spatial.type === 'int' && spatial.value === 0)
          throw fail(node, 'spatial=0 has no opset-17 form');
        break;
      }
      case 'Gemm':
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        // Before opset 7 broadcasting was opt-in and could be aligned by `axis`; numpy rules since.
        take('broadcast');
        if (take('axis')) throw fail(node, 'legacy broadcasting along an axis');
        break;
      }
      case 'Clip': {
        const lo = take('min');
        const hi = take('max');
        if (lo?.type === 'float') node.inputs[1] = constant(node, 'min', [lo.value], [], 'float32');
        if (hi?.type === 'float') node.inputs[2] = constant(node, 'max', [hi.value], [], 'float32');
        if (node.inputs[2] && !node.inputs[1]) node.inputs[1] = '';
        break;
      }
      case 'Reshape': {
        const shape = take('shape');
        if (shape?.type === 'ints')
          node.inputs[1] = constant(node, 'shape', shape.value, [shape.value.length], 'int64');
        break;
      }
      case 'Squeeze':
      case 'Unsqueeze': {
        const axes = take('axes');
        if (axes?.type === 'ints') node.inputs[1] = constant(node, 'axes', axes.value, [axes.value.length], 'int64');
        break;
      }
      case 'Concat':
        if (!a.axis) a.axis = { type: 'int', value: 1 }; // optional (default 1) before opset 4
        break;
      case 'Softmax':
      case 'LogSoftmax':
      case 'Hardmax': {
        // Before 13 these flattened the input to 2-D at `axis` (default 1); since, they act on one
        // axis (default -1). Equal when every dimension after the axis is 1.
        const shape = graph.values.get(node.inputs[0])?.shape;
        const axisAttr = a.axis?.type === 'int' ? a.axis.value : 1;
        if (!shape) throw fail(node, 'the input shape is unknown');
        const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
        if (shape.slice(axis + 1).some((d) => d !== 1))
          throw fail(node, `the old flatten-at-axis semantics differ for shape [${shape.join(',')}]`);
        a.axis = { type: 'int', value: axis };
        break;
      }
    }
    return node;
  });
  return { nodes: out, extra };
}
