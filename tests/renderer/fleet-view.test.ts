// @vitest-environment happy-dom
// The Fleet view: without a database, the problem and the exact commands that start an agent and
// queue a job; with agents, their table (state in colour and words, "12 s ago" counting on, the
// current job) and the queue depth; polling only while shown; and the same suite across machines
// (latency, achieved GFLOP/s against each machine's roofline) with a link to each machine's history.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { acrossMachines, throughputOf } from '../../renderer/src/components/fleet/across.js';
import { fleetCommands, URL_PLACEHOLDER, useFleetStore } from '../../renderer/src/stores/fleet.js';
import { useHistoryStore } from '../../renderer/src/stores/history.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import type { FleetListResponse } from '../../shared/contract/history.js';
import { fakeResult } from '../helpers/fake-results.js';
import { historyAnswers, historyResults, workstation } from './history-fixtures.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const FleetView = (await import('../../renderer/src/views/FleetView.vue')).default;

let api: FakeApi;
const results = historyResults();
const answers = historyAnswers(results);

const withAgents: FleetListResponse = {
  checkedAt: '2025-06-20T10:00:00.000Z',
  agents: [
    {
      name: 'gpu-box',
      tags: ['cuda', 'lab'],
      host: 'lab-3',
      machine: 'EPYC 7763',
      lastSeenS: 12,
      state: 'busy',
      job: { id: 'j1', label: 'resnet50/keras on ort-cuda, batch 1' },
    },
    { name: 'laptop', tags: [], host: 'anna-x1', lastSeenS: 3, state: 'idle' },
    { name: 'old-box', tags: ['cpu'], host: 'lab-1', machine: 'Xeon E5', lastSeenS: 4000, state: 'stale' },
  ],
  queues: [
    { name: 'agent.gpu-box', queued: 3, active: 1 },
    { name: 'tag.cuda', queued: 2, active: 0 },
  ],
};

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({
    'results.history': answers.history,
    'results.regressions': answers.regressions,
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
  });
  setApi(api);
});
afterEach(() => {
  useHistoryStore().detach();
  setApi(undefined);
  vi.useRealTimers();
});

async function mountView() {
  const w = mount(FleetView, { attachTo: document.body });
  await flushPromises();
  return w;
}

describe('fleet commands and the across-machines data', () => {
  it('names the database URL (quoted when it needs it), or a placeholder', () => {
    expect(fleetCommands(undefined)).toEqual({
      agent: `npm run agent -- --db ${URL_PLACEHOLDER} --name NAME --tags cuda`,
      enqueue: `npm run cli -- bench resnet50 --on NAME --db ${URL_PLACEHOLDER}`,
      list: `npm run cli -- fleet --db ${URL_PLACEHOLDER}`,
    });
    expect(fleetCommands('postgres://bench@db.lab:5432/results').agent).toBe(
      'npm run agent -- --db postgres://bench@db.lab:5432/results --name NAME --tags cuda',
    );
    expect(fleetCommands("postgres://bench@db/r?application_name=it's").enqueue).toBe(
      "npm run cli -- bench resnet50 --on NAME --db 'postgres://bench@db/r?application_name=it'\\''s'",
    );
  });

  it('puts the latest result of each machine side by side, per configuration measured on two or more', () => {
    const data = acrossMachines(answers.history.series);
    expect(data.machines.map((m) => [m.machine, m.series])).toEqual([
      ['Core i7-1185G7', 1],
      ['Ryzen 9 7950X 16-Core Processor + GeForce RTX 4090', 2],
    ]);
    expect(data.rows).toHaveLength(1);
    expect(data.rows[0].title).toBe('bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread');
    expect(data.rows[0].cells.map((c) => c?.point.resultId)).toEqual(['laptop-01', 'step-13']);
    expect(acrossMachines(answers.history.series, 1).rows).toHaveLength(2);
  });

  it("computes achieved GFLOP/s and its share of the machine's roofline at the target's intensity", () => {
    const r = fakeResult({ machine: workstation, medianMs: 1 });
    const t = throughputOf(r)!;
    expect(t.gflops).toBeCloseTo(r.stats!.gflops, 6);
    expect(t.against).toBe('roofline');
    expect(t.roofGflops).toBeGreaterThan(0);
    expect(t.roofGflops).toBeLessThanOrEqual(1200);
    expect(t.ofRoof).toBeCloseTo(t.gflops / t.roofGflops!, 9);
    expect(throughputOf(fakeResult({ medianMs: 1 }))).toEqual({ gflops: expect.any(Number) });
    expect(throughputOf(fakeResult({ status: 'failed' }))).toBeUndefined();
    expect(throughputOf(undefined)).toBeUndefined();
  });
});

describe('FleetView', () => {
  it('without a database: the problem, and the exact commands to start an agent and queue a job', async () => {
    const w = await mountView();
    expect(w.find('.fleet-problem').text()).toMatch(/^The fleet needs a results database\.$/);
    expect(w.find('[data-testid="agent-command"]').text()).toBe(
      `npm run agent -- --db ${URL_PLACEHOLDER} --name NAME --tags cuda`,
    );
    expect(w.find('[data-testid="enqueue-command"]').text()).toBe(
      `npm run cli -- bench resnet50 --on NAME --db ${URL_PLACEHOLDER}`,
    );
    expect(w.find('.agents-table').exists()).toBe(false);
    w.unmount();
  });

  it("with a database and no agent yet: the commands carry the database's URL (without its password)", async () => {
    api.handlers['results.source'] = { kind: 'postgres', location: 'postgres://bench@db.lab:5432/results' };
    api.handlers['fleet.list'] = { agents: [], queues: [], checkedAt: '2025-06-20T10:00:00.000Z' };
    const w = await mountView();
    expect(w.text()).toContain('No agent has registered in this database yet.');
    expect(w.find('[data-testid="agent-command"]').text()).toBe(
      'npm run agent -- --db postgres://bench@db.lab:5432/results --name NAME --tags cuda',
    );
    w.unmount();
  });

  it('lists the agents with their state, last heartbeat (counting on) and job, and the queue depth', async () => {
    api.handlers['fleet.list'] = withAgents;
    const w = await mountView();
    const rows = w.findAll('.agent-row');
    expect(rows.map((r) => r.attributes('data-agent'))).toEqual(['gpu-box', 'laptop', 'old-box']);
    const cells = (i: number) => rows[i].findAll('td').map((c) => c.text());
    expect(rows[0].find('th').text()).toBe('gpu-box');
    expect(rows[0].findAll('.badge').map((b) => b.text())).toEqual(['cuda', 'lab']);
    expect(cells(0).slice(1)).toEqual([
      'EPYC 7763',
      'lab-3',
      '12 s ago',
      'busy',
      'resnet50/keras on ort-cuda, batch 1',
    ]);
    expect(cells(1)).toEqual(['–', '–', 'anna-x1', '3 s ago', 'idle', '–']);
    expect(cells(2)[3]).toBe('67 min ago');
    expect(rows[2].find('.agent-state').classes()).toContain('agent-state--stale');
    expect(rows[2].find('.agent-state').text()).toBe('stale (no heartbeat)');
    expect(w.find('.fleet-agents__head [role="status"]').text()).toMatch(
      /3 agents: 1 busy,\s+1 idle, 1 stale · 5\s+queued, 1 running/,
    );
    expect(w.findAll('.fleet-queues tbody tr').map((r) => r.findAll('th, td').map((c) => c.text()))).toEqual([
      ['agent.gpu-box', '3', '1'],
      ['tag.cuda', '2', '0'],
    ]);
    // Ages count on from when main read the list.
    const fleet = useFleetStore();
    fleet.now = fleet.receivedAt + 5000;
    await flushPromises();
    expect(w.findAll('.agent-row')[0].findAll('td')[3].text()).toBe('17 s ago');
    w.unmount();
  });

  it('reads the list again every few seconds while shown, and stops when it is not', async () => {
    vi.useFakeTimers();
    const w = mount(FleetView);
    await vi.advanceTimersByTimeAsync(0);
    const first = api.callsOf('fleet.list').length;
    expect(first).toBe(1);
    await vi.advanceTimersByTimeAsync(10_100);
    expect(api.callsOf('fleet.list').length).toBe(3);
    w.unmount();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(api.callsOf('fleet.list').length).toBe(3);
  });

  it('compares the same configuration across machines with GFLOP/s and roofline, and links each machine history', async () => {
    const w = await mountView();
    await flushPromises();
    const row = w.find('.across-row');
    expect(row.find('th').text()).toBe('bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread');
    const [lap, ws] = row.findAll('td');
    expect(lap.attributes('data-machine')).toBe('Core i7-1185G7');
    expect(lap.text()).toMatch(/2\.\d\d ms\s*×\d\.\d\d/);
    expect(lap.text()).toMatch(/GFLOP\/s\s*· no roofline/);
    expect(ws.text()).toMatch(/1\.\d\d ms\s*fastest/);
    expect(ws.find('.across__roof').text()).toMatch(/^· \d+% of\s+roofline$/);
    expect(
      api
        .callsOf('results.get')
        .flatMap((r) => r.ids)
        .sort(),
    ).toEqual(['laptop-01', 'step-13']);

    await w.find('button[aria-label="History of Core i7-1185G7"]').trigger('click');
    await flushPromises();
    expect(useSettingsStore().view).toBe('history');
    const h = useHistoryStore();
    expect(h.visible.map((s) => s.description.machine)).toEqual(['Core i7-1185G7']);
    w.unmount();
  });
});
