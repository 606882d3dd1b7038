// Reading a result document someone else wrote (a file in the results folder, an entry of an
// imported report): the schema and version are checked before the content, so that a file from
// another program or a newer studio is reported as such, never misread as a damaged result.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
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

/** A value from a file, quoted for a message: at most 80 characters of it (a reason is shown whole). */
function quoted(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}

/**
 * Checks a versioned document's envelope: `what` names the document kind in messages ("result",
 * "report"). Returns a reason when the document is not of this kind or not of a version this
 * studio reads.
 */
export function checkEnvelope(value: unknown, schema: string, version: number, what: string): string | undefined {
  if (!isObject(value)) return `not a Bottleneck Studio ${what}: the JSON is not an object`;
  if (value.schema !== schema)
    return `not a Bottleneck Studio ${what} (schema ${value.schema === undefined ? 'missing' : quoted(value.schema)}, expected "${schema}")`;
  const v = value.version;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${what} has no valid version number`;
  if (v > version)
    return `written by a newer Bottleneck Studio (${what} schema v${v}; this one reads v${version}): update the studio to read it`;
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

/** The largest result file the studio reads (a result with 100,000 raw samples is about 2 MB). */
export const MAX_RESULT_FILE_BYTES = 32 * 1024 * 1024;
/** The largest report (or result) file an import reads. */
export const MAX_REPORT_FILE_BYTES = 256 * 1024 * 1024;

const MB = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 3 : 1)} MB`;

/**
 * Reads a document someone else wrote as UTF-8 text, refusing (with a reason, never an exception)
 * what is not a regular file (a folder, a FIFO that would block, a device), an empty file, and a
 * file over `maxBytes`, whose size is checked before a byte of it is read. `what` names the
 * document kind in the reasons ("result file", "report").
 */
export function readTextFile(path: string, maxBytes: number, what: string): Checked<string> {
  const cannot = (e: unknown): Checked<string> => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'no such file' };
    if (code === 'EISDIR') return { ok: false, reason: `is a folder, not a ${what}` };
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: 'cannot be read: permission denied' };
    return { ok: false, reason: `cannot be read: ${(e as Error).message}` };
  };
  const kind = (st: { isFile(): boolean; isDirectory(): boolean }) =>
    st.isFile() ? undefined : st.isDirectory() ? `is a folder, not a ${what}` : `is not a regular file, not a ${what}`;
  const tooBig = (size: number) =>
    size > maxBytes
      ? `is ${MB(size)}, over the ${MB(maxBytes)} limit for a ${what}; not read`
      : size === 0
        ? `is empty (0 bytes), not a ${what}`
        : undefined;
  try {
    // stat first: opening a FIFO would block and a folder cannot be read.
    const st = statSync(path);
    const bad = kind(st) ?? tooBig(st.size);
    if (bad) return { ok: false, reason: bad };
  } catch (e) {
    return cannot(e);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return cannot(e);
  }
  try {
    // The file may have been replaced or grown since the stat: check again what was opened, and
    // never read past the limit.
    const st = fstatSync(fd);
    const bad = kind(st) ?? tooBig(st.size);
    if (bad) return { ok: false, reason: bad };
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n === buf.length)
      return {
        ok: false,
        reason:
          n > maxBytes
            ? `grew over the ${MB(maxBytes)} limit for a ${what} while it was read; not read`
            : 'changed while it was read; try again',
      };
    if (n === 0) return { ok: false, reason: `is empty (0 bytes), not a ${what}` };
    return { ok: true, value: buf.toString('utf8', 0, n) };
  } catch (e) {
    return cannot(e);
  } finally {
    closeSync(fd);
  }
}

/** Parses JSON text; a syntax error becomes a reason ("not valid JSON: Unexpected end of JSON input"). */
export function parseJson(text: string): Checked<unknown> {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (e) {
    const why = (e as Error).message;
    // An error at the very end of the text (or "end of JSON input"): the document stops midway.
    const at = /at position (\d+)/.exec(why);
    const atEnd = at ? Number(at[1]) >= text.trimEnd().length : /end of JSON input/i.test(why);
    const cut = atEnd && text.trim() !== '' ? ': the file looks truncated' : '';
    return { ok: false, reason: `not valid JSON (${why})${cut}` };
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
