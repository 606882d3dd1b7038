// @vitest-environment happy-dom
// The Electron menu's commands ('app.menu' events): each switches to its view and runs the view's
// own flow (open a model, export the selection as HTML, open the import picker).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { NOTHING_TO_EXPORT } from '../../renderer/src/composables/menu-commands.js';
import { toGraphView } from '../../renderer/src/components/graph.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildTarget } from '../../shared/targets.js';
import type { OpenedModel } from '../../shared/contract/api.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { fakeReportSet } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const App = (await import('../../renderer/src/App.vue')).default;

function opened(): OpenedModel {
  const g = buildTarget({ target: 'bottleneck' });
  return {
    fileId: 'file-1',
    name: 'net.onnx',
    sizeBytes: 1000,
    cost: costGraph(g),
    unknownOps: [],
    graph: toGraphView(g),
  };
}

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  results = fakeReportSet();
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'electron', platform: 'linux' },
    'files.openModelDialog': () => opened(),
    'results.list': () => ({ results: results.map(summaryOf), problems: [] }),
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'results.exportDialog': () => ({ savedTo: '/home/me/report.html' }),
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
  vi.restoreAllMocks();
});

async function mountApp() {
  await useSettingsStore().load();
  const w = mount(App, { attachTo: document.body });
  await flushPromises();
  return w;
}

describe("the application menu ('app.menu')", () => {
  it('open-model: shows Models and opens the native dialog; the file opens', async () => {
    const w = await mountApp();
    api.emit('app.menu', { command: 'open-model' });
    await flushPromises();
    await settle(5);
    expect(useSettingsStore().view).toBe('models');
    expect(api.callsOf('files.openModelDialog')).toHaveLength(1);
    expect(w.find('main').text()).toContain('net.onnx');
    w.unmount();
  });

  it('export-report: shows Results; says what to do when nothing is selected, else exports HTML', async () => {
    const w = await mountApp();
    api.emit('app.menu', { command: 'export-report' });
    await flushPromises();
    expect(useSettingsStore().view).toBe('results');
    expect(api.callsOf('results.exportDialog')).toHaveLength(0);
    expect(w.find('main').text()).toContain(NOTHING_TO_EXPORT);

    const store = useResultsStore();
    store.setSelected([results[0].id, results[1].id]);
    api.emit('app.menu', { command: 'export-report' });
    await flushPromises();
    expect(api.callsOf('results.exportDialog')).toEqual([{ ids: [results[0].id, results[1].id], format: 'html' }]);
    expect(store.error).toBeNull();
    expect(w.find('main').text()).toContain('Saved /home/me/report.html');
    w.unmount();
  });

  it('import-report: shows Results and opens the import file picker', async () => {
    const click = vi.spyOn(HTMLInputElement.prototype, 'click').mockImplementation(() => undefined);
    const w = await mountApp();
    api.emit('app.menu', { command: 'import-report' });
    await flushPromises();
    expect(useSettingsStore().view).toBe('results');
    const picked = click.mock.contexts.map((el) => (el as HTMLInputElement).getAttribute('aria-label'));
    expect(picked).toContain('import report files');
    expect(useResultsStore().importRequested).toBe(false);
    expect(document.activeElement?.classList.contains('import-pick')).toBe(true);

    // Again, with the Results view already shown (kept alive).
    click.mockClear();
    api.emit('app.menu', { command: 'import-report' });
    await flushPromises();
    expect(click.mock.contexts.map((el) => (el as HTMLInputElement).getAttribute('aria-label'))).toContain(
      'import report files',
    );
    w.unmount();
  });
});
