// Parameter forms: validation field by field (resolveParams's own messages) and the ApiTarget
// a block or model with those parameters becomes.
import type { ApiTarget } from '../../../shared/contract/api.js';
import {
  inapplicableReason,
  resolveParams,
  type ParamSpec,
  type ParamValues,
} from '../../../shared/blocks/block-spec.js';
import { findBlock } from '../../../shared/blocks/registry.js';
import { findModel } from '../../../shared/models/registry.js';
import { splitTarget } from '../../../shared/targets.js';

export type RawValue = string | number | boolean;
export type RawValues = Record<string, RawValue>;

export interface Validation {
  /** Every parameter resolved (defaults filled), or null when any field is invalid. */
  values: ParamValues | null;
  /** Field name -> resolveParams's message for that field. */
  errors: Record<string, string>;
}

/** "block 'conv': parameter 'stride' must be at least 1, got 0" -> "must be at least 1, got 0". */
export function fieldMessage(message: string): string {
  const m = /parameter '[^']*' (.*)$/s.exec(message);
  return m ? m[1] : message;
}

/**
 * The parameters that have no effect with these values (another parameter's value decides:
 * `pad` under padding=same), each with the reason the form shows on its disabled field.
 */
export function inapplicableParams(specs: readonly ParamSpec[], raw: RawValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const why = inapplicableReason(specs, spec, raw);
    if (why) out[spec.name] = why;
  }
  return out;
}

/**
 * Validates each field on its own, so that every invalid field gets its own message. A parameter
 * that has no effect (a disabled field) is not validated and takes its default, so that whatever
 * was left in it neither blocks the form nor goes into the target.
 */
export function validateParams(owner: string, specs: readonly ParamSpec[], raw: RawValues): Validation {
  const errors: Record<string, string> = {};
  const values: ParamValues = {};
  const off = inapplicableParams(specs, raw);
  for (const spec of specs) {
    const given = raw[spec.name];
    if (off[spec.name] !== undefined) {
      values[spec.name] = spec.default;
      continue;
    }
    try {
      const one = resolveParams(owner, [spec], given === undefined ? {} : { [spec.name]: given });
      values[spec.name] = one[spec.name];
    } catch (e) {
      errors[spec.name] = fieldMessage(e instanceof Error ? e.message : String(e));
    }
  }
  return { values: Object.keys(errors).length ? null : values, errors };
}

/** The parameter a build error names ("block 'conv': parameter 'groups' (3) must divide..."), if one of `specs`. */
export function errorParam(specs: readonly ParamSpec[], message: string): string | null {
  const m = /parameter '([^']*)'/.exec(message);
  return m && specs.some((s) => s.name === m[1]) ? m[1] : null;
}

/** "mid must be at least 1, got 0; out must be a number, got ''": what is wrong, field by field. */
export function errorSummary(errors: Record<string, string>): string {
  return Object.entries(errors)
    .map(([name, why]) => `${name} ${why}`)
    .join('; ');
}

export function defaultsOf(specs: readonly ParamSpec[]): RawValues {
  return Object.fromEntries(specs.map((s) => [s.name, s.default]));
}

/** Only the values that differ from the defaults (short labels, same graph). */
export function nonDefaults(specs: readonly ParamSpec[], values: ParamValues): ParamValues {
  const out: ParamValues = {};
  for (const s of specs) if (values[s.name] !== undefined && values[s.name] !== s.default) out[s.name] = values[s.name];
  return out;
}

/** "bottleneck:mid=32" (a seed comparison's target) -> an ApiTarget with typed parameters. */
export function apiTargetOf(text: string): ApiTarget {
  const { name, inline } = splitTarget(text);
  const block = findBlock(name);
  if (block) {
    const resolved = resolveParams(`block '${name}'`, block.params, inline);
    return { kind: 'block', name, params: nonDefaults(block.params, resolved) };
  }
  const model = findModel(name);
  if (model) {
    const resolved = resolveParams(`model '${name}'`, model.params, inline);
    return { kind: 'model', name, params: nonDefaults(model.params, resolved) };
  }
  throw new Error(`unknown target '${name}'`);
}

/** A short text for a target: "bottleneck:mid=32", "resnet50/keras". */
export function targetText(t: ApiTarget): string {
  if (t.kind === 'file') return t.fileId;
  const params = Object.entries(t.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const name = t.kind === 'model' && t.variant ? `${t.name}/${t.variant}` : t.name;
  return params ? `${name}:${params}` : name;
}
