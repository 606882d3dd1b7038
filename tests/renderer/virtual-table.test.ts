// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import VirtualTable from '../../renderer/src/components/VirtualTable.vue';
import type { VirtualColumn } from '../../renderer/src/components/table.js';

interface Row {
  i: number;
  name: string;
  macs: number;
}
const rows: Row[] = Array.from({ length: 10_000 }, (_, i) => ({ i, name: `layer${i}`, macs: (i * 7919) % 10_007 }));
const columns: VirtualColumn<Row>[] = [
  { key: 'i', label: '#', value: (r) => r.i, numeric: true },
  { key: 'name', label: 'name', value: (r) => r.name },
  { key: 'macs', label: 'MACs', value: (r) => r.macs, numeric: true, format: (r) => `${r.macs} M` },
];

function mountTable(extra: Record<string, unknown> = {}) {
  return mount(VirtualTable<Row>, {
    props: { columns, rows, rowKey: (r: Row) => r.i, rowHeight: 20, height: 400, overscan: 5, ...extra },
  });
}
const bodyRows = (w: ReturnType<typeof mountTable>) => w.findAll('tr.vtable__row');

describe('VirtualTable', () => {
  it('renders only the rows in view out of 10,000, with spacers for the rest', () => {
    const w = mountTable();
    const r = bodyRows(w);
    expect(r.length).toBeLessThanOrEqual(400 / 20 + 5 + 1);
    expect(r.length).toBeGreaterThanOrEqual(400 / 20);
    expect(r[0].find('td').text()).toBe('0');
    const spacer = w.findAll('tr.vtable__spacer');
    expect(spacer).toHaveLength(1); // only the bottom one at the top of the list
    expect((spacer[0].element as HTMLElement).style.height).toBe(`${(10_000 - r.length) * 20}px`);
    expect(w.find('table').attributes('aria-rowcount')).toBe('10001');
  });

  it('follows the scroll offset', async () => {
    const w = mountTable();
    const viewport = w.find('.vtable').element as HTMLElement;
    viewport.scrollTop = 5000 * 20;
    await w.find('.vtable').trigger('scroll');
    const r = bodyRows(w);
    const first = Number(r[0].find('td').text());
    expect(first).toBe(5000 - 5);
    expect(r.length).toBeLessThanOrEqual(400 / 20 + 11);
    expect(r.map((x) => Number(x.find('td').text()))).toContain(5010);
    expect(r[0].attributes('aria-rowindex')).toBe(String(first + 2));
  });

  it('sorts by any column from its header button, numbers descending first', async () => {
    const w = mountTable();
    const macsHeader = w.findAll('th')[2];
    await macsHeader.find('button').trigger('click');
    expect(macsHeader.attributes('aria-sort')).toBe('descending');
    const max = Math.max(...rows.map((r) => r.macs));
    expect(bodyRows(w)[0].findAll('td')[2].text()).toBe(`${max} M`);
    await macsHeader.find('button').trigger('click');
    expect(macsHeader.attributes('aria-sort')).toBe('ascending');
    expect(bodyRows(w)[0].findAll('td')[2].text()).toBe('0 M');
    await macsHeader.find('button').trigger('click');
    expect(macsHeader.attributes('aria-sort')).toBe('none');
    expect(bodyRows(w)[0].find('td').text()).toBe('0');
    const nameHeader = w.findAll('th')[1];
    await nameHeader.find('button').trigger('click');
    expect(nameHeader.attributes('aria-sort')).toBe('ascending');
    expect(bodyRows(w)[0].findAll('td')[1].text()).toBe('layer0');
    await nameHeader.find('button').trigger('click');
    expect(bodyRows(w)[0].findAll('td')[1].text()).toBe('layer9999'); // numeric-aware order
  });

  it('applies row classes, marks the selected row and emits select', async () => {
    const w = mountTable({ rowClass: (r: Row) => ({ odd: r.i % 2 === 1 }), selectedKey: 2 });
    const r = bodyRows(w);
    expect(r[1].classes()).toContain('odd');
    expect(r[2].classes()).toContain('vtable__row--selected');
    expect(r[2].attributes('aria-selected')).toBe('true');
    await r[3].trigger('click');
    expect(w.emitted('select')![0][0]).toEqual(rows[3]);
  });

  it('shows an empty state and clamps the offset when rows shrink', async () => {
    const w = mountTable();
    const viewport = w.find('.vtable').element as HTMLElement;
    viewport.scrollTop = 9000 * 20;
    await w.find('.vtable').trigger('scroll');
    await w.setProps({ rows: rows.slice(0, 10) });
    expect(bodyRows(w)).toHaveLength(10);
    await w.setProps({ rows: [] });
    expect(w.find('.vtable__empty').text()).toBe('No rows.');
  });
});
