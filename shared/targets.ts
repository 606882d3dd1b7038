// Turns what a user names (a block or a zoo model, with parameter overrides) into a graph.
// Files (.onnx) are resolved in main/, which owns the file system.
import { resolveParams } from './blocks/block-spec.js';
import { BLOCKS, findBlock } from './blocks/registry.js';
import { StudioError, type Graph } from './ir/types.js';
import { findModel, MODELS } from './models/registry.js';

export interface TargetRequest {
  /** Block or model name, optionally with inline overrides: `bottleneck:width=32,stride=2`. */
  target: string;
  /** Overrides, `key=value` pairs (from `--set`). Inline overrides win. */
  set?: Record<string, string>;
  variant?: string;
  /** N x C x H x W, overriding the input parameters. */
  input?: number[];
}

/** Parses `a=1,b=two` into a record; fails on a pair without '='. */
export function parseAssignments(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0)
      throw new StudioError(`'${p}' is not a key=value pair (write for example width=64,stride=2)`, 'bad-parameter');
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** Parses `1x3x224x224` into numbers. */
export function parseShape(text: string): number[] {
  const dims = text
    .toLowerCase()
    .split('x')
    .map((d) => Number(d));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new StudioError(
      `'${text}' is not a shape: write positive integers separated by x, e.g. 1x3x224x224`,
      'bad-parameter',
    );
  return dims;
}

export function splitTarget(target: string): { name: string; inline: Record<string, string> } {
  const colon = target.indexOf(':');
  if (colon < 0) return { name: target, inline: {} };
  return { name: target.slice(0, colon), inline: parseAssignments(target.slice(colon + 1)) };
}

export function isKnownTarget(name: string): boolean {
  return !!findBlock(name) || !!findModel(name);
}

export function buildTarget(req: TargetRequest): Graph {
  const { name, inline } = splitTarget(req.target);
  const given: Record<string, string | number> = { ...(req.set ?? {}), ...inline };
  const block = findBlock(name);
  if (block) {
    if (req.variant)
      throw new StudioError(`block '${name}' has no variants; --variant applies to zoo models`, 'bad-parameter');
    if (req.input) {
      if (req.input.length !== 4)
        throw new StudioError(`--input for a block must be NxCxHxW, got ${req.input.join('x')}`, 'bad-parameter');
      Object.assign(given, { batch: req.input[0], channels: req.input[1], height: req.input[2], width: req.input[3] });
    }
    return block.build(resolveParams(`block '${name}'`, block.params, given));
  }
  const model = findModel(name);
  if (model) {
    const variant = req.variant ?? model.defaultVariant;
    if (!model.variants.includes(variant))
      throw new StudioError(
        `model '${name}' has no variant '${variant}'. Variants: ${model.variants.join(', ')}`,
        'bad-parameter',
      );
    if (req.input) {
      const [n, c, h, w] = req.input;
      if (req.input.length !== 4 || c !== 3 || h !== w)
        throw new StudioError(
          `--input for a model must be Nx3xSxS (square RGB), got ${req.input.join('x')}`,
          'bad-parameter',
        );
      Object.assign(given, { batch: n, size: h });
    }
    return model.build(variant, resolveParams(`model '${name}'`, model.params, given));
  }
  throw new StudioError(
    `unknown target '${name}': not a block (${BLOCKS.map((b) => b.name).join(', ')}), not a model (${MODELS.map((m) => m.name).join(', ')}), and not an .onnx file`,
    'unknown-target',
  );
}
