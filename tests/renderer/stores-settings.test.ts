// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { applyTheme, resolveTheme, useSettingsStore } from '../../renderer/src/stores/settings.js';
import { fakeApi } from './studio-fake-api.js';

const html = () => document.documentElement;

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => setApi(undefined));

describe('settings store', () => {
  it('loads the theme and last view from settings.get and applies the theme to <html>', async () => {
    const api = fakeApi({
      'settings.get': { theme: 'dark', lastView: 'models', lastBench: { batches: [1, 8] } },
      'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    });
    setApi(api);
    const s = useSettingsStore();
    await s.load();
    expect(s.theme).toBe('dark');
    expect(s.view).toBe('models');
    expect(s.lastBench).toEqual({ batches: [1, 8] });
    expect(s.mode).toBe('web');
    expect(s.loaded).toBe(true);
    expect(html().dataset.theme).toBe('dark');
    expect(html().classList.contains('theme-dark')).toBe(true);
  });

  it('ignores an unknown saved view', async () => {
    setApi(fakeApi({ 'settings.get': { theme: 'light', lastView: 'nonsense' } }));
    const s = useSettingsStore();
    await s.load();
    expect(s.view).toBe('blocks');
    expect(html().dataset.theme).toBe('light');
  });

  it('says when the saved settings could not be read and were reset (main set the file aside)', async () => {
    setApi(
      fakeApi({
        'settings.get': {
          theme: 'system',
          problem:
            'settings file /x/settings.json could not be read (too deep); moved to /x/settings.json.corrupt-1, using the defaults',
        },
      }),
    );
    const s = useSettingsStore();
    await s.load();
    expect(s.error).toMatch(/^Your saved settings were reset: settings file .* could not be read \(too deep\)/);
  });

  it('saves the theme and the view through settings.set', async () => {
    const api = fakeApi();
    setApi(api);
    const s = useSettingsStore();
    await s.setTheme('light');
    expect(html().dataset.theme).toBe('light');
    expect(html().dataset.themeSetting).toBe('light');
    await s.setView('hardware');
    await s.setView('hardware'); // no second save for the same view
    await s.saveLastBench({ repetitions: 3 });
    expect(api.callsOf('settings.set')).toEqual([
      { theme: 'light' },
      { lastView: 'hardware' },
      { lastBench: { repetitions: 3 } },
    ]);
  });

  it('system follows prefers-color-scheme', () => {
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    expect(resolveTheme('system')).toBe(dark ? 'dark' : 'light');
    applyTheme('system');
    expect(html().dataset.themeSetting).toBe('system');
    expect(html().dataset.theme).toBe(dark ? 'dark' : 'light');
  });

  it('reports a failed load or save without throwing', async () => {
    setApi(
      fakeApi({
        'settings.get': () => {
          throw new Error('server gone');
        },
        'settings.set': () => {
          throw new Error('disk full');
        },
      }),
    );
    const s = useSettingsStore();
    await s.load();
    expect(s.error).toContain('server gone');
    expect(s.loaded).toBe(true);
    await s.setTheme('dark');
    expect(s.error).toContain('disk full');
    expect(s.theme).toBe('dark');
  });
});
