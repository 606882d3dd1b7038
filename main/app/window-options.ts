// The main window's options as a pure function, so that every security flag is a tested value
// instead of a default that an Electron upgrade could change under us. The renderer gets no Node
// and no Electron: it reaches main only through the preload's one object (preload.ts).
import type { BrowserWindowConstructorOptions } from 'electron';
import type { Bounds } from './window-state.js';

export type ResolvedTheme = 'light' | 'dark';

/** The window's colour before the page paints, the renderer's --bg of each theme (no white flash in dark mode). */
export const BACKGROUND_COLORS: Record<ResolvedTheme, string> = { light: '#ffffff', dark: '#0d1117' };

export const MIN_WIDTH = 960;
export const MIN_HEIGHT = 600;
export const DEFAULT_WIDTH = 1400;
export const DEFAULT_HEIGHT = 900;

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/main/app/preload.cjs). */
  preloadPath: string;
  theme: ResolvedTheme;
  /** Saved (and already clamped) bounds; absent: the default size, centred. */
  bounds?: Bounds;
  title?: string;
  /** Window icon (Linux and Windows; macOS takes the bundle's). */
  icon?: string;
}

export function windowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  const b = input.bounds;
  return {
    title: input.title ?? 'Bottleneck Studio',
    ...(b
      ? { x: b.x, y: b.y, width: b.width, height: b.height }
      : { width: DEFAULT_WIDTH, height: DEFAULT_HEIGHT, center: true }),
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    backgroundColor: BACKGROUND_COLORS[input.theme],
    // Shown on 'ready-to-show': no empty frame while the renderer loads.
    show: false,
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preloadPath,
      // The renderer is a web page: isolated from the preload's world, sandboxed, without Node.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      // Parameter names and numbers are not prose; the spellchecker would only add red lines
      // (and on some platforms download dictionaries).
      spellcheck: false,
      navigateOnDragDrop: false,
      enableWebSQL: false,
      // Middle-click (auxclick) on a link is another way to ask for a new window; the window-open
      // handler denies those anyway (security.ts), this keeps the event from firing at all.
      disableBlinkFeatures: 'Auxclick',
    },
  };
}
