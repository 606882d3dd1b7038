import type { Graph } from '../ir/types.js';
import { StudioError } from '../ir/types.js';

/**
 * One parameter of a block or model, described as data so that the CLI and the UI can list
 * it, show its default and validate a user's value without knowing the block.
 */
export type ParamSpec = ParamBase &
  (
    | { kind: 'int'; default: number; min?: number; max?: number }
    | { kind: 'float'; default: number; min?: number; max?: number }
    | { kind: 'bool'; default: boolean }
    | { kind: 'enum'; default: string; choices: readonly string[] }
  );

interface ParamBase {
  name: string;
  description: string;
  /** When the parameter has an effect at all (absent: always). */
  appliesWhen?: ParamCondition;
}

/**
 * The values of another parameter under which a parameter has an effect: `pad` only with
 * padding=explicit, `hidden_layers` only with hidden > 0. Data, like the rest of a ParamSpec, so
 * that the CLI can list it and the UI can disable the field (saying `why`) and ignore its value.
 */
export interface ParamCondition {
  /** The parameter whose value decides. */
  param: string;
  /** It applies while `param` has one of these values... */
  oneOf?: readonly (string | number | boolean)[];
  /** ...or while `param` (a number) is above this. */
  above?: number;
  /** Why it has no effect, per value of `param` ("same": "padding=same computes the padding"). */
  why?: Readonly<Record<string, string>>;
}

/**
 * Why `spec` has no effect with these values (typed, or raw strings from a form; missing ones take
 * their defaults), or null when it applies. A controlling value that is not a valid number keeps
 * the parameter applying: that field's own error is the one to show.
 */
export function inapplicableReason(
  specs: readonly ParamSpec[],
  spec: ParamSpec,
  given: Readonly<Record<string, string | number | boolean | undefined>>,
): string | null {
  const c = spec.appliesWhen;
  if (!c) return null;
  const raw = given[c.param] ?? specs.find((s) => s.name === c.param)?.default;
  if (raw === undefined) return null;
  if (c.oneOf?.some((v) => String(v) === String(raw))) return null;
  if (c.above !== undefined) {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n > c.above) return null;
  }
  const when = [
    ...(c.oneOf ? [`${c.param}=${c.oneOf.map(String).join(' or ')}`] : []),
    ...(c.above !== undefined ? [`${c.param} > ${c.above}`] : []),
  ].join(' or ');
  return c.why?.[String(raw)] ?? `${c.param}=${String(raw)}: '${spec.name}' applies only when ${when}`;
}

export type ParamValues = Record<string, number | boolean | string>;

export interface BlockSpec {
  /** CLI and API name, kebab-case (DESIGN.md's catalog). */
  name: string;
  title: string;
  description: string;
  /** Seed discussions the block answers (seeds/000..003). */
  seeds: string[];
  params: readonly ParamSpec[];
  /** Builds the block's graph from validated parameters (an input N x C x H x W and its layers). */
  build(params: ParamValues): Graph;
}

/**
 * Validates user-supplied values (strings from the CLI, or typed values from the UI) against a
 * parameter list, filling defaults. Every error names the parameter and says what is allowed.
 */
export function resolveParams(
  owner: string,
  specs: readonly ParamSpec[],
  given: Record<string, string | number | boolean> = {},
): ParamValues {
  const out: ParamValues = {};
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new StudioError(`${owner}: parameter '${dup}' is declared twice`, 'internal');
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(given))
    if (!known.has(key))
      throw new StudioError(
        `${owner}: unknown parameter '${key}'. Parameters: ${specs.map((s) => s.name).join(', ') || '(none)'}`,
        'bad-parameter',
      );
  for (const s of specs) {
    const raw = given[s.name];
    if (raw === undefined) {
      out[s.name] = s.default;
      continue;
    }
    const bad = (why: string) => new StudioError(`${owner}: parameter '${s.name}' ${why}`, 'bad-parameter');
    switch (s.kind) {
      case 'int':
      case 'float': {
        const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
        if (!Number.isFinite(v)) throw bad(`must be a number, got '${String(raw)}'`);
        if (s.kind === 'int' && !Number.isInteger(v)) throw bad(`must be an integer, got ${v}`);
        if (s.min !== undefined && v < s.min) throw bad(`must be at least ${s.min}, got ${v}`);
        if (s.max !== undefined && v > s.max) throw bad(`must be at most ${s.max}, got ${v}`);
        out[s.name] = v;
        break;
      }
      case 'bool': {
        const v =
          typeof raw === 'boolean'
            ? raw
            : raw === 'true' || raw === '1'
              ? true
              : raw === 'false' || raw === '0'
                ? false
                : undefined;
        if (v === undefined) throw bad(`must be true or false, got '${String(raw)}'`);
        out[s.name] = v;
        break;
      }
      case 'enum': {
        if (typeof raw !== 'string' || !s.choices.includes(raw))
          throw bad(`must be one of ${s.choices.join(', ')}, got '${String(raw)}'`);
        out[s.name] = raw;
        break;
      }
    }
  }
  return out;
}

/** Common parameters: the input feature map every block starts from. */
export function inputParams(h: number, w: number, c: number): ParamSpec[] {
  return [
    { name: 'batch', kind: 'int', default: 1, min: 1, max: 4096, description: 'batch size N' },
    { name: 'height', kind: 'int', default: h, min: 1, max: 8192, description: 'input height H' },
    { name: 'width', kind: 'int', default: w, min: 1, max: 8192, description: 'input width W' },
    { name: 'channels', kind: 'int', default: c, min: 1, max: 65536, description: 'input channels C' },
  ];
}

/** Reads a validated numeric parameter. */
export const num = (p: ParamValues, k: string): number => p[k] as number;

import { GraphBuilder } from '../graph/builder.js';
import type { ConvStyle } from '../graph/layers.js';

/** Parameters choosing a conv style (bias, BatchNorm): the Keras/torchvision differences. */
export function styleParams(defaults: { bias: boolean; batchnorm: boolean }): ParamSpec[] {
  return [
    { name: 'bias', kind: 'bool', default: defaults.bias, description: 'convolutions have a bias' },
    { name: 'batchnorm', kind: 'bool', default: defaults.batchnorm, description: 'BatchNorm after each convolution' },
  ];
}

export function styleFrom(p: ParamValues): ConvStyle {
  return { bias: p.bias as boolean, bn: p.batchnorm ? { scale: true, epsilon: 1e-5 } : false };
}

/**
 * Builds a standalone block graph: one N x C x H x W input (from the common input parameters),
 * the block's layers, one output.
 */
export function buildBlockGraph(
  name: string,
  p: ParamValues,
  body: (b: GraphBuilder, x: string) => string,
  description?: string,
): Graph {
  const b = new GraphBuilder(name);
  const x = b.input('input', [num(p, 'batch'), num(p, 'channels'), num(p, 'height'), num(p, 'width')], 'float32');
  const y = body(b, x);
  return b.build([y], { description, source: { kind: 'block', name, params: { ...p } } });
}
