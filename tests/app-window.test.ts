// The main window's options (every security flag) and its remembered state (bounds clamped onto
// the displays there are, corrupt files ignored), without the Electron binary.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import {
  BACKGROUND_COLORS,
  DEFAULT_HEIGHT,
  DEFAULT_WIDTH,
  MIN_HEIGHT,
  MIN_WIDTH,
  windowOptions,
} from '../main/app/window-options.js';
import {
  clampBounds,
  loadWindowState,
  saveWindowState,
  trackWindowState,
  type TrackedWindow,
} from '../main/app/window-state.js';

// A BrowserWindow must satisfy the tracker's structural type (checked by tsc, nothing runs).
export const _typeCheck = (w: BrowserWindow): TrackedWindow => w;

const tmp = mkdtempSync(join(tmpdir(), 'app-window-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('windowOptions', () => {
  const o = windowOptions({ preloadPath: '/app/dist/main/app/preload.cjs', theme: 'dark' });
  const w = o.webPreferences!;

  it('isolates and sandboxes the renderer, without Node', () => {
    expect(w.contextIsolation).toBe(true);
    expect(w.sandbox).toBe(true);
    expect(w.nodeIntegration).toBe(false);
    expect(w.nodeIntegrationInWorker).toBe(false);
    expect(w.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and the risky features off', () => {
    expect(w.webSecurity).toBe(true);
    expect(w.allowRunningInsecureContent).toBe(false);
    expect(w.webviewTag).toBe(false);
    expect(w.spellcheck).toBe(false);
    expect(w.navigateOnDragDrop).toBe(false);
    // Nothing that loosens them sneaks in.
    expect(w.experimentalFeatures).toBe(false);
    expect(w.disableBlinkFeatures).toBe('Auxclick');
    expect(w).not.toHaveProperty('enableBlinkFeatures');
    expect(w).not.toHaveProperty('additionalArguments');
  });

  it('loads the given preload', () => {
    expect(w.preload).toBe('/app/dist/main/app/preload.cjs');
  });

  it('paints the theme background, waits to be shown, has a minimum size', () => {
    expect(o.backgroundColor).toBe(BACKGROUND_COLORS.dark);
    expect(windowOptions({ preloadPath: 'p', theme: 'light' }).backgroundColor).toBe(BACKGROUND_COLORS.light);
    expect(BACKGROUND_COLORS.light).not.toBe(BACKGROUND_COLORS.dark);
    expect(o.show).toBe(false);
    expect(o.minWidth).toBe(MIN_WIDTH);
    expect(o.minHeight).toBe(MIN_HEIGHT);
  });

  it('uses saved bounds, else the default size centred', () => {
    expect(o).toMatchObject({ width: DEFAULT_WIDTH, height: DEFAULT_HEIGHT, center: true });
    expect(o).not.toHaveProperty('x');
    const b = { x: 10, y: 20, width: 1000, height: 700 };
    const saved = windowOptions({ preloadPath: 'p', theme: 'light', bounds: b });
    expect(saved).toMatchObject(b);
    expect(saved).not.toHaveProperty('center');
  });
});

describe('clampBounds', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 2560, height: 1400 };

  it('keeps bounds that are fully on a display', () => {
    const b = { x: 100, y: 50, width: 1200, height: 800 };
    expect(clampBounds(b, [primary, right])).toEqual(b);
    const onRight = { x: 2000, y: 100, width: 1200, height: 800 };
    expect(clampBounds(onRight, [primary, right])).toEqual(onRight);
  });

  it('moves a window that hangs over an edge back inside the display it mostly covers', () => {
    expect(clampBounds({ x: 1500, y: -40, width: 1000, height: 700 }, [primary])).toEqual({
      x: 920,
      y: 0,
      width: 1000,
      height: 700,
    });
  });

  it('shrinks a window larger than its display', () => {
    expect(clampBounds({ x: 0, y: 0, width: 4000, height: 3000 }, [primary])).toEqual(primary);
  });

  it('centres a window whose display is gone on the first display', () => {
    const lost = { x: 5000, y: 3000, width: 1200, height: 800 };
    expect(clampBounds(lost, [primary])).toEqual({ x: 360, y: 120, width: 1200, height: 800 });
    // A sliver on screen (a few pixels) is as good as lost.
    expect(clampBounds({ x: 1915, y: 100, width: 1200, height: 800 }, [primary])).toEqual({
      x: 360,
      y: 120,
      width: 1200,
      height: 800,
    });
  });

  it('respects the minimum size unless the display is smaller', () => {
    expect(clampBounds({ x: 10, y: 10, width: 200, height: 100 }, [primary], { width: 960, height: 600 })).toEqual({
      x: 10,
      y: 10,
      width: 960,
      height: 600,
    });
    const tiny = { x: 0, y: 0, width: 800, height: 500 };
    expect(clampBounds({ x: 0, y: 0, width: 1000, height: 700 }, [tiny], { width: 960, height: 600 })).toEqual(tiny);
  });

  it('handles displays at negative coordinates (a monitor left of the primary)', () => {
    const left = { x: -1280, y: 0, width: 1280, height: 1024 };
    expect(clampBounds({ x: -1200, y: 50, width: 800, height: 600 }, [primary, left])).toEqual({
      x: -1200,
      y: 50,
      width: 800,
      height: 600,
    });
  });

  it('trusts the file when no display is known', () => {
    const b = { x: 1, y: 2, width: 3, height: 4 };
    expect(clampBounds(b, [])).toEqual(b);
  });
});

describe('window state file', () => {
  it('round-trips through an atomic write, leaving no temporary file', () => {
    const path = join(tmp, 'sub', 'window-state.json');
    saveWindowState(path, { bounds: { x: 1, y: 2, width: 1000, height: 700 }, maximized: true, fullScreen: false });
    expect(loadWindowState(path)).toEqual({
      version: 1,
      bounds: { x: 1, y: 2, width: 1000, height: 700 },
      maximized: true,
      fullScreen: false,
    });
    expect(readdirSync(join(tmp, 'sub'))).toEqual(['window-state.json']);
  });

  it('is null when missing, and ignored (with a log line) when corrupt or invalid', () => {
    expect(loadWindowState(join(tmp, 'missing.json'))).toBeNull();
    const cases = [
      '{"version":1,"bounds":{"x":1,"y"',
      '',
      'null',
      '[]',
      '{"version":2,"bounds":{"x":0,"y":0,"width":10,"height":10}}',
      '{"version":1,"bounds":{"x":0,"y":0,"width":-5,"height":10}}',
      '{"version":1,"bounds":{"x":0.5,"y":0,"width":10,"height":10}}',
      '{"version":1,"bounds":{"x":"0","y":0,"width":10,"height":10}}',
      '{"version":1,"bounds":{"x":1e12,"y":0,"width":10,"height":10}}',
    ];
    for (const [i, text] of cases.entries()) {
      const path = join(tmp, `corrupt-${i}.json`);
      writeFileSync(path, text);
      const log = vi.fn();
      expect(loadWindowState(path, log), text).toBeNull();
      expect(log, text).toHaveBeenCalledWith(expect.stringContaining(`ignoring ${path}`));
    }
  });

  it('fills defaults for the optional flags', () => {
    const path = join(tmp, 'minimal.json');
    writeFileSync(path, '{"version":1,"bounds":{"x":0,"y":0,"width":10,"height":10}}');
    expect(loadWindowState(path)).toMatchObject({ maximized: false, fullScreen: false });
  });
});

describe('trackWindowState', () => {
  function fakeWindow() {
    const handlers = new Map<string, (() => void)[]>();
    const state = { bounds: { x: 5, y: 6, width: 1100, height: 750 }, maximized: false, destroyed: false };
    const win: TrackedWindow = {
      getNormalBounds: () => state.bounds,
      isMaximized: () => state.maximized,
      isFullScreen: () => false,
      isDestroyed: () => state.destroyed,
      on: (event, cb) => handlers.set(event, [...(handlers.get(event) ?? []), cb]),
    };
    const emit = (event: string) => handlers.get(event)?.forEach((cb) => cb());
    return { win, state, emit };
  }

  it('saves shortly after moves and resizes, and at close', async () => {
    vi.useFakeTimers();
    try {
      const path = join(tmp, 'tracked.json');
      const { win, state, emit } = fakeWindow();
      trackWindowState(win, path, { debounceMs: 200 });
      emit('move');
      emit('resize');
      expect(loadWindowState(path)).toBeNull();
      vi.advanceTimersByTime(250);
      expect(loadWindowState(path)?.bounds).toEqual(state.bounds);
      state.maximized = true;
      state.bounds = { x: 0, y: 0, width: 1200, height: 800 };
      emit('close');
      expect(loadWindowState(path)).toMatchObject({ maximized: true, bounds: state.bounds });
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing for a destroyed window and logs a failed write instead of throwing', () => {
    const { win, state, emit } = fakeWindow();
    const log = vi.fn();
    // A path whose parent is a file: mkdir fails.
    const blocker = join(tmp, 'blocker');
    writeFileSync(blocker, 'x');
    trackWindowState(win, join(blocker, 'state.json'), { log });
    expect(() => emit('close')).not.toThrow();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('could not save the window state'));
    state.destroyed = true;
    log.mockClear();
    emit('close');
    expect(log).not.toHaveBeenCalled();
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });
});
