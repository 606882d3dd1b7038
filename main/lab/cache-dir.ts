// Where cached data lives when the user does not say: the platform's cache folder for the app (the
// files can be rebuilt, so they do not belong in the user-data folder beside results), or
// $STUDIO_CACHE_DIR when set.
import os from 'node:os';
import { join } from 'node:path';
import { APP_FOLDER } from '../store/paths.js';

/** The app's cache folder: Linux $XDG_CACHE_HOME or ~/.cache, macOS ~/Library/Caches, Windows %LOCALAPPDATA%\...\Cache. */
export function defaultCacheDir(): string {
  if (process.env.STUDIO_CACHE_DIR) return process.env.STUDIO_CACHE_DIR;
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return join(process.env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), APP_FOLDER, 'Cache');
    case 'darwin':
      return join(home, 'Library', 'Caches', APP_FOLDER);
    default:
      return join(process.env.XDG_CACHE_HOME || join(home, '.cache'), APP_FOLDER);
  }
}
