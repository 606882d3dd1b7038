// Reading a result document someone else wrote (a file in the results folder, an entry of an
// imported report): the schema and version are checked before the content, so that a file from
// another program or a newer studio is reported as such, never misread as a damaged result.
import type { z } from 'zod';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, ResultSchema, type BenchResult } from '../../shared/contract/result.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The first few zod issues as "path: message; path: message". */
export function describeIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  const more = error.issues.length - max;
  return issues.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a versioned document's envelope: `what` names the document kind in messages ("result",
 * "report"). Returns a reason when the document is not of this kind or not of a version this
 * studio reads.
 */
export function checkEnvelope(value: unknown, schema: string, version: number, what: string): string | undefined {
  if (!isObject(value)) return `not a Bottleneck Studio ${what}: the JSON is not an object`;
  if (value.schema !== schema)
    return `not a Bottleneck Studio ${what} (schema ${value.schema === undefined ? 'missing' : JSON.stringify(value.schema)}, expected "${schema}")`;
  const v = value.version;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${what} has no valid version number`;
  if (v > version) return `written by a newer studio (version ${v}); update to read it`;
  if (v < version) return `unknown ${what} version ${v}; this studio reads version ${version}`;
  return undefined;
}

export function checkResult(value: unknown): Checked<BenchResult> {
  const envelope = checkEnvelope(value, RESULT_SCHEMA, RESULT_SCHEMA_VERSION, 'result');
  if (envelope) return { ok: false, reason: envelope };
  const parsed = ResultSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `invalid result: ${describeIssues(parsed.error)}` };
  return { ok: true, value: parsed.data };
}

/** Parses JSON text; a syntax error becomes a reason ("not valid JSON: Unexpected end of JSON input"). */
export function parseJson(text: string): Checked<unknown> {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (e) {
    return { ok: false, reason: `not valid JSON (${(e as Error).message})` };
  }
}

/**
 * JSON with two-space indentation, except that arrays of numbers (raw samples: thousands of
 * them) stay on one line.
 */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return (
    text.replace(
      /\[\n\s*(-?\d[\d.eE+-]*(?:,\n\s*-?\d[\d.eE+-]*)*)\n\s*\]/g,
      (_, items: string) => `[${items.replace(/,\n\s*/g, ', ')}]`,
    ) + '\n'
  );
}
