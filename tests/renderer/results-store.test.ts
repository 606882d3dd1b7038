// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { matchesFilter, useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeReportSet } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';
import { compactTime } from '../../renderer/src/components/results/fmt.js';
import { cpuName, unavailableLabel } from '../../renderer/src/components/backends.js';

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  results = fakeReportSet();
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'results.list': ({ filter }) => ({
      results: results
        .filter((r) => !filter?.status || r.status === filter.status)
        .filter((r) => !filter?.backend || r.job.backend.backend === filter.backend)
        .map(summaryOf),
      problems: [],
    }),
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'results.export': ({ ids, format }) => ({
      filename: `report.${format}`,
      mime: 'text/csv',
      content: `id\n${ids.join('\n')}\n`,
    }),
    'results.delete': ({ ids }) => ({ deleted: ids }),
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
  vi.restoreAllMocks();
});

describe('history and filters', () => {
  it('lists results newest first and filters by target text, date text, status and backend', async () => {
    const store = useResultsStore();
    await store.refresh();
    expect(store.visible).toHaveLength(results.length);
    expect(store.visible.at(-1)!.id).toBe('bneck-laptop'); // the oldest
    store.filter.target = 'RESNET';
    expect(store.visible.map((s) => s.id).sort()).toEqual(['rn50-cpu', 'rn50-cuda']);
    store.filter.target = '';
    store.filter.date = '2025-05-28';
    expect(store.visible.map((s) => s.id)).toEqual(['bneck-laptop']);
    store.filter.date = '';
    await store.setFilter({ status: 'failed' });
    expect(api.callsOf('results.list').at(-1)).toEqual({ filter: { status: 'failed' } });
    expect(store.visible.map((s) => s.id)).toEqual(['xcep-cuda']);
    await store.setFilter({ status: '', backend: 'ort-cuda' });
    expect(api.callsOf('results.list').at(-1)).toEqual({ filter: { backend: 'ort-cuda' } });
    expect(store.visible.map((s) => s.id).sort()).toEqual(['rn50-cuda', 'xcep-cuda']);
    expect(store.backends).toEqual(['ort-cuda']);
  });

  it('matchesFilter matches the label and the machine', () => {
    const s = summaryOf(results[0]);
    expect(matchesFilter(s, { target: 'mid=64', backend: '', status: '', date: '' })).toBe(true);
    expect(matchesFilter(s, { target: '', backend: '', status: '', date: 'ryzen' })).toBe(true);
    expect(matchesFilter(s, { target: 'inception', backend: '', status: '', date: '' })).toBe(false);
  });

  it('refreshes on results.changed', async () => {
    const store = useResultsStore();
    store.attach(0);
    await store.refresh();
    const before = api.callsOf('results.list').length;
    api.emit('results.changed', { ids: ['x'] });
    api.emit('results.changed', { ids: ['y'] });
    await settle(20);
    expect(api.callsOf('results.list').length).toBe(before + 1);
  });
});

describe('selection and loading', () => {
  it('selects rows and all visible rows, loading full results once (cached)', async () => {
    const store = useResultsStore();
    await store.refresh();
    store.toggle('sep');
    await settle();
    expect(store.selectedResults.map((r) => r.id)).toEqual(['sep']);
    expect(api.callsOf('results.get')).toEqual([{ ids: ['sep'] }]);
    store.filter.target = 'bottleneck';
    store.toggleAllVisible();
    await settle();
    expect(store.selectedIds.sort()).toEqual(['bneck-1t', 'bneck-4t', 'bneck-laptop', 'sep']);
    // 'sep' was cached: only the new ones are asked for.
    expect(api.callsOf('results.get')[1].ids.sort()).toEqual(['bneck-1t', 'bneck-4t', 'bneck-laptop']);
    expect(store.allVisibleSelected).toBe(true);
    store.toggleAllVisible();
    expect(store.selectedIds).toEqual(['sep']);
  });

  it('deletes the selection', async () => {
    const store = useResultsStore();
    await store.refresh();
    store.setSelected(['sep', 'incep']);
    await store.remove();
    expect(api.callsOf('results.delete')).toEqual([{ ids: ['sep', 'incep'] }]);
    expect(store.summaries.some((s) => s.id === 'sep')).toBe(false);
    expect(store.selectedIds).toEqual([]);
  });
});

describe('export and import', () => {
  it('web mode: results.export then a download of its content', async () => {
    const store = useResultsStore();
    await store.refresh();
    store.setSelected(['sep', 'incep']);
    let blob: Blob | undefined;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blob = b as Blob;
      return 'blob:fake';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    await store.exportResults('csv');
    expect(api.callsOf('results.export')).toEqual([{ ids: ['sep', 'incep'], format: 'csv' }]);
    expect(api.callsOf('results.exportDialog')).toEqual([]);
    expect(clicked).toHaveLength(1);
    expect(clicked[0].download).toBe('report.csv');
    expect(clicked[0].href).toBe('blob:fake');
    expect(await blob!.text()).toBe('id\nsep\nincep\n');
    expect(store.message).toContain('report.csv');
  });

  it('Electron mode: the save dialog', async () => {
    api.handlers['app.info'] = { version: '0.1.0', apiVersion: 1, mode: 'electron', platform: 'linux' };
    api.handlers['results.exportDialog'] = { savedTo: '/home/u/report.html' };
    const store = useResultsStore();
    store.setSelected(['sep']);
    await store.exportResults('html');
    expect(api.callsOf('results.exportDialog')).toEqual([{ ids: ['sep'], format: 'html' }]);
    expect(api.callsOf('results.export')).toEqual([]);
    expect(store.message).toBe('Saved /home/u/report.html');
  });

  it('imports files as text and reports what was added and skipped', async () => {
    api.handlers['results.import'] = ({ name }) => ({
      source: name,
      added: ['a1'],
      skipped: [{ id: 'sep', reason: 'already in the store' }],
    });
    const store = useResultsStore();
    const file = new File(['{"schema":"x"}'], 'other-machine.json', { type: 'application/json' });
    const reports = await store.importFiles([file]);
    expect(api.callsOf('results.import')).toEqual([{ name: 'other-machine.json', text: '{"schema":"x"}' }]);
    expect(reports[0].skipped[0].reason).toBe('already in the store');
    expect(store.imports).toHaveLength(1);
    expect(api.callsOf('results.list').length).toBe(1); // refreshed after the import added results
  });

  it('an import main refuses is reported on its file', async () => {
    api.handlers['results.import'] = () => {
      throw new Error('not a bottleneck-studio report');
    };
    const store = useResultsStore();
    const [r] = await store.importFiles([new File(['nope'], 'x.json')]);
    expect(r.error).toBe('not a bottleneck-studio report');
  });
});

describe('compact times and CPU names', () => {
  it('shows a local month, day and time; the year only when it is not this year', () => {
    const iso = new Date(2026, 10, 23, 19, 45).toISOString();
    expect(compactTime(iso, new Date(2026, 11, 1))).toMatch(/Nov 23.*19:45/);
    expect(compactTime(iso, new Date(2026, 11, 1))).not.toContain('2026');
    expect(compactTime(iso, new Date(2027, 0, 1))).toContain('2026');
    expect(compactTime('not a date')).toBe('not a date');
  });
  it('does not repeat the manufacturer; says briefly why a backend is unavailable', () => {
    expect(cpuName('AMD', 'AMD EPYC 7B13')).toBe('AMD EPYC 7B13');
    expect(cpuName('Intel', 'Core i7-1185G7')).toBe('Intel Core i7-1185G7');
    expect(cpuName(undefined, 'Apple M2')).toBe('Apple M2');
    expect(unavailableLabel({ kind: 'library-missing' })).toBe('libraries not installed');
    expect(unavailableLabel({ kind: 'platform' })).toBe('not on this OS');
    expect(unavailableLabel({ kind: 'no-device' })).toBe('no device');
    expect(unavailableLabel({})).toBe('unavailable');
  });
});
