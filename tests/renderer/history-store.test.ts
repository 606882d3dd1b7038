// @vitest-environment happy-dom
// The History store: the filter as main applies it (seriesMatches), points trimmed by date, the
// selection following the filter, a regression opened from the list, each machine's own history,
// Show in Results, and re-reading on results.changed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { EMPTY_FILTER, filterSeries, toFilter, useHistoryStore } from '../../renderer/src/stores/history.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { historyAnswers } from './history-fixtures.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';

let api: FakeApi;
const answers = historyAnswers();

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({ 'results.history': answers.history, 'results.regressions': answers.regressions });
  setApi(api);
});
afterEach(() => {
  useHistoryStore().detach();
  setApi(undefined);
});

const firstIds = (xs: { points: { resultId: string }[] }[]) => xs.map((s) => s.points[0].resultId).sort();

describe('the history filter', () => {
  it('turns the form into the API filter, leaving out empty and malformed fields', () => {
    expect(toFilter(EMPTY_FILTER)).toEqual({});
    expect(
      toFilter({
        target: ' resnet ',
        backend: 'ort-cpu',
        batch: '8',
        threads: 'x',
        precision: 'fp16',
        machine: '',
        since: '2025-06-11',
      }),
    ).toEqual({ target: 'resnet', backend: 'ort-cpu', batch: 8, precision: 'fp16', since: '2025-06-11' });
    expect(toFilter({ ...EMPTY_FILTER, precision: 'fp8', since: 'soon' })).toEqual({});
  });

  it('keeps the series that match, with their points since the date', () => {
    const all = answers.history.series;
    expect(firstIds(filterSeries(all, EMPTY_FILTER))).toEqual(['laptop-00', 'noise-00', 'step-00']);
    expect(firstIds(filterSeries(all, { ...EMPTY_FILTER, machine: 'i7-1185' }))).toEqual(['laptop-00']);
    expect(firstIds(filterSeries(all, { ...EMPTY_FILTER, threads: '4' }))).toEqual(['noise-00']);
    const since = filterSeries(all, { ...EMPTY_FILTER, since: '2025-06-11' });
    // The laptop's and the noise series' points are all before then: only the slowdown series is left.
    expect(since).toHaveLength(1);
    expect(since[0].points.map((p) => p.resultId)).toEqual(['step-10', 'step-11', 'step-12', 'step-13']);
    expect(since[0].points[0].verdict).toBe('slower');
  });
});

describe('the History store', () => {
  it('reads the history and the regressions, selects the first series, lists the filter options', async () => {
    const h = useHistoryStore();
    await h.refreshAll();
    expect(h.series).toHaveLength(3);
    expect(h.selectedKey).toBe(h.visible[0].key);
    expect(h.regressions.map((r) => r.resultId)).toEqual(['step-10']);
    expect(h.options.backends).toEqual(['ort-cpu']);
    expect(h.options.threads).toEqual([1, 4]);
    expect(h.options.machines.map((m) => m.text)).toEqual([
      'Core i7-1185G7',
      'Ryzen 9 7950X 16-Core Processor + GeForce RTX 4090',
    ]);
    expect(h.flaggedCount).toBe(1);
  });

  it('moves the selection when the filter hides the selected series, and compares a selected point', async () => {
    const h = useHistoryStore();
    await h.refresh();
    const step = h.series.find((s) => s.points[0].resultId === 'step-00')!;
    h.select(step.key);
    h.selectPoint('step-10');
    expect(h.comparison).toMatchObject({ baselineId: 'step-09', point: { resultId: 'step-10' } });
    expect(h.comparison!.baselinePoint!.resultId).toBe('step-09');
    h.setFilter({ threads: '4' });
    expect(h.selected!.points[0].resultId).toBe('noise-00');
    expect(h.selectedPointId).toBeNull();
    expect(h.comparison).toBeNull();
  });

  it('opens a regression from the list: the filter that hid its series is cleared', async () => {
    const h = useHistoryStore();
    await h.refreshAll();
    h.setFilter({ machine: 'Core i7' });
    expect(h.visible).toHaveLength(1);
    h.openRegression(h.regressions[0]);
    expect(h.filter).toEqual(EMPTY_FILTER);
    expect(h.selectedPointId).toBe('step-10');
    expect(h.comparison!.point.verdict).toBe('slower');
  });

  it("shows a machine's own history and opens results in the Results view", async () => {
    const h = useHistoryStore();
    await h.refresh();
    const laptop = h.series.find((s) => s.points[0].resultId === 'laptop-00')!;
    await h.showMachine(laptop.machineKey);
    expect(useSettingsStore().view).toBe('history');
    expect(h.visible.map((s) => s.key)).toEqual([laptop.key]);
    expect(h.selectedKey).toBe(laptop.key);

    await h.showInResults(['step-09', 'step-10'], 'bottleneck');
    const results = useResultsStore();
    expect(useSettingsStore().view).toBe('results');
    expect(results.filter).toMatchObject({ target: 'bottleneck', backend: '', status: '', date: '' });
    expect(results.selectedIds).toEqual(['step-09', 'step-10']);
    expect(api.callsOf('results.get').flatMap((r) => r.ids)).toEqual(['step-09', 'step-10']);
  });

  it('reads again on results.changed (coalesced), and refuses a malformed since date here', async () => {
    const h = useHistoryStore();
    h.attach(5);
    api.emit('results.changed', { ids: ['a'] });
    api.emit('results.changed', { ids: ['b'] });
    await settle(30);
    expect(api.callsOf('results.history')).toHaveLength(1);
    expect(api.callsOf('results.regressions')).toHaveLength(1);
    h.regressionsSince = 'last week';
    await h.refreshRegressions();
    expect(h.regressionsError).toMatch(/not a date/);
    expect(api.callsOf('results.regressions')).toHaveLength(1);
    h.regressionsSince = '2025-06-12';
    await h.refreshRegressions();
    expect(api.callsOf('results.regressions').at(-1)).toEqual({ since: '2025-06-12' });
  });

  it('says why when the history cannot be read', async () => {
    api.handlers['results.history'] = () => {
      throw new Error('the database at postgres://bench@db/results cannot be reached');
    };
    const h = useHistoryStore();
    await h.refresh();
    expect(h.error).toMatch(/history could not be read: the database/);
  });
});
