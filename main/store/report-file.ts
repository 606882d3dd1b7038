// The JSON report's envelope: the file format `results import` reads and reports/json.ts writes.
// The store owns it, so that reading a report back never needs the report writers.
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import { RESULT_SCHEMA, type BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { checkEnvelope, parseJson } from './result-check.js';

export const REPORT_SCHEMA = 'bottleneck-studio/report';
export const REPORT_SCHEMA_VERSION = 1;

export interface JsonReport {
  schema: typeof REPORT_SCHEMA;
  version: typeof REPORT_SCHEMA_VERSION;
  createdAt: string;
  studioVersion: string;
  title: string;
  results: BenchResult[];
  /** Saved accuracy results of the report's targets (absent when none). */
  accuracy?: AccuracyResult[];
  /** Saved bottleneck-feature lab results included with the report (absent when none). */
  lab?: LabResult[];
}

/**
 * Reads the envelope of a JSON report (or a single result document); the results inside are
 * returned unchecked: the caller validates each one and says which is wrong. `source` names the
 * file in messages.
 */
export function parseReport(text: string, source: string): { createdAt?: string; results: unknown[] } {
  const json = parseJson(text);
  if (!json.ok) throw new StudioError(`${source} is not a report: ${notJsonReason(text, json.reason)}`, 'bad-file');
  // A single result file (from another machine's results folder) is accepted as a report of one.
  if ((json.value as { schema?: unknown } | null)?.schema === RESULT_SCHEMA) return { results: [json.value] };
  const bad = checkEnvelope(json.value, REPORT_SCHEMA, REPORT_SCHEMA_VERSION, 'report');
  if (bad) throw new StudioError(`${source}: ${bad}`, 'bad-file');
  const doc = json.value as { createdAt?: unknown; results?: unknown };
  if (!Array.isArray(doc.results)) throw new StudioError(`${source}: the report has no "results" list`, 'bad-file');
  return { createdAt: typeof doc.createdAt === 'string' ? doc.createdAt : undefined, results: doc.results };
}

/** What an import reads: said in every refusal of a file that is not one. */
export const IMPORT_EXPECTS = 'a Bottleneck Studio JSON report (Export → JSON) or a single result file (.json)';

/** Signatures of the files people pick by mistake, by their first bytes as read into text. */
const SIGNATURES: [RegExp, string][] = [
  // eslint-disable-next-line no-control-regex -- file signatures are control bytes
  [/^PK\u0003\u0004/, 'a ZIP archive (or an Office document)'],
  [/^(\u0089|\ufffd)PNG/, 'a PNG image'],
  [/^[\u00ff\ufffd]{2}[\s\S]{0,10}(JFIF|Exif)/, 'a JPEG image'],
  [/^GIF8[79]a/, 'a GIF image'],
  [/^%PDF-/, 'a PDF document'],
  // eslint-disable-next-line no-control-regex -- gzip's signature
  [/^\u001f(\u008b|\ufffd)/, 'gzip-compressed data'],
  [/^\s*<(!doctype html|html)/i, 'an HTML page (an HTML report is for reading: import its JSON export instead)'],
  [/^\s*</, 'XML or HTML markup'],
];

/** Up to 40 characters of the file's first line, only the printable ones, quoted; '' when nothing printable is left. */
function excerpt(text: string): string {
  const line =
    text
      .replace(/^\ufeff/, '')
      .trimStart()
      .split(/\r?\n/)[0] ?? '';
  // Letters, digits, punctuation and spaces only: no control characters, no replacement characters,
  // no bidirectional overrides that would reorder the message.
  const printable = line.replace(/[^\p{L}\p{N}\p{P}\p{S} ]/gu, '').replace(/[\u2066-\u2069\u202a-\u202e\ufffd]/g, '');
  if (!printable.trim()) return '';
  return `"${printable.length > 40 ? `${printable.slice(0, 40)}…` : printable}"`;
}

/**
 * Why a text that is not JSON cannot be imported, in words ("not valid JSON (it looks like a ZIP
 * archive); an import reads ..."): what the file looks like, what an import reads, and at most a
 * short sanitized excerpt of its first line, never raw bytes (the JSON parser's own message quotes
 * the file's first characters, control characters and all: it is kept only when it quotes nothing,
 * as for a truncated or damaged JSON document).
 */
export function notJsonReason(text: string, parserReason = ''): string {
  const head = text.slice(0, 64);
  const sample = text.slice(0, 4096);
  const jsonLike = /^[[{]/.test(sample.replace(/^\ufeff/, '').trimStart());
  // A JSON document cut short or damaged midway: the parser says where, quoting nothing.
  if (jsonLike && parserReason && !parserReason.includes('"')) return parserReason;
  const known = SIGNATURES.find(([re]) => re.test(head))?.[1];
  // Control characters (tabs and line ends aside) and undecodable bytes: a binary file.
  // eslint-disable-next-line no-control-regex
  const odd = (sample.match(/[\u0000-\u0008\u000e-\u001f\ufffd]/g) ?? []).length;
  let looks: string;
  if (known) looks = known;
  else if (odd > 0 && odd >= sample.length * 0.02)
    looks = /onnx|pytorch|tf2onnx|keras2onnx|skl2onnx/i.test(sample)
      ? 'an ONNX model (open it in Models)'
      : 'binary data, not text';
  else if (jsonLike) looks = 'damaged JSON (an unexpected character)';
  else {
    const lines = sample.split(/\r?\n/).filter((l) => l.trim());
    if (lines.length > 1 && lines.slice(0, 3).every((l) => l.split(',').length > 2))
      looks = 'CSV text (a CSV report cannot be read back: import the JSON export)';
    else if (/^#{1,6} /.test(sample.trimStart()))
      looks = 'Markdown text (a Markdown report cannot be read back: import the JSON export)';
    else looks = 'text that is not JSON';
    const quote = excerpt(text);
    if (quote) looks += `, starting ${quote}`;
  }
  return `not valid JSON (it looks like ${looks}); an import reads ${IMPORT_EXPECTS}`;
}
