// results.import receives a report as text (the renderer read the file the user picked); the store
// imports from a path, so the text goes through a private temporary file named like the original
// (the outcome's `source` names it) and is removed afterwards, whatever happens. An empty or
// oversized text is refused before anything is written; every problem is a StudioError whose
// message names the file (never the temporary path) and reaches the renderer as text.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/ir/types.js';
import { writeFileAtomic } from './atomic-write.js';
import { MAX_REPORT_FILE_BYTES } from './result-check.js';
import type { ImportOutcome } from './results-store.js';
import { sanitizeFileName } from './paths.js';

/** Bidirectional overrides and isolates: a name shown to the user must read as it is stored. */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g;

export function importFileName(name: string): string {
  const safe = sanitizeFileName(name).replace(UNSAFE_IN_NAME, '_');
  return safe === 'model.onnx' ? 'import.json' : safe;
}

/** What the text is imported into: a results folder or database (anything that imports a report file). */
export interface ReportImporter {
  importReport(path: string): ImportOutcome | Promise<ImportOutcome>;
}

export async function importResultsText(
  store: ReportImporter,
  cacheDir: string,
  name: string,
  text: string,
): Promise<ImportOutcome> {
  const safe = importFileName(name);
  if (text.length === 0)
    throw new StudioError(`${safe} is empty (0 bytes), not a report: nothing was imported`, 'bad-file');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_REPORT_FILE_BYTES)
    throw new StudioError(
      `${safe} is ${(bytes / 1024 ** 2).toFixed(1)} MB, over the ${MAX_REPORT_FILE_BYTES / 1024 ** 2} MB limit for a report: nothing was imported`,
      'bad-file',
    );
  const folder = join(cacheDir, 'imports', randomBytes(8).toString('hex'));
  try {
    mkdirSync(folder, { recursive: true });
    const path = join(folder, safe);
    writeFileAtomic(path, text);
    try {
      return await store.importReport(path);
    } catch (e) {
      // The store names the file by its path: here that is the temporary copy, not the user's file.
      if (e instanceof StudioError) e.message = e.message.split(path).join(safe);
      throw e;
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
