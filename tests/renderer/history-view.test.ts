// @vitest-environment happy-dom
// The History view: the empty state with the real minimum of results a series needs, the series
// list, the chart's flagged point (a red triangle), a click on it comparing it with its baseline
// (ratio with CI, p-value, threshold), Show in Results, the Regressions list, and the Results
// database card (refused URL, back to the folder).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { useHistoryStore } from '../../renderer/src/stores/history.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { REGRESSION_DEFAULTS } from '../../shared/stats/regression.js';
import { chartCalls } from './chart-stubs.js';
import { historyAnswers } from './history-fixtures.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const HistoryView = (await import('../../renderer/src/views/HistoryView.vue')).default;

let api: FakeApi;
const answers = historyAnswers();

beforeEach(() => {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  api = fakeApi({ 'results.history': answers.history, 'results.regressions': answers.regressions });
  setApi(api);
});
afterEach(() => {
  useHistoryStore().detach();
  setApi(undefined);
});

async function mountView() {
  const w = mount(HistoryView, { attachTo: document.body });
  await flushPromises();
  return w;
}

type LineOptions = { onClick: (e: unknown, els: { datasetIndex: number; index: number }[]) => void };
const lastLine = () => chartCalls.filter((c) => c.type === 'line').at(-1)!;

describe('HistoryView', () => {
  it('with no history: says what to do, with the number of results a series needs', async () => {
    api.handlers['results.history'] = { ...answers.history, series: [] };
    api.handlers['results.regressions'] = { ...answers.regressions, regressions: [] };
    const w = await mountView();
    const empty = w.find('section.history-empty');
    expect(empty.exists()).toBe(true);
    expect(empty.text()).toContain('Run the same benchmark again later');
    expect(empty.text()).toContain(`each series needs ${REGRESSION_DEFAULTS.minBaseline + 1} successful results`);
    await empty.find('button.primary').trigger('click');
    expect(useSettingsStore().view).toBe('benchmark');
    w.unmount();
  });

  it('lists the series with their last median, count and verdict; the slowdown series is flagged', async () => {
    const w = await mountView();
    const items = w.findAll('.series-item');
    expect(items).toHaveLength(3);
    const step = items.find((i) => i.text().includes('14 results'))!;
    expect(step.text()).toContain('bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread');
    expect(step.find('.series-item__flags').text()).toBe('⚑ 1');
    // The laptop's series (2 results) is too short to judge its newest: the view says so.
    await items.find((i) => i.text().includes('Core i7'))!.trigger('click');
    expect(w.find('.too-short').text()).toMatch(/has 2 results: run the same benchmark again later.*needs 3 results/);
    w.unmount();
  });

  it('marks the flagged point on the chart; clicking it compares it with its baseline; Show in Results', async () => {
    const w = await mountView();
    await w
      .findAll('.series-item')
      .find((i) => i.text().includes('14 results'))!
      .trigger('click');
    const chart = lastLine();
    const median = chart.data.datasets[0] as unknown as { pointStyle: string[]; data: number[] };
    expect(median.data).toHaveLength(14);
    expect(median.pointStyle[10]).toBe('triangle');
    expect(median.pointStyle.filter((s) => s === 'triangle')).toHaveLength(1);
    expect(chart.data.datasets[1].label).toBe('baseline median');
    expect(w.find('[data-testid="point-comparison"]').exists()).toBe(false);

    (chart.options as unknown as LineOptions).onClick(null, [{ datasetIndex: 0, index: 10 }]);
    await flushPromises();
    const cmp = w.find('[data-testid="point-comparison"]');
    expect(cmp.exists()).toBe(true);
    expect(cmp.find('h3').text()).toMatch(/step-10\s*against its baseline\s*step-09/);
    expect(cmp.find('[data-testid="comparison-ratio"]').text()).toMatch(/^1\.1\d\d\s+\(95% CI 1\.1\d\d – 1\.1\d\d\)$/);
    expect(cmp.text()).toContain('< 0.001');
    expect(cmp.text()).toMatch(/noise threshold\s*±\d+\.\d%/);
    expect(cmp.text()).toMatch(/slower.*\+1\d\.\d%/);
    // The table marks the same row.
    expect(w.find('.point-row--selected').attributes('data-result')).toBe('step-10');
    expect(w.find('.point-row--slower').attributes('data-result')).toBe('step-10');

    await cmp.find('button.show-both').trigger('click');
    await flushPromises();
    expect(useSettingsStore().view).toBe('results');
    expect(useResultsStore().selectedIds).toEqual(['step-09', 'step-10']);
    expect(useResultsStore().filter.target).toBe('bottleneck');
    w.unmount();
  });

  it('compares by keyboard from the table, and from the Regressions list (newest first, since a date)', async () => {
    const w = await mountView();
    await w.find('.point-row[data-result="step-12"] button.compare-point').trigger('click');
    expect(w.find('[data-testid="point-comparison"] h3').text()).toMatch(/step-12/);
    await w.find('[data-testid="point-comparison"] button[aria-label="Close the comparison"]').trigger('click');
    expect(w.find('[data-testid="point-comparison"]').exists()).toBe(false);

    const rows = w.findAll('.regression-row');
    expect(rows).toHaveLength(1);
    expect(rows[0].classes()).toContain('regression-row--slower');
    // Hidden by the filter first: opening it clears the filter.
    useHistoryStore().setFilter({ threads: '4' });
    await rows[0].find('button.open-regression').trigger('click');
    await flushPromises();
    expect(w.find('#series-title').text()).toBe('bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread');
    expect(w.find('[data-testid="point-comparison"] h3').text()).toMatch(/step-10/);

    const since = w.find('input[aria-label="regressions since"]');
    await since.setValue('2025-06-12');
    await since.trigger('change');
    await flushPromises();
    expect(api.callsOf('results.regressions').at(-1)).toEqual({ since: '2025-06-12' });
    w.unmount();
  });

  it('the Results database card: the folder, a refused URL with the reason, then back to the folder', async () => {
    let saved = '';
    api.handlers['settings.set'] = (req) => {
      if (req.resultsDatabase?.startsWith('postgres://nowhere'))
        throw new Error(
          'cannot reach the database at postgres://bench@nowhere/results: getaddrinfo ENOTFOUND; the setting was not saved',
        );
      saved = req.resultsDatabase ?? saved;
      return { theme: 'system', resultsDatabase: saved };
    };
    api.handlers['results.source'] = () =>
      saved
        ? { kind: 'postgres', location: 'postgres://bench@db.lab/results' }
        : { kind: 'folder', location: '/home/user/results' };
    api.handlers['settings.get'] = () => ({
      theme: 'system',
      resultsDatabase: saved ? 'postgres://bench@db.lab/results' : '',
    });
    const w = await mountView();
    const card = w.find('.results-source');
    expect(card.find('[data-testid="results-source"]').text()).toContain('Local results folder');
    expect(card.find('form').exists()).toBe(false);
    await card.find('button.results-source__toggle').trigger('click');
    const input = card.find('input[name="results-database"]');
    await input.setValue('postgres://nowhere:pw@nowhere/results');
    await card.find('form').trigger('submit');
    await flushPromises();
    expect(card.find('.results-source__refusal').text()).toMatch(/^Not connected: cannot reach .*not saved$/);
    expect(input.attributes('aria-invalid')).toBe('true');

    await input.setValue('postgres://bench:pw@db.lab/results');
    await card.find('form').trigger('submit');
    await flushPromises();
    expect(api.callsOf('settings.set').at(-1)).toEqual({ resultsDatabase: 'postgres://bench:pw@db.lab/results' });
    expect(card.find('[data-testid="results-source"]').text()).toContain('PostgreSQL database');
    expect(card.text()).toContain('postgres://bench@db.lab/results');
    expect(card.text()).not.toContain(':pw@');

    await card.find('button.results-source__toggle').trigger('click');
    await card
      .findAll('button')
      .find((b) => b.text() === 'Use the local folder')!
      .trigger('click');
    await flushPromises();
    expect(api.callsOf('settings.set').at(-1)).toEqual({ resultsDatabase: '' });
    expect(card.find('[data-testid="results-source"]').text()).toContain('Local results folder');
    w.unmount();
  });

  it('opens the Results database form by itself when the database set cannot be used', async () => {
    api.handlers['results.source'] = {
      kind: 'folder',
      location: '/home/user/results',
      problem:
        'password authentication failed for user "bench" (the results folder /home/user/results is in use instead)',
    };
    const w = await mountView();
    const card = w.find('.results-source');
    expect(card.find('.results-source__problem').text()).toMatch(/cannot be used: password authentication failed/);
    expect(card.find('form').exists()).toBe(true);
    w.unmount();
  });
});
