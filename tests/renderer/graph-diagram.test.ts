// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import GraphDiagram from '../../renderer/src/components/GraphDiagram.vue';
import { layoutGraph, sequentialColor, textOn, toGraphView } from '../../renderer/src/components/graph.js';
import { buildTarget } from '../../shared/targets.js';
import type { GraphView } from '../../shared/contract/api.js';

const diamond: GraphView = {
  inputs: ['x'],
  outputs: ['out'],
  nodes: [
    { name: 'a', op: 'Conv', inputs: ['x', 'w'], outputs: ['ya'] },
    { name: 'b', op: 'Relu', inputs: ['ya'], outputs: ['yb'] },
    { name: 'c', op: 'Conv', inputs: ['ya'], outputs: ['yc'] },
    { name: 'd', op: 'Add', inputs: ['yb', 'yc'], outputs: ['out'] },
  ],
};

describe('layoutGraph', () => {
  it('puts each node one layer below its deepest producer, siblings side by side', () => {
    const l = layoutGraph(diamond);
    const at = (id: string) => l.nodes.find((n) => n.id === id)!;
    expect(at('input:x').layer).toBe(0);
    expect(at('a').layer).toBe(1);
    expect(at('b').layer).toBe(2);
    expect(at('c').layer).toBe(2);
    expect(at('d').layer).toBe(3);
    expect(at('b').y).toBe(at('c').y);
    expect(at('b').x).not.toBe(at('c').x);
    expect(at('d').y).toBeGreaterThan(at('b').y);
    // Edges between activations only (the weight 'w' has no producer).
    expect(l.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['a>b', 'a>c', 'b>d', 'c>d', 'input:x>a']);
    expect(l.layers).toBe(4);
  });

  it('maps the colour scale from light to dark', () => {
    expect(sequentialColor(0)).toBe('rgb(247, 251, 255)');
    expect(sequentialColor(1)).toBe('rgb(8, 48, 107)');
    expect(sequentialColor(2)).toBe(sequentialColor(1));
  });

  it('in the dark theme, runs from the dark surface to the accent; text always contrasts', () => {
    expect(sequentialColor(0, 'dark')).toBe('rgb(33, 38, 45)');
    expect(sequentialColor(1, 'dark')).toBe('rgb(68, 147, 248)');
    expect(textOn(0, 'dark')).toBe('#ffffff');
    expect(textOn(0, 'light')).not.toBe('#ffffff');
    expect(textOn(1, 'light')).toBe('#ffffff');
    // Every step of both scales: the chosen ink has a contrast ratio of at least 4.5.
    const lum = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    for (const theme of ['light', 'dark'] as const)
      for (let t = 0; t <= 1; t += 0.05) {
        const bg = lum(sequentialColor(t, theme));
        const ink = textOn(t, theme) === '#ffffff' ? 1 : lum('rgb(1, 4, 9)');
        expect((Math.max(bg, ink) + 0.05) / (Math.min(bg, ink) + 0.05)).toBeGreaterThanOrEqual(4.5);
      }
  });
});

describe('GraphDiagram', () => {
  it('draws nodes with their op and label, colours by value, flags unknown ops', () => {
    const w = mount(GraphDiagram, {
      props: {
        graph: diamond,
        labels: new Map([['a', '1x64x56x56']]),
        values: new Map([
          ['a', 1],
          ['c', 0.5],
        ]),
        unknownOps: ['Add'],
        legend: { title: 'share of MACs', min: '0%', max: '62%' },
      },
    });
    const nodes = w.findAll('g.gnode');
    expect(nodes).toHaveLength(5);
    const a = nodes.find((n) => n.find('title').text().startsWith('a (Conv)'))!;
    expect(a.find('.gnode__detail').text()).toBe('Conv 1x64x56x56');
    expect(a.find('rect').attributes('fill')).toBe(sequentialColor(1));
    const d = nodes.find((n) => n.find('title').text().startsWith('d (Add)'))!;
    expect(d.classes()).toContain('gnode--unknown');
    expect(d.find('title').text()).toContain('unknown operator');
    expect(w.findAll('path.gedge')).toHaveLength(5);
    expect(w.find('.scale-legend').text()).toContain('share of MACs');
    expect(w.find('svg').attributes('aria-label')).toContain('4 nodes');
  });

  it('zooms and pans through the viewBox, and emits select on a node click', async () => {
    const w = mount(GraphDiagram, { props: { graph: diamond } });
    const vb = () => w.find('svg').attributes('viewBox')!.split(' ').map(Number);
    const before = vb();
    await w.find('button[aria-label="Zoom in"]').trigger('click');
    expect(vb()[2]).toBeLessThan(before[2]);
    await w.find('button[aria-label="Zoom out"]').trigger('click');
    await w.find('button[aria-label="Zoom out"]').trigger('click');
    expect(vb()[2]).toBeGreaterThan(before[2]);
    const y0 = vb()[1];
    await w.find('.graph-diagram__canvas').trigger('keydown', { key: 'ArrowDown' });
    expect(vb()[1]).toBeGreaterThan(y0);
    await w.find('.graph-diagram__canvas').trigger('wheel', { deltaY: 100, deltaX: 0 });
    expect(vb()[1]).toBeGreaterThan(y0);
    const b = w.findAll('g.gnode').find((n) => n.find('title').text().startsWith('b '))!;
    await b.trigger('click');
    expect(w.emitted('select')![0]).toEqual(['b']);
  });

  it("lays out and renders Inception-ResNet-v2 (~800 nodes) well under a second, drawing only what's in view", () => {
    const g = toGraphView(buildTarget({ target: 'inception_resnet_v2' }));
    expect(g.nodes.length).toBeGreaterThan(700);
    const t0 = performance.now();
    const w = mount(GraphDiagram, {
      props: { graph: g, values: new Map(g.nodes.map((n, i) => [n.name, i / g.nodes.length])) },
    });
    const ms = performance.now() - t0;
    const drawn = w.findAll('g.gnode').length;
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(g.nodes.length / 2);
    expect(ms).toBeLessThan(1000);
    // "Whole graph" shows everything.
    return w
      .findAll('button')
      .find((b) => b.text() === 'Whole graph')!
      .trigger('click')
      .then(() => {
        expect(w.findAll('g.gnode').length).toBe(g.nodes.length + g.inputs.length);
      });
  });
});

describe('GraphDiagram: the initial zoom', () => {
  it('starts at 100% from the top, centred; Fit width never enlarges; 100% comes back', async () => {
    const w = mount(GraphDiagram, { props: { graph: diamond } });
    const vb = () => w.find('svg').attributes('viewBox')!.split(' ').map(Number);
    expect(w.find('.graph-diagram__zoom').text()).toBe('100%');
    expect(vb()[1]).toBe(0);
    const l = layoutGraph(diamond);
    expect(vb()[0] + vb()[2] / 2).toBeCloseTo(l.width / 2);
    const button = (t: string) => w.findAll('button').find((b) => b.text() === t)!;
    await button('Fit width').trigger('click');
    expect(w.find('.graph-diagram__zoom').text()).toBe('100%');
    await button('Whole graph').trigger('click');
    await button('100%').trigger('click');
    expect(w.find('.graph-diagram__zoom').text()).toBe('100%');
  });
});
