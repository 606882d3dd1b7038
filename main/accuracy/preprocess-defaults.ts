// Which preprocessing `accuracy` uses, in order: the command-line flags; the model file's
// `bottleneck-studio.preprocess` metadata (the lab writes it into the classifiers it exports);
// else what the model's input implies (its channels, a center crop to its H x W, resizing the
// shorter side to that size when the image's sizes differ; values in [0, 1], no mean or std).
// Flags override field by field: `--scale 255` keeps the rest of the metadata's preprocessing.
import { PreprocessSchema, type Preprocess } from '../../shared/data/dataset.js';
import { readPreprocessMetadata } from '../../shared/data/model-metadata.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';

export type PreprocessFlags = Partial<Preprocess>;

export type PreprocessSource = 'flags' | 'model-metadata' | 'model-input';

/** The model's image input [N, C, H, W], or a clear error when it has none. */
export function imageInput(graph: Graph, label: string): { name: string; shape: number[]; symbolic: boolean[] } {
  const inputs = graph.inputs;
  if (inputs.length !== 1)
    throw new StudioError(
      `${label} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a classifier for \`accuracy\` takes one image tensor [N, C, H, W]`,
      'bad-parameter',
    );
  const input = inputs[0];
  if (input.shape.length !== 4 || input.dtype !== 'float32')
    throw new StudioError(
      `${label}'s input '${input.name}' is ${input.dtype} [${input.shape.join(', ')}]; \`accuracy\` feeds float32 images [N, C, H, W]`,
      'bad-parameter',
    );
  return {
    name: input.name,
    shape: input.shape,
    symbolic: input.shape.map((_, i) => input.dimParams?.[i] !== undefined),
  };
}

/** The preprocessing a model's input implies, for images of `imageSize` (H x W), when known. */
export function derivedPreprocess(graph: Graph, label: string, imageSize?: [number, number]): Preprocess {
  const { shape, symbolic } = imageInput(graph, label);
  const [, c, h, w] = shape;
  if (!symbolic[1] && c !== 1 && c !== 3)
    throw new StudioError(
      `${label}'s input has ${c} channels; images have 1 (gray) or 3 (color). Use a model that reads images`,
      'bad-parameter',
    );
  const channels = symbolic[1] ? 3 : (c as 1 | 3);
  if (symbolic[2] || symbolic[3]) return PreprocessSchema.parse({ channels });
  const sameSize = imageSize && imageSize[0] === h && imageSize[1] === w;
  return PreprocessSchema.parse({
    channels,
    crop: [h, w],
    ...(sameSize || !imageSize ? {} : { resize: Math.min(h, w) }),
  });
}

/**
 * The preprocessing to use and where it came from. `imageSize` is the data's native H x W when
 * known before opening (IDX: the file header), used only for the derived default.
 */
export function choosePreprocess(
  flags: PreprocessFlags,
  model: { bytes: Uint8Array; graph: Graph; label: string },
  imageSize?: [number, number],
): { preprocess: Preprocess; source: PreprocessSource } {
  const fromMeta = readPreprocessMetadata(model.bytes, model.label);
  const base = fromMeta ?? derivedPreprocess(model.graph, model.label, imageSize);
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const preprocess = PreprocessSchema.parse({ ...base, ...given });
  const source: PreprocessSource =
    Object.keys(given).length > 0 ? 'flags' : fromMeta ? 'model-metadata' : 'model-input';
  return { preprocess, source };
}
