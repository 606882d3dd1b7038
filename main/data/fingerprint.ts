// A data set's fingerprint: a hash of what identifies its content without reading it (the files'
// paths, sizes and modification times), the split, the limit and the preprocessing. Two opens with
// the same fingerprint read the same tensors; the lab keys its feature cache on it.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Preprocess } from '../../shared/data/dataset.js';

export interface FingerprintParts {
  format: string;
  files: string[];
  split: string;
  limit: number | undefined;
  preprocess: Preprocess;
  /** Anything else that changes what is read (classes, the holdout seed, skipped files). */
  extra?: unknown;
}

export function fingerprint(parts: FingerprintParts): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 1, format: parts.format, split: parts.split, limit: parts.limit ?? null }));
  h.update(JSON.stringify(parts.preprocess));
  h.update(JSON.stringify(parts.extra ?? null));
  for (const f of parts.files) {
    const s = statSync(f);
    h.update(`${resolve(f)}\0${s.size}\0${Math.round(s.mtimeMs)}\n`);
  }
  return h.digest('hex').slice(0, 32);
}
