// Where results live when the user does not say: the app's user-data folder, computed the way
// Electron's app.getPath('userData') does for this app, so the CLI and the desktop app share it.
import os from 'node:os';
import { join } from 'node:path';

export const APP_FOLDER = 'Bottleneck Studio';

export function userDataDir(): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_FOLDER);
    case 'darwin':
      return join(home, 'Library', 'Application Support', APP_FOLDER);
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_FOLDER);
  }
}

/** The results folder: $BOTTLENECK_STUDIO_RESULTS when set, else `<user data>/results`. */
export function defaultResultsDir(): string {
  return process.env.BOTTLENECK_STUDIO_RESULTS ?? join(userDataDir(), 'results');
}

/**
 * Where measured rooflines are kept (main/store/roofline-store.ts): the results folder's `machines/`
 * sub-folder, one file per machine key, so the CLI and the app (which share the results folder) and
 * every result saved there find the same roofline.
 */
export function rooflineDir(resultsDir: string): string {
  return join(resultsDir, 'machines');
}

/**
 * A user-given file name reduced to a safe base name: no folders (either separator), no control
 * characters, never `.`/`..` or empty. The name is only for display and the copy's file name.
 */
export function sanitizeFileName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .trim()
    .slice(0, 200);
  return base === '' || /^\.+$/.test(base) ? 'model.onnx' : base;
}
