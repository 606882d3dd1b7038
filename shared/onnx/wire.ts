// A walk over the protobuf wire format of a ModelProto, without decoding it. protobufjs says
// only "index out of range: 140 + 864 > 556" for a truncated file and recurses once per nested
// message, so a file with subgraphs (or types) nested thousands of levels deep would overflow the
// stack. This walk explains where a file is broken and refuses nesting past a stated limit before
// anything recurses. It only descends into the messages that can nest (graphs and types) and skips
// everything else (weights included) by its length, so it costs time linear in the file's
// structure, not in its bytes. Pure: no Node built-ins.

/** The deepest nesting of subgraphs (If/Loop/Scan bodies) or of types (sequence of map of ...) accepted. */
export const MAX_NESTING_DEPTH = 32;

export interface WireProblem {
  kind: 'wire' | 'depth';
  message: string;
}

/**
 * The messages the walk descends into, by field number (from onnx.proto); every other field is
 * skipped by its wire type. 'graph' and 'type' count towards the nesting depth.
 */
type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'function' | 'training' | 'valueInfo' | 'type' | 'typeElem';
const CHILDREN: Record<Kind, Record<number, Kind>> = {
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  function: { 7: 'node', 11: 'attribute' },
  graph: { 1: 'node', 11: 'valueInfo', 12: 'valueInfo', 13: 'valueInfo' },
  node: { 5: 'attribute' },
  attribute: { 6: 'graph', 11: 'graph', 14: 'type', 15: 'type' },
  valueInfo: { 2: 'type' },
  // TypeProto: sequence_type (4), map_type (5), optional_type (9) each hold an element type.
  type: { 4: 'typeElem', 5: 'typeElem', 9: 'typeElem' },
  // Sequence.elem_type (1), Map.value_type (2), Optional.elem_type (1): TypeProtos again.
  typeElem: { 1: 'type', 2: 'type' },
};

/** Names of the fields a message is most often cut in, for the message ("graph.initializer"). */
const FIELD_NAMES: Partial<Record<Kind, Record<number, string>>> = {
  model: { 2: 'producer_name', 7: 'graph', 8: 'opset_import', 14: 'metadata_props', 25: 'functions' },
  graph: { 1: 'node', 2: 'name', 5: 'initializer', 11: 'input', 12: 'output', 13: 'value_info' },
  node: { 1: 'input', 2: 'output', 3: 'name', 4: 'op_type', 5: 'attribute' },
  attribute: { 1: 'name', 5: 't', 6: 'g' },
};

class Problem extends Error {
  constructor(readonly problem: WireProblem) {
    super(problem.message);
  }
}

/**
 * The first problem found in `bytes` read as a ModelProto, or undefined when the wire format is
 * sound and nothing nests deeper than MAX_NESTING_DEPTH.
 */
export function wireProblem(bytes: Uint8Array): WireProblem | undefined {
  try {
    walk(bytes, 0, bytes.length, 'model', '', 0, 0);
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return e.problem;
    throw e;
  }
}

function walk(
  b: Uint8Array,
  start: number,
  end: number,
  kind: Kind,
  path: string,
  graphDepth: number,
  typeDepth: number,
): void {
  let pos = start;
  const fieldName = (field: number) => `${path}${FIELD_NAMES[kind]?.[field] ?? `#${field}`}`;
  const described = (field: number) => `the ${fieldName(field)} field`;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end)
        throw new Problem({
          kind: 'wire',
          message: `truncated: a number at byte ${pos} runs past the end of its message`,
        });
      const byte = b[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Problem({ kind: 'wire', message: `corrupt: a number at byte ${pos - 10} is longer than 10 bytes` });
  };
  while (pos < end) {
    const at = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw new Problem({ kind: 'wire', message: `corrupt: field number 0 at byte ${at}` });
    switch (wireType) {
      case 0:
        varint();
        break;
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (end - pos < size)
          throw new Problem({
            kind: 'wire',
            message: `truncated: ${described(field)} at byte ${at} needs ${size} bytes, but only ${end - pos} remain`,
          });
        pos += size;
        break;
      }
      case 2: {
        const length = varint();
        if (length > end - pos)
          throw new Problem({
            kind: 'wire',
            message: `truncated or corrupt: ${described(field)} at byte ${at} claims ${length} bytes, but only ${end - pos} remain`,
          });
        const child = CHILDREN[kind][field];
        if (child) {
          const g = graphDepth + (child === 'graph' ? 1 : 0);
          const t = typeDepth + (child === 'type' ? 1 : 0);
          // The top-level graph is level 1; a subgraph of one of its nodes is level 2.
          if (g > MAX_NESTING_DEPTH)
            throw new Problem({
              kind: 'depth',
              message: `subgraphs nested more than ${MAX_NESTING_DEPTH} levels deep (the studio's limit); refused`,
            });
          if (t > MAX_NESTING_DEPTH)
            throw new Problem({
              kind: 'depth',
              message: `types nested more than ${MAX_NESTING_DEPTH} levels deep (the studio's limit); refused`,
            });
          walk(b, pos, pos + length, child, `${fieldName(field)}.`, g, t);
        }
        pos += length;
        break;
      }
      default:
        // 3 and 4 are the deprecated groups (onnx.proto has none); 6 and 7 do not exist.
        throw new Problem({ kind: 'wire', message: `corrupt: invalid wire type ${wireType} at byte ${at}` });
    }
  }
}
