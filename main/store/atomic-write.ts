// Writing a file so that it is either the old one or the complete new one, never half of either:
// the bytes go to a temporary file in the same folder (same file system, so rename is atomic),
// are flushed to disk, and the temporary file is renamed over the target.
//
// A writer killed between the open and the rename (SIGKILL, power loss) leaves its temporary file
// behind: `.<name>.<pid>.<random>.tmp`. Those are never read: every listing skips them
// (isTemporaryFile), so a half-written file is never taken for a result. The stores also clean
// them up (sweepTemporaryFiles: the results store when it opens and when it lists, never per save,
// so that saving stays O(1) in a folder of 100,000 results; the document stores from their save()),
// at most once a minute per folder: a leftover is removed once its writer's process
// is gone and it is a minute old, or when it is a day old whatever its writer (a process id seen
// from another machine on a shared folder, or reused). The temporary file of a writer still at work
// (another studio process saving into the same folder) is left alone.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StudioError } from '../../shared/ir/types.js';

/** Temporary files start with a dot and end in .tmp: listings of results and reports skip them. */
export const isTemporaryFile = (name: string): boolean => name.startsWith('.') && name.endsWith('.tmp');

/** Why a file-system call failed, in words a user can act on. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the folder does not exist';
  if (code === 'EACCES' || code === 'EPERM')
    return 'permission denied (the folder is not writable for this user: fix its permissions or choose another folder)';
  if (code === 'EROFS') return 'the file system is read-only (choose a folder on a writable disk)';
  if (code === 'ENOSPC') return 'no space left on the device (free some space, or choose a folder on another disk)';
  if (code === 'EDQUOT') return 'the disk quota is used up (free some space, or choose a folder on another disk)';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EMFILE' || code === 'ENFILE') return 'too many open files (close some programs and try again)';
  if (code === 'EIO') return 'an input/output error on the disk';
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
    throw new StudioError(`cannot write ${path}: ${fsReason(e)}`, 'io-error');
  }
  syncFolder(folder);
  return { path: target, bytes: bytes.length };
}

const TEMPORARY = /\.(\d+)\.[a-z0-9]*\.tmp$/;
const STALE_AFTER_MS = 60_000;
const ABANDONED_AFTER_MS = 24 * 3600_000;

/** Whether a process with this id runs on this machine (EPERM: it does, owned by someone else). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that killed writers left in `folder` (see the top of this file):
 * those whose writer is gone and that are `staleAfterMs` old, and any `abandonedAfterMs` old.
 * Best effort (a read-only folder keeps them; listings skip them anyway). Returns the names removed.
 */
export function cleanTemporaryFiles(
  folder: string,
  opts: { staleAfterMs?: number; abandonedAfterMs?: number; now?: number; names?: readonly string[] } = {},
): string[] {
  const { staleAfterMs = STALE_AFTER_MS, abandonedAfterMs = ABANDONED_AFTER_MS, now = Date.now() } = opts;
  let names: string[];
  try {
    // The folder's names when the caller has just listed it (no second listing).
    names = (opts.names ?? readdirSync(folder)).filter(isTemporaryFile);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(TEMPORARY.exec(name)?.[1] ?? NaN);
    try {
      const age = now - statSync(join(folder, name)).mtimeMs;
      const writerGone = !Number.isInteger(pid) || pid <= 0 || pid === process.pid || !running(pid);
      if ((writerGone && age >= staleAfterMs) || age >= abandonedAfterMs) {
        unlinkSync(join(folder, name));
        removed.push(name);
      }
    } catch {
      // renamed or removed meanwhile, or not ours to remove
    }
  }
  return removed;
}

const lastSweep = new Map<string, number>();

/**
 * cleanTemporaryFiles at most once a minute per folder (what the stores call); `names`: the folder's
 * entries when the caller has just listed it.
 */
export function sweepTemporaryFiles(folder: string, names?: readonly string[]): void {
  const now = Date.now();
  const key = resolve(folder);
  if (now - (lastSweep.get(key) ?? 0) < STALE_AFTER_MS) return;
  lastSweep.set(key, now);
  cleanTemporaryFiles(key, { now, names });
}

/**
 * Saves one document of a store atomically; a failure says that nothing was saved and that the
 * documents saved before are unchanged (true by construction: the rename never happened).
 */
export function saveDocumentFile(path: string, text: string, what: string, id: string): { path: string } {
  try {
    return { path: writeFileAtomic(path, text).path };
  } catch (e) {
    if (e instanceof StudioError)
      throw new StudioError(
        `${what} '${id}' was not saved: ${e.message}; the ${what}s saved before are unchanged`,
        e.code,
      );
    throw e;
  }
}
