// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import CostTable from '../../renderer/src/components/CostTable.vue';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildTarget } from '../../shared/targets.js';

const report = costGraph(buildTarget({ target: 'bottleneck' }));
const graphOrder = report.layers.map((l) => l.name);

function mountTable() {
  return mount(CostTable, { props: { cost: report, caption: 'bottleneck costs' }, attachTo: document.body });
}
type W = ReturnType<typeof mountTable>;
const names = (w: W) => w.findAll('tbody tr th').map((th) => th.text());
const label = (th: ReturnType<W['find']>) => th.find('button').text().replace(/[▲▼]$/, '');
const header = (w: W, text: string) => w.findAll('thead th').find((th) => label(th) === text)!;

describe('CostTable sorting', () => {
  it('starts in graph order, every header a keyboard-reachable sort button with aria-sort', () => {
    const w = mountTable();
    expect(names(w)).toEqual(graphOrder);
    const ths = w.findAll('thead th');
    expect(ths.map(label)).toEqual([
      'name',
      'op',
      'output shape',
      'params',
      'MACs',
      'FLOPs',
      'activation bytes',
      'intensity',
    ]);
    for (const th of ths) {
      expect(th.attributes('aria-sort')).toBe('none');
      // A native button: focusable, Enter and Space press it.
      expect(th.find('button').attributes('type')).toBe('button');
    }
    expect(w.find('caption').text()).toBe('bottleneck costs (graph order)');
    w.unmount();
  });

  it('a numeric column sorts largest first, then smallest first, then back to graph order', async () => {
    const w = mountTable();
    const macsOf = new Map(report.layers.map((l) => [l.name, l.macs]));
    const byMacs = [...report.layers]
      .map((l, i) => ({ l, i }))
      .sort((a, b) => b.l.macs - a.l.macs || a.i - b.i)
      .map((x) => x.l.name);
    await header(w, 'MACs').find('button').trigger('click');
    expect(header(w, 'MACs').attributes('aria-sort')).toBe('descending');
    expect(header(w, 'params').attributes('aria-sort')).toBe('none');
    expect(names(w)).toEqual(byMacs);
    expect(header(w, 'MACs').find('button').text()).toBe('MACs▼');
    expect(names(w)).not.toEqual(graphOrder);
    const shown = names(w).map((n) => macsOf.get(n)!);
    expect(shown).toEqual([...shown].sort((a, b) => b - a));
    expect(w.find('caption').text()).toBe('bottleneck costs (sorted by MACs, descending)');

    await header(w, 'MACs').find('button').trigger('click');
    expect(header(w, 'MACs').attributes('aria-sort')).toBe('ascending');
    const asc = names(w).map((n) => macsOf.get(n)!);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));

    await header(w, 'MACs').find('button').trigger('click');
    expect(header(w, 'MACs').attributes('aria-sort')).toBe('none');
    expect(names(w)).toEqual(graphOrder);
    // The totals stay at the foot whatever the order.
    expect(w.find('tfoot tr').text()).toContain(`${report.totals.nodes} nodes`);
    w.unmount();
  });

  it('a text column sorts A to Z first', async () => {
    const w = mountTable();
    await header(w, 'name').find('button').trigger('click');
    expect(header(w, 'name').attributes('aria-sort')).toBe('ascending');
    expect(names(w)).toEqual([...graphOrder].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await header(w, 'name').find('button').trigger('click');
    expect(header(w, 'name').attributes('aria-sort')).toBe('descending');
    expect(names(w)[0]).toBe([...graphOrder].sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0]);
    w.unmount();
  });

  it('a stale table is dimmed and says so to assistive technology', () => {
    const w = mount(CostTable, { props: { cost: report, caption: 'c', stale: 'mid must be at least 1, got 0' } });
    expect(w.find('.cost-table').classes()).toContain('is-stale');
    expect(w.find('[role="region"]').attributes('aria-label')).toBe('c (stale: the last valid configuration)');
  });
});
