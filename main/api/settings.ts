// The app's settings: one small JSON file in the data folder, written atomically. A settings file
// that cannot be read (hand-edited, half-synced, from a newer version, too large, too deep, not
// what the schema allows) must never stop the app: it is moved aside (kept for the user to inspect)
// with a message naming the reason, and the defaults are used. What is written is bounded first:
// the request's nesting depth and the file's size, so that no request can leave a file that later
// breaks every read (issue 19: a 3,000-level lastBench once made settings fail for good).
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SettingsSchema, type Settings } from '../../shared/contract/api.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { ApiError } from './errors.js';

export const SETTINGS_FILE = 'settings.json';
/**
 * The most settings.json may hold as written (pretty-printed). The largest form the schema allows
 * in practice (500 targets with their parameters) is well under 100 KiB.
 */
export const MAX_SETTINGS_BYTES = 256 * 1024;
/** A settings file larger than this is not even read (a hand edit may re-indent what we wrote). */
export const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;
/**
 * How deep a settings request or file may nest (objects and arrays). What is stored nests 5 levels
 * at most (settings > lastBench > targets > a target > its params); keys the schema does not name
 * are stripped, but a request deeper than this is refused rather than walked.
 */
export const MAX_SETTINGS_DEPTH = 16;

/**
 * Where `value` nests deeper than `max` levels of objects and arrays (the path there), or null.
 * Iterative, so that no depth can overflow the stack, and it stops at the first place too deep.
 */
export function nestingProblem(value: unknown, max: number): string | null {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 1, path: '' }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return path.length > 80 ? `${path.slice(0, 80)}…` : path || 'the top';
    for (const [k, child] of Object.entries(v))
      if (typeof child === 'object' && child !== null)
        stack.push({
          v: child,
          depth: depth + 1,
          path: path.length > 80 ? path : Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
        });
  }
  return null;
}

function issuesText(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || 'the file'}: ${i.message}`)
    .join('; ');
}

export class SettingsFile {
  readonly path: string;
  private cached?: Settings;
  /** Where the last unreadable settings file was moved (for the log and the tests). */
  movedAside?: string;
  /** Why the settings file could not be read, and what became of it (also logged); undefined when it was fine. */
  problem?: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, SETTINGS_FILE);
  }

  get(): Settings {
    this.cached ??= this.read();
    return structuredClone(this.cached);
  }

  /**
   * Applies the given keys over the current settings. `given` lists the keys the caller actually
   * sent: the request schema fills defaults (theme: 'system') that must not overwrite saved values.
   * `raw` is the request as it arrived (before the schema stripped what it does not name): one
   * that nests too deep is refused, and so is a result too large to store; nothing is written then.
   */
  set(update: Partial<Settings>, given: readonly string[] = Object.keys(update), raw: unknown = update): Settings {
    const deep = nestingProblem(raw, MAX_SETTINGS_DEPTH);
    if (deep !== null)
      throw new ApiError(
        'bad-request',
        `the settings sent nest deeper than ${MAX_SETTINGS_DEPTH} levels (at ${deep}); settings hold nothing that deep, and nothing was saved`,
      );
    const next: Record<string, unknown> = { ...this.get() };
    for (const k of given) if (k in update) next[k] = (update as Record<string, unknown>)[k];
    const parsed = SettingsSchema.parse(next);
    const text = `${JSON.stringify(parsed, null, 2)}\n`;
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_SETTINGS_BYTES)
      throw new ApiError(
        'bad-request',
        `the settings would take ${Math.ceil(bytes / 1024)} KiB, over the ${MAX_SETTINGS_BYTES / 1024} KiB allowed (the saved Benchmark form is the large part: use fewer targets or shorter parameters); nothing was saved`,
      );
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, text);
    // The results database's URL may carry a password: the file is the user's alone.
    if (parsed.resultsDatabase) chmodSync(this.path, 0o600);
    this.cached = parsed;
    return structuredClone(parsed);
  }

  /** The settings on disk, or the defaults (the file moved aside with the reason) when they cannot be read. Never throws. */
  private read(): Settings {
    let reason: string;
    try {
      const found = this.readFile();
      if (typeof found !== 'string') return found;
      reason = found;
    } catch (e) {
      // JSON.parse and everything after it: a RangeError (a stack overflow) is a reason like any other.
      reason =
        e instanceof RangeError
          ? `it is nested too deeply to read (${e.message})`
          : e instanceof Error
            ? e.message
            : String(e);
    }
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.path, aside);
      this.movedAside = aside;
      this.problem = `settings file ${this.path} could not be read (${reason}); moved to ${aside}, using the defaults`;
    } catch (e) {
      this.problem = `settings file ${this.path} could not be read (${reason}) nor moved aside (${(e as Error).message}); using the defaults`;
    }
    console.warn(this.problem);
    return SettingsSchema.parse({});
  }

  /** The settings, the defaults when there is no file, or why the file cannot be used. */
  private readFile(): Settings | string {
    let size: number;
    try {
      const st = statSync(this.path);
      if (!st.isFile()) return 'it is not a regular file';
      size = st.size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return SettingsSchema.parse({});
      throw e;
    }
    // Checked before reading: an oversized file is never read into memory, let alone parsed.
    if (size > MAX_SETTINGS_FILE_BYTES)
      return `it is ${(size / 1024 ** 2).toFixed(1)} MiB; a settings file holds at most ${MAX_SETTINGS_FILE_BYTES / 1024 ** 2} MiB`;
    const value: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
    const deep = nestingProblem(value, MAX_SETTINGS_DEPTH);
    if (deep !== null) return `it nests deeper than ${MAX_SETTINGS_DEPTH} levels (at ${deep})`;
    const parsed = SettingsSchema.safeParse(value);
    return parsed.success ? parsed.data : issuesText(parsed.error);
  }
}
