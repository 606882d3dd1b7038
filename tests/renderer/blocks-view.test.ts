// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import BlocksView from '../../renderer/src/views/BlocksView.vue';
import { setApi } from '../../renderer/src/api/index.js';
import { useBenchStore } from '../../renderer/src/stores/bench.js';
import { useCatalogStore } from '../../renderer/src/stores/catalog.js';
import { useHardwareStore } from '../../renderer/src/stores/hardware.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { bytes } from '../../shared/format.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { SEED_COMPARISONS } from '../../shared/cost/seed-comparisons.js';
import { explain } from '../../renderer/src/components/seed-explain.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildTarget } from '../../shared/targets.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';

let api: FakeApi;
beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi();
  setApi(api);
});
afterEach(() => setApi(undefined));

function mountView() {
  return mount(BlocksView, { attachTo: document.body });
}

async function pick(w: ReturnType<typeof mountView>, name: string) {
  const btn = w.findAll('.pick-list__item').find((b) => b.find('.pick-list__sub').text() === name)!;
  await btn.trigger('click');
}

describe('BlocksView', () => {
  it('lists the whole catalog and shows the selected block with its form, graph and costs', async () => {
    const w = mountView();
    expect(w.findAll('.pick-list__item')).toHaveLength(BLOCKS.length);
    await pick(w, 'bottleneck');
    expect(w.find('#block-title').text()).toBe('ResNet bottleneck');
    expect(w.find('.pick-list__item--active').attributes('aria-current')).toBe('true');
    // One control per ParamSpec.
    for (const p of BLOCKS.find((b) => b.name === 'bottleneck')!.params)
      expect(w.find(`#block-bottleneck-${p.name}`).exists()).toBe(true);
    // Per-layer table with totals equal to the cost model's.
    const report = costGraph(buildTarget({ target: 'bottleneck' }));
    const rows = w.findAll('.cost-table tbody tr');
    expect(rows).toHaveLength(report.layers.length);
    expect(rows[0].find('th').text()).toBe(report.layers[0].name);
    const foot = w.find('.cost-table tfoot tr');
    expect(foot.text()).toContain(`${report.totals.nodes} nodes`);
    expect(foot.findAll('td')[3].attributes('title')).toBe(report.totals.macs.toLocaleString('en-US'));
    // The explorer starts at a readable 100% with the block's layers closed (conv1 with its .bn and
    // .relu); Expand all and "Whole graph" show one box per graph node.
    expect(w.find('.gx-zoom').text()).toBe('100%');
    expect(w.findAll('.graph-explorer .gx-box--group').length).toBeGreaterThan(0);
    await w.find('button[aria-label="Expand all groups"]').trigger('click');
    await w.find('button[aria-label="The whole graph in view"]').trigger('click');
    expect(w.findAll('.graph-explorer .gx-box--group')).toHaveLength(0);
    const nodeBoxes = w.findAll('.graph-explorer .gx-box').filter((b) => !b.attributes('data-id')?.startsWith('input'));
    expect(nodeBoxes.length).toBeGreaterThanOrEqual(report.totals.nodes);
    w.unmount();
  });

  it('recomputes as a parameter changes and shows validation errors inline', async () => {
    const w = mountView();
    await pick(w, 'bottleneck');
    const macsBefore = w.find('.cost-table tfoot tr').findAll('td')[3].attributes('title');
    await w.find('#block-bottleneck-mid').setValue('32');
    const macsAfter = w.find('.cost-table tfoot tr').findAll('td')[3].attributes('title');
    expect(macsAfter).not.toBe(macsBefore);
    expect(macsAfter).toBe(costGraph(buildTarget({ target: 'bottleneck:mid=32' })).totals.macs.toLocaleString('en-US'));

    await w.find('#block-bottleneck-mid').setValue('0');
    expect(w.find('#block-bottleneck-mid-error').text()).toBe('must be at least 1, got 0');
    expect(w.find('#block-bottleneck-mid').attributes('aria-invalid')).toBe('true');
    const bench = w.findAll('button').find((b) => b.text() === 'Benchmark this block')!;
    expect(bench.attributes('disabled')).toBeDefined();
    w.unmount();
  });

  it('keeps the last valid graph and cost table shown, marked stale and dimmed, while a field is wrong', async () => {
    const w = mountView();
    await pick(w, 'bottleneck');
    const macsTitle = () => w.find('.cost-table tfoot tr').findAll('td')[3].attributes('title');
    const mid32 = costGraph(buildTarget({ target: 'bottleneck:mid=32' }));
    await w.find('#block-bottleneck-mid').setValue('32');
    expect(w.find('.stale-note').exists()).toBe(false);
    expect(w.find('.is-stale').exists()).toBe(false);

    // Invalid: the mid=32 graph and table stay, dimmed, with the mark naming the field and the fault.
    await w.find('#block-bottleneck-mid').setValue('0');
    expect(w.find('.stale-note').text()).toBe(
      'stale showing the last valid configuration: mid must be at least 1, got 0',
    );
    expect(w.find('.stale-area').classes()).toContain('is-stale');
    expect(w.find('.stale-area .graph-explorer').exists()).toBe(true);
    expect(w.find('.cost-table').classes()).toContain('is-stale');
    expect(w.find('.cost-table [role="region"]').attributes('aria-label')).toContain('stale');
    expect(macsTitle()).toBe(mid32.totals.macs.toLocaleString('en-US'));
    expect(w.findAll('.cost-table tbody tr')).toHaveLength(mid32.layers.length);
    // Two wrong fields: both named.
    await w.find('#block-bottleneck-out').setValue('x');
    expect(w.find('.stale-note').text()).toContain("mid must be at least 1, got 0; out must be a number, got 'x'");
    expect(macsTitle()).toBe(mid32.totals.macs.toLocaleString('en-US'));

    // Valid again: the mark and the dimming go, the figures are the form's.
    await w.find('#block-bottleneck-out').setValue('256');
    await w.find('#block-bottleneck-mid').setValue('16');
    expect(w.find('.stale-note').exists()).toBe(false);
    expect(w.find('.is-stale').exists()).toBe(false);
    expect(macsTitle()).toBe(
      costGraph(buildTarget({ target: 'bottleneck:mid=16' })).totals.macs.toLocaleString('en-US'),
    );

    // A combination resolveParams accepts but the block refuses: the message beside the field it
    // names, the last valid configuration (mid=16) shown stale, no crash.
    await w.find('#block-bottleneck-out').setValue('128');
    const last = costGraph(buildTarget({ target: 'bottleneck:mid=16,out=128' }));
    await w.find('#block-bottleneck-projection').setValue('never');
    expect(w.find('#block-bottleneck-projection-error').text()).toContain("'never' needs stride 1");
    expect(w.find('#block-bottleneck-projection').attributes('aria-invalid')).toBe('true');
    expect(w.find('.stale-note').text()).toContain('showing the last valid configuration: projection');
    expect(macsTitle()).toBe(last.totals.macs.toLocaleString('en-US'));
    expect(
      w
        .findAll('button')
        .find((b) => b.text() === 'Benchmark this block')!
        .attributes('disabled'),
    ).toBeDefined();
    w.unmount();
  });

  it('disables pad under padding=same (saying why) and never sends or validates it there', async () => {
    const w = mountView();
    await pick(w, 'conv');
    const pad = () => w.find('#block-conv-pad');
    expect(pad().attributes('disabled')).toBeDefined();
    expect(pad().attributes('title')).toBe('padding=same computes the padding');
    expect(w.find('#block-conv-pad-hint').text()).toContain('padding=same computes the padding');
    await w.find('#block-conv-padding').setValue('explicit');
    expect(pad().attributes('disabled')).toBeUndefined();
    expect(pad().attributes('title')).toBeUndefined();
    await pad().setValue('2');
    expect(useCatalogStore().target).toEqual({ kind: 'block', name: 'conv', params: { padding: 'explicit', pad: 2 } });
    await pad().setValue('-1');
    expect(w.find('#block-conv-pad-error').text()).toBe('must be at least 0, got -1');
    // padding=valid: pad has no effect, so its bad value neither errors nor goes into the target.
    await w.find('#block-conv-padding').setValue('valid');
    expect(pad().attributes('disabled')).toBeDefined();
    expect(pad().attributes('title')).toBe('padding=valid adds no padding');
    expect(w.find('#block-conv-pad-error').exists()).toBe(false);
    expect(w.find('.stale-note').exists()).toBe(false);
    expect(useCatalogStore().target).toEqual({ kind: 'block', name: 'conv', params: { padding: 'valid' } });
    w.unmount();
  });

  it('warns when a big batch needs more memory than the machine has, and notes it above half', async () => {
    const GiB = 2 ** 30;
    let total = 23.5 * GiB;
    api.handlers['machine.profile'] = () => ({ memory: { totalBytes: total } }) as unknown as MachineProfile;
    api.handlers['machine.backends'] = [];
    const w = mountView();
    await flushPromises();
    await pick(w, 'bottleneck');
    expect(w.find('[data-testid="memory-note"]').exists()).toBe(false);
    await w.find('#block-bottleneck-batch').setValue('4096');
    const big = costGraph(buildTarget({ target: 'bottleneck:batch=4096' })).totals;
    const estimate = big.weightBytes + big.peakActivationBytes;
    expect(estimate).toBeGreaterThan(total);
    const note = w.find('[data-testid="memory-note"]');
    expect(note.classes()).toContain('notice--warn');
    expect(note.text()).toContain(`About ${bytes(estimate)}`);
    expect(note.text()).toContain(`peak activations ${bytes(big.peakActivationBytes)} at batch 4096`);
    expect(note.text()).toContain("exceeds this machine's 23.50 GiB of memory: the run would likely fail or swap");

    // A machine with 1.5x the estimate: a softer note with the share.
    total = estimate * 1.5;
    useHardwareStore().profile = { memory: { totalBytes: total } } as unknown as MachineProfile;
    await w.vm.$nextTick();
    const soft = w.find('[data-testid="memory-note"]');
    expect(soft.classes()).not.toContain('notice--warn');
    expect(soft.text()).toContain(`is 66.7% of this machine's ${bytes(total)} of memory`);
    await w.find('#block-bottleneck-batch').setValue('1');
    expect(w.find('[data-testid="memory-note"]').exists()).toBe(false);
    w.unmount();
  });

  it('"Benchmark this block" adds the target (non-default parameters) to the bench store and switches view', async () => {
    const w = mountView();
    await pick(w, 'bottleneck');
    await w.find('#block-bottleneck-mid').setValue('32');
    await w
      .findAll('button')
      .find((b) => b.text() === 'Benchmark this block')!
      .trigger('click');
    await flushPromises();
    expect(useBenchStore().targets).toEqual([{ kind: 'block', name: 'bottleneck', params: { mid: 32 } }]);
    expect(useSettingsStore().view).toBe('benchmark');
    expect(api.callsOf('settings.set')).toContainEqual({ lastView: 'benchmark' });
    // The form keeps its values per block.
    expect(useCatalogStore().values.mid).toBe('32');
    w.unmount();
  });

  it('shows every seed comparison as a card with live numbers, the ratio and one explaining sentence', async () => {
    const w = mountView();
    const cards = w.findAll('article.seed-card');
    expect(cards).toHaveLength(SEED_COMPARISONS.length);
    for (const card of cards) {
      expect(card.findAll('.seed-card__side')).toHaveLength(2);
      expect(card.find('.seed-card__ratio').text()).toMatch(/MACs ratio \d/);
      const why = card.find('.seed-card__why').text();
      expect(why).toMatch(/fewer multiply-adds/);
      expect(why.split('. ').length).toBe(1); // one sentence
    }
    const bottleneck = cards[SEED_COMPARISONS.findIndex((c) => c.name === 'basic-vs-bottleneck')];
    expect(bottleneck.find('.seed-card__why').text()).toContain('reduce 256 channels to 64 before the 3x3');
    const reduce = cards[SEED_COMPARISONS.findIndex((c) => c.name === 'reduce-then-conv')];
    expect(reduce.find('.seed-card__ratio').text()).toBe('MACs ratio 3.76x');
    expect(reduce.find('.seed-card__side--cheap code').text()).toBe('reduce-then-conv:mode=reduced');

    await reduce.find('.seed-card__actions button').trigger('click');
    await flushPromises();
    const added = useBenchStore().targets;
    expect(added).toHaveLength(2);
    expect(added.every((t) => t.kind === 'block' && t.name === 'reduce-then-conv')).toBe(true);
    expect(JSON.stringify(added[0])).not.toBe(JSON.stringify(added[1]));
    w.unmount();
  });

  it('writes a sentence for every seed comparison from its numbers', () => {
    for (const c of SEED_COMPARISONS) {
      const [a, b] = c.targets.map((target) => ({ target, report: costGraph(buildTarget({ target })) }));
      const s = explain(c.name, a, b);
      expect(s, c.name).toMatch(/^[A-Z].*\d.*\.$/);
      expect(s, c.name).not.toContain('undefined');
      expect(s, c.name).not.toContain('?');
    }
  });
});
