// Remembers the main window's place and size between runs, in userData/window-state.json.
// The file is the app's own, but still read defensively: a corrupt or hand-edited file, or bounds
// on a monitor that is no longer attached, must never leave the window off screen or fail the start.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic-write.js';

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

const int = z.number().int().min(-100_000).max(100_000);
const BoundsSchema = z.object({
  x: int,
  y: int,
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
});

export const WindowStateSchema = z.object({
  version: z.literal(1),
  bounds: BoundsSchema,
  maximized: z.boolean().default(false),
  fullScreen: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

export const WINDOW_STATE_FILE = 'window-state.json';

/** The saved state, or null when there is none or it is unreadable (then the defaults apply). */
export function loadWindowState(path: string, log: (msg: string) => void = () => {}): WindowState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // first start
  }
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    log(`ignoring ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  } catch (e) {
    log(`ignoring ${path}: ${(e as Error).message}`);
  }
  return null;
}

export function saveWindowState(path: string, state: Omit<WindowState, 'version'>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify({ version: 1, ...state }, null, 2)}\n`);
}

/** How much of a window must lie on a display for it to count as visible (enough to grab the title bar). */
const MIN_VISIBLE = { width: 120, height: 60 };

function overlap(a: Bounds, b: Bounds): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Puts saved bounds on a display: given the displays' work areas (screen.getAllDisplays(), the
 * primary first), the window goes on the display it overlaps most, shrunk to fit its work area and
 * moved inside it. Bounds that touch no display (a monitor unplugged since) are centred on the first
 * display at their saved size (shrunk to fit). Never smaller than `min` unless the display is.
 */
export function clampBounds(saved: Bounds, workAreas: Bounds[], min = { width: 0, height: 0 }): Bounds {
  if (workAreas.length === 0) return saved; // nothing known about the screens: trust the file
  let best: Bounds | undefined;
  let bestArea = 0;
  for (const area of workAreas) {
    const o = overlap(saved, area);
    if (o.width >= Math.min(MIN_VISIBLE.width, saved.width) && o.height >= Math.min(MIN_VISIBLE.height, saved.height)) {
      if (o.width * o.height > bestArea) {
        bestArea = o.width * o.height;
        best = area;
      }
    }
  }
  const area = best ?? workAreas[0];
  const width = Math.min(Math.max(saved.width, min.width), area.width);
  const height = Math.min(Math.max(saved.height, min.height), area.height);
  if (!best)
    return {
      x: area.x + Math.round((area.width - width) / 2),
      y: area.y + Math.round((area.height - height) / 2),
      width,
      height,
    };
  const x = Math.min(Math.max(saved.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(saved.y, area.y), area.y + area.height - height);
  return { x, y, width, height };
}

/** The part of a BrowserWindow the tracker uses (a fake in tests). */
export interface TrackedWindow {
  getNormalBounds(): Bounds;
  isMaximized(): boolean;
  isFullScreen(): boolean;
  isDestroyed(): boolean;
  on(
    event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'enter-full-screen' | 'leave-full-screen' | 'close',
    cb: () => void,
  ): unknown;
}

/**
 * Saves the window's state a moment after it stops moving or resizing, and once more when it closes.
 * getNormalBounds() is the restored size of a maximized window, so un-maximizing next time lands
 * where the user left it.
 */
export function trackWindowState(
  win: TrackedWindow,
  path: string,
  opts: { debounceMs?: number; log?: (msg: string) => void } = {},
): () => void {
  const log = opts.log ?? (() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (win.isDestroyed()) return;
    try {
      saveWindowState(path, {
        bounds: win.getNormalBounds(),
        maximized: win.isMaximized(),
        fullScreen: win.isFullScreen(),
      });
    } catch (e) {
      // Losing the window's place is not worth an error dialog.
      log(`could not save the window state: ${(e as Error).message}`);
    }
  };
  const later = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(save, opts.debounceMs ?? 500);
  };
  for (const ev of ['resize', 'move', 'maximize', 'unmaximize', 'enter-full-screen', 'leave-full-screen'] as const)
    win.on(ev, later);
  win.on('close', save);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
