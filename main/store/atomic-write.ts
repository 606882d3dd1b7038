// Writing a file so that it is either the old one or the complete new one, never half of either:
// the bytes go to a temporary file in the same folder (same file system, so rename is atomic),
// are flushed to disk, and the temporary file is renamed over the target.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StudioError } from '../../shared/graph/types.js';

/** Temporary files start with a dot and end in .tmp: listings of results and reports skip them. */
export const isTemporaryFile = (name: string): boolean => name.startsWith('.') && name.endsWith('.tmp');

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EISDIR') return 'is a directory';
  return (e as Error).message;
}

/** Flushes a folder's entry list (the rename) to disk; not possible on every platform, so best effort. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open or fsync a directory; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): { path: string; bytes: number } {
  const target = resolve(path);
  const folder = dirname(target);
  const random = Math.random().toString(36).slice(2, 10);
  const tmp = join(folder, `.${basename(target)}.${process.pid}.${random}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed: nothing to clean up
    }
    throw new StudioError(`cannot write ${path}: ${reason(e)}`, 'io-error');
  }
  syncFolder(folder);
  return { path: target, bytes: bytes.length };
}
