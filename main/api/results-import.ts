// results.import receives a report as text (the renderer read the file the user picked); the store
// imports from a path, so the text goes through a private temporary file named like the original
// (the outcome's `source` names it) and is removed afterwards, whatever happens.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { ImportOutcome, ResultsStore } from '../store/results-store.js';
import { sanitizeFileName } from './files.js';

export function importResultsText(store: ResultsStore, cacheDir: string, name: string, text: string): ImportOutcome {
  const folder = join(cacheDir, 'imports', randomBytes(8).toString('hex'));
  try {
    mkdirSync(folder, { recursive: true });
    const path = join(folder, sanitizeFileName(name));
    writeFileAtomic(path, text);
    return store.importReport(path);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
