// The app's settings: one small JSON file in the data folder, written atomically. A settings file
// that cannot be read (hand-edited, half-synced, from a newer version) must never stop the app: it
// is moved aside (kept for the user to inspect) and the defaults are used.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SettingsSchema, type Settings } from '../../shared/contract/api.js';
import { writeFileAtomic } from '../store/atomic-write.js';

export const SETTINGS_FILE = 'settings.json';

export class SettingsFile {
  readonly path: string;
  private cached?: Settings;
  /** Where the last unreadable settings file was moved (for the log and the tests). */
  movedAside?: string;

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
   */
  set(update: Partial<Settings>, given: readonly string[] = Object.keys(update)): Settings {
    const next: Record<string, unknown> = { ...this.get() };
    for (const k of given) if (k in update) next[k] = (update as Record<string, unknown>)[k];
    const parsed = SettingsSchema.parse(next);
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, `${JSON.stringify(parsed, null, 2)}\n`);
    this.cached = parsed;
    return structuredClone(parsed);
  }

  private read(): Settings {
    if (!existsSync(this.path)) return SettingsSchema.parse({});
    let reason: string;
    try {
      const parsed = SettingsSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (parsed.success) return parsed.data;
      reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    } catch (e) {
      reason = (e as Error).message;
    }
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.path, aside);
      this.movedAside = aside;
      console.warn(`settings file ${this.path} could not be read (${reason}); moved to ${aside}, using defaults`);
    } catch (e) {
      console.warn(
        `settings file ${this.path} could not be read (${reason}) nor moved aside (${(e as Error).message}); using defaults`,
      );
    }
    return SettingsSchema.parse({});
  }
}
