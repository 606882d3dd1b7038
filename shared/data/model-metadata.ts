// The preprocessing a classifier expects, carried in its ONNX file: metadata_props entry
// `bottleneck-studio.preprocess`, a JSON PreprocessSchema. The lab writes it into the classifiers
// it exports; `accuracy` reads it as the default preprocessing. Bytes in, bytes out: no Node.
import { StudioError } from '../ir/types.js';
import { onnx } from '../onnx/tensor.js';
import { PreprocessSchema, type Preprocess } from './dataset.js';

export const PREPROCESS_METADATA_KEY = 'bottleneck-studio.preprocess';

/** The model's metadata_props as a map (empty when it has none). */
export function readModelMetadata(bytes: Uint8Array, file = 'the model'): Map<string, string> {
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new StudioError(`${file} is not an ONNX model (${(e as Error).message})`, 'bad-file');
  }
  return new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

/** The model's recorded preprocessing, or undefined when it records none. */
export function readPreprocessMetadata(bytes: Uint8Array, file = 'the model'): Preprocess | undefined {
  const text = readModelMetadata(bytes, file).get(PREPROCESS_METADATA_KEY);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StudioError(
      `${file}: metadata '${PREPROCESS_METADATA_KEY}' is not JSON (${(e as Error).message}); give the preprocessing with flags instead`,
      'bad-file',
    );
  }
  const parsed = PreprocessSchema.safeParse(json);
  if (!parsed.success)
    throw new StudioError(
      `${file}: metadata '${PREPROCESS_METADATA_KEY}' is not a valid preprocessing description (${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}); give the preprocessing with flags instead`,
      'bad-file',
    );
  return parsed.data;
}

/** The model with `key` set to `value` in its metadata_props (replacing an existing entry). */
export function setModelMetadata(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== key),
    onnx.StringStringEntryProto.create({ key, value }),
  ];
  return onnx.ModelProto.encode(model).finish();
}

/** The model with its preprocessing recorded (what the lab's exported classifiers carry). */
export function withPreprocessMetadata(bytes: Uint8Array, p: Preprocess): Uint8Array {
  return setModelMetadata(bytes, PREPROCESS_METADATA_KEY, JSON.stringify(PreprocessSchema.parse(p)));
}
