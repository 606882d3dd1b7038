// App-wide settings: the theme (applied to <html>), the view shown, and what main persists
// for us (settings.get / settings.set). Other stores read the app's mode (electron | web) here.
import { defineStore } from 'pinia';
import type { ApiResponses, Settings } from '../../../shared/contract/api.js';
import { errorMessage, getApi } from '../api/index.js';

export type Theme = Settings['theme'];
export const VIEWS = [
  'hardware',
  'blocks',
  'models',
  'benchmark',
  'accuracy',
  'lab',
  'results',
  'history',
  'fleet',
] as const;
export type ViewName = (typeof VIEWS)[number];
export const VIEW_TITLES: Record<ViewName, string> = {
  hardware: 'Hardware',
  blocks: 'Blocks',
  models: 'Models',
  benchmark: 'Benchmark',
  accuracy: 'Accuracy',
  lab: 'Lab',
  results: 'Results',
  history: 'History',
  fleet: 'Fleet',
};

export const isView = (v: unknown): v is ViewName => typeof v === 'string' && (VIEWS as readonly string[]).includes(v);

/** 'light' | 'dark' as shown: 'system' follows prefers-color-scheme. */
export function resolveTheme(theme: Theme): 'light' | 'dark' {
  if (theme !== 'system') return theme;
  const mq =
    typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  return mq?.matches ? 'dark' : 'light';
}

/** Sets data-theme (light | dark) and data-theme-setting on <html>, plus a theme-* class. */
export function applyTheme(theme: Theme): void {
  if (typeof document === 'undefined') return;
  const root = document.documentElement;
  const shown = resolveTheme(theme);
  root.dataset.theme = shown;
  root.dataset.themeSetting = theme;
  root.classList.toggle('theme-dark', shown === 'dark');
  root.classList.toggle('theme-light', shown === 'light');
}

let mediaListenerInstalled = false;

export const useSettingsStore = defineStore('settings', {
  state: () => ({
    theme: 'system' as Theme,
    view: 'blocks' as ViewName,
    lastBench: undefined as Record<string, unknown> | undefined,
    info: null as ApiResponses['app.info'] | null,
    loaded: false,
    error: null as string | null,
  }),
  getters: {
    shownTheme: (s): 'light' | 'dark' => resolveTheme(s.theme),
    mode: (s): 'electron' | 'web' =>
      s.info?.mode ?? (typeof window !== 'undefined' && window.bottleneckStudio ? 'electron' : 'web'),
  },
  actions: {
    /** Reads settings and app info from main; applies the theme and restores the last view. */
    async load(): Promise<void> {
      applyTheme(this.theme);
      this.watchSystemTheme();
      const api = getApi();
      try {
        const [s, info] = await Promise.all([api.call('settings.get', {}), api.call('app.info', {}).catch(() => null)]);
        this.theme = s.theme ?? 'system';
        if (isView(s.lastView)) this.view = s.lastView;
        this.lastBench = s.lastBench;
        this.info = info;
        // The saved file could not be read (main set it aside): say so once, the defaults are in use.
        this.error = s.problem ? `Your saved settings were reset: ${s.problem}.` : null;
      } catch (e) {
        this.error = `Settings could not be loaded: ${errorMessage(e)}`;
      } finally {
        this.loaded = true;
        applyTheme(this.theme);
      }
    },
    async setTheme(theme: Theme): Promise<void> {
      this.theme = theme;
      applyTheme(theme);
      await this.save({ theme });
    },
    /** Shows a view and remembers it as the last one. */
    async setView(view: ViewName): Promise<void> {
      if (this.view === view) return;
      this.view = view;
      await this.save({ lastView: view });
    },
    /**
     * The Benchmark view's last form. Main keeps what its schema (SavedBenchFormSchema) names,
     * drops a field that does not fit and refuses a form too deep or too large, saying why.
     */
    async saveLastBench(lastBench: Record<string, unknown>): Promise<void> {
      this.lastBench = lastBench;
      await this.save({ lastBench });
    },
    async save(patch: Partial<Settings>): Promise<void> {
      try {
        await getApi().call('settings.set', patch);
        this.error = null;
      } catch (e) {
        this.error = `Settings could not be saved: ${errorMessage(e)}`;
      }
    },
    watchSystemTheme(): void {
      if (mediaListenerInstalled || typeof window === 'undefined' || !window.matchMedia) return;
      mediaListenerInstalled = true;
      const mq = window.matchMedia('(prefers-color-scheme: dark)');
      mq.addEventListener?.('change', () => {
        if (this.theme === 'system') applyTheme('system');
      });
    },
  },
});
