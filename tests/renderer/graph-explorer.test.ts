// @vitest-environment happy-dom
// The graph explorer component (renderer/src/components/explorer/GraphExplorer.vue) and its
// layout engine: ResNet-50 opens as its blocks coloured by an overlay, groups open and close,
// search finds and steps through nodes, selection is emitted, an empty overlay says what to run.
import { describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { nextTick } from 'vue';
import GraphExplorer from '../../renderer/src/components/explorer/GraphExplorer.vue';
import { ExplorerLayoutEngine } from '../../renderer/src/components/explorer/layout.js';
import { scalePosition } from '../../renderer/src/components/explorer/overlay-colors.js';
import { toGraphView } from '../../renderer/src/components/graph.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildHierarchy, costsOf, defaultExpansion, expand, expandAll } from '../../shared/explorer/hierarchy.js';
import type { Overlay } from '../../shared/explorer/overlay-types.js';
import { percent } from '../../shared/format.js';
import { buildTarget } from '../../shared/targets.js';

const g = buildTarget({ target: 'resnet50' });
const graph = toGraphView(g);
const report = costGraph(g);
const costs = costsOf(report.layers);

/** A tiny overlay: each node's share of the MACs, a group's the sum of its nodes'. */
function macsShare(extra: Partial<Overlay> = {}): Overlay {
  const total = report.totals.macs;
  const values = new Map(report.layers.map((l) => [l.name, l.macs / total]));
  return {
    kind: 'macs',
    name: 'MACs',
    legend: { title: 'share of MACs', unit: '%', minLabel: '0%', maxLabel: '10%', note: 'analytic' },
    scale: { kind: 'sequential', min: 0, max: 0.1 },
    values,
    groupValue: (members) => members.reduce((s, m) => s + (values.get(m) ?? 0), 0),
    format: (v) => percent(v),
    ...extra,
  };
}

const mountExplorer = (props: Record<string, unknown> = {}) =>
  mount(GraphExplorer, { props: { graph, costs, overlay: macsShare(), label: 'ResNet-50', ...props } });
/** Only what is in view is rendered: the whole graph in view, so every box is in the DOM. */
async function wholeGraph(w: ReturnType<typeof mountExplorer>): Promise<void> {
  (w.vm as unknown as { fitAll(): void }).fitAll();
  await nextTick();
}
const ids = (w: ReturnType<typeof mountExplorer>, sel: string) => w.findAll(sel).map((e) => e.attributes('data-id'));

describe('GraphExplorer', () => {
  it('opens ResNet-50 as its blocks, each with its node count, MACs and share, coloured by the overlay', async () => {
    const w = mountExplorer();
    // At first the top of the graph at a readable size: not every box is rendered.
    expect(ids(w, '.gx-box')).not.toContain('g:head');
    await wholeGraph(w);
    const boxes = ids(w, '.gx-box');
    expect(boxes).toContain('g:layer2.0');
    expect(boxes).toContain('g:head');
    expect(ids(w, '.gx-frame')).toContain('g:layer1.*');
    const block = w.find('.gx-box[data-id="g:layer3.1"]');
    const h = buildHierarchy(graph, costs);
    const grp = h.groups.get('g:layer3.1')!;
    expect(block.text()).toContain('layer3.1');
    expect(block.text()).toContain(`${grp.nodeCount} nodes`);
    expect(block.text()).toContain(percent(grp.macs / report.totals.macs));
    // Coloured: the fill comes from the overlay's scale, the group's value its nodes' sum.
    expect(block.find('rect.gx-box__bg').attributes('fill')).toMatch(/^rgb\(/);
    expect(w.find('.gx-legend').text()).toContain('share of MACs');
    expect(w.find('.gx-legend').text()).toContain('10%');
    expect(w.find('.gx-legend__bar').attributes('style')).toContain('linear-gradient');
    w.unmount();
  });

  it('a group’s toggle opens it into a frame around its layers; Collapse all and Expand all', async () => {
    const w = mountExplorer();
    await wholeGraph(w);
    await w.find('[aria-label="Expand layer2.0"]').trigger('click');
    await wholeGraph(w);
    expect(ids(w, '.gx-frame')).toContain('g:layer2.0');
    const inside = ids(w, '.gx-box');
    expect(inside).toContain('g:layer2.0/conv2#layer');
    expect(inside).toContain('n:layer2.0/add');
    expect(inside).not.toContain('g:layer2.0');
    // The frame's own toggle closes it again.
    await w.find('[aria-label="Collapse layer2.0"]').trigger('click');
    expect(ids(w, '.gx-box')).toContain('g:layer2.0');

    await w.find('button[aria-label="Collapse all groups"]').trigger('click');
    await wholeGraph(w);
    expect(w.findAll('.gx-frame')).toHaveLength(0);
    expect(ids(w, '.gx-box').sort()).toEqual(
      [
        'in:input',
        'g:conv1#layer',
        'n:maxpool',
        'g:layer1.*',
        'g:layer2.*',
        'g:layer3.*',
        'g:layer4.*',
        'g:head',
        'out:head/softmax',
      ].sort(),
    );
    await w.find('button[aria-label="Expand all groups"]').trigger('click');
    expect(w.findAll('.gx-box--group')).toHaveLength(0);
    // Everything open: nodes are drawn (those in view; the rest are culled).
    expect(w.findAll('.gx-box').length).toBeGreaterThan(0);
    w.unmount();
  });

  it('keyboard: boxes are focusable buttons; Enter selects, + opens a group', async () => {
    const w = mountExplorer();
    const box = w.find('.gx-box[data-id="g:layer1.1"] [role="button"]');
    expect(box.attributes('tabindex')).toBe('0');
    expect(box.attributes('aria-label')).toMatch(/^block layer1\.1, 10 nodes, .* MACs/);
    await box.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('select')?.[0]?.[0]).toMatchObject({ kind: 'group', id: 'g:layer1.1', label: 'layer1.1' });
    expect(w.find('.gx-box[data-id="g:layer1.1"]').classes()).toContain('gx-box--selected');
    expect(w.find('.gx-details').text()).toContain('layer1.1');
    await box.trigger('keydown', { key: '+' });
    expect(ids(w, '.gx-frame')).toContain('g:layer1.1');
    // A node: Enter emits its name.
    const node = w.find('.gx-box[data-id="n:layer1.1/add"] [role="button"]');
    await node.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('select')?.at(-1)?.[0]).toEqual({ kind: 'node', name: 'layer1.1/add' });
    w.unmount();
  });

  it('search: matches outlined, their groups opened, Enter steps through them', async () => {
    vi.useFakeTimers();
    try {
      const w = mountExplorer();
      await w.find('input.gx-search').setValue('shortcut');
      vi.advanceTimersByTime(250);
      await nextTick();
      const matches = ids(w, '.gx-box--match');
      expect(matches).toContain('n:layer1.0/shortcut');
      expect(matches).toContain('n:layer1.0/shortcut.bn');
      expect(w.find('.gx-search-status').text()).toBe('8 matches');
      await w.find('input.gx-search').trigger('keydown', { key: 'Enter' });
      expect(w.find('.gx-search-status').text()).toBe('1 of 8');
      await w.find('input.gx-search').trigger('keydown', { key: 'Enter', shiftKey: true });
      expect(w.find('.gx-search-status').text()).toBe('8 of 8');
      // An operator, with too many matches to open: a count on each closed group instead.
      await w.find('input.gx-search').setValue('conv');
      vi.advanceTimersByTime(250);
      await nextTick();
      expect(w.find('.gx-search-status').text()).toMatch(/^\d+ matches: Enter steps through them$/);
      w.unmount();
    } finally {
      vi.useRealTimers();
    }
  });

  it('the table’s selection (a node name) opens the groups around it and marks it', async () => {
    const w = mountExplorer();
    await w.setProps({ selected: 'layer4.2/conv3.bn' });
    expect(ids(w, '.gx-frame')).toEqual(expect.arrayContaining(['g:layer4.2', 'g:layer4.2/conv3#layer']));
    expect(w.find('.gx-box[data-id="n:layer4.2/conv3.bn"]').classes()).toContain('gx-box--selected');
    w.unmount();
  });

  it('an empty overlay shows what to run instead of colours; a diverging one its middle', async () => {
    const w = mountExplorer({ overlay: macsShare({ empty: 'Run bench --profile to measure time per node.' }) });
    expect(w.find('.gx-legend--empty').text()).toContain('Run bench --profile');
    expect(w.findAll('.gx-box rect[fill]')).toHaveLength(0);
    await w.setProps({
      overlay: macsShare({
        scale: { kind: 'diverging', min: -0.05, mid: 0, max: 0.05 },
        legend: { title: 'delta', unit: '%', minLabel: '−5%', midLabel: '0', maxLabel: '+5%' },
      }),
    });
    expect(w.find('.gx-legend').text()).toContain('middle: 0');
    expect(w.findAll('.gx-box rect[fill]').length).toBeGreaterThan(0);
    w.unmount();
  });

  it('category badges: an overlay with categories labels its nodes', async () => {
    const w = mountExplorer({
      overlay: macsShare({
        categories: new Map([['head/predictions', 'memory']]),
        legend: {
          title: 'roofline',
          unit: '',
          minLabel: '',
          maxLabel: '',
          categories: [{ key: 'memory', label: 'memory-bound' }],
        },
      }),
    });
    await wholeGraph(w);
    await w.find('[aria-label="Expand head"]').trigger('click');
    await wholeGraph(w);
    expect(w.find('.gx-box[data-id="n:head/predictions"] .gx-badge').text()).toBe('memory-bound');
    expect(w.find('.gx-legend').text()).toContain('memory-bound');
    w.unmount();
  });
});

describe('the explorer layout', () => {
  const h = buildHierarchy(graph, costs);

  it('boxes of one container never overlap, and children lie inside their frame', () => {
    const l = new ExplorerLayoutEngine(h).layout(expand(defaultExpansion(h), 'g:layer2.0'));
    const byParent = new Map<string, typeof l.order>();
    for (const b of l.order) (byParent.get(b.parent) ?? byParent.set(b.parent, []).get(b.parent)!).push(b);
    for (const boxes of byParent.values())
      for (const a of boxes)
        for (const b of boxes)
          if (a !== b) expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
    const frame = l.boxes.get('g:layer2.0')!;
    for (const b of l.order.filter((x) => x.parent === 'g:layer2.0')) {
      expect(b.x).toBeGreaterThanOrEqual(frame.x);
      expect(b.y).toBeGreaterThan(frame.y);
      expect(b.x + b.w).toBeLessThanOrEqual(frame.x + frame.w);
      expect(b.y + b.h).toBeLessThanOrEqual(frame.y + frame.h);
    }
    // Every edge starts at its source's bottom and ends at its target's top.
    for (const e of l.edges.filter((x) => !x.arc)) {
      const s = l.boxes.get(e.from)!;
      const t = l.boxes.get(e.to)!;
      expect(e.points[0].y).toBeCloseTo(s.y + s.h);
      expect(e.points.at(-1)!.y).toBeCloseTo(t.y);
    }
  });

  it('identical blocks share one layout, and a state seen before is not laid out again', () => {
    const engine = new ExplorerLayoutEngine(h);
    engine.layout(expandAll(h));
    const runs = engine.dagreRuns;
    // ResNet-50's 16 blocks are of two shapes (with and without a projection shortcut) and its
    // layers are chains: far fewer dagre layouts than open groups.
    expect(runs).toBeLessThan(12);
    engine.layout(defaultExpansion(h));
    const afterDefault = engine.dagreRuns;
    engine.layout(expandAll(h));
    engine.layout(defaultExpansion(h));
    expect(engine.dagreRuns).toBe(afterDefault);
  });

  it('a diverging scale puts the midpoint at 0 and clamps past the ends', () => {
    const s = { kind: 'diverging' as const, min: -2, mid: 0, max: 4 };
    expect(scalePosition(s, 0)).toBe(0);
    expect(scalePosition(s, 2)).toBe(0.5);
    expect(scalePosition(s, -1)).toBe(-0.5);
    expect(scalePosition(s, 10)).toBe(1);
    expect(scalePosition({ kind: 'sequential', min: 1, max: 1000, log: true }, 10)).toBeCloseTo(1 / 3);
  });
});
