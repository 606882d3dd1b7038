// The graph explorer's layout (issue 21): each open group's children are laid out as their own
// small layered graph by dagre, bottom-up, closed groups and nodes as fixed-size boxes and open
// groups as boxes the size of their own layout plus a frame; the pieces are then placed inside each
// other. Layout cost stays that of the small graphs (tens of items each), never the whole model's
// hundreds at once, and every open group's layout is cached by the state of the groups inside it,
// so opening one block re-lays out only the groups around it.
//
// Edges: an edge between two items of the same container takes dagre's route; one that ends inside
// an open group takes its container's route between the groups and ends at the real item.
import dagre from '@dagrejs/dagre';
import {
  visibleGraph,
  type Hierarchy,
  type VisibleEdge,
  type VisibleGraph,
  type VisibleKind,
} from '../../../../shared/explorer/hierarchy.js';

export const NODE_W = 184;
export const NODE_H = 42;
export const GROUP_W = 224;
export const GROUP_H = 64;
export const IO_W = 150;
export const IO_H = 30;
/** Frame around an open group: the header (label, toggle) and the padding around its children. */
export const FRAME_HEAD = 30;
export const FRAME_PAD = 14;
/** Room the frame header's summary takes ("42 nodes · 951 M MACs · 24.6%", 12px). */
const FRAME_SUMMARY_W = 230;
/** A frame at least as wide as its header: toggle, label (13px, at most 40 characters), summary. */
const frameMinWidth = (label: string) => 44 + 8 * Math.min(label.length, 40) + FRAME_SUMMARY_W;
const NODE_SEP = 22;
const RANK_SEP = 34;
const MARGIN = 16;

export interface Point {
  x: number;
  y: number;
}

export interface LaidBox {
  id: string;
  kind: VisibleKind;
  /** The open group it is drawn in ('' at the top level). */
  parent: string;
  /** Top-left corner and size, in drawing units. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Open groups nested around it. */
  depth: number;
}

export interface LaidEdge extends VisibleEdge {
  key: string;
  points: Point[];
  /** Drawn as an arc beside the boxes: the layout left it out (a dense block's skip connection). */
  arc?: boolean;
}

export interface ExplorerLayout {
  visible: VisibleGraph;
  boxes: Map<string, LaidBox>;
  /** Frames first (outer before inner), then the boxes: the drawing order. */
  order: LaidBox[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

/** One container's layout, by child index (the same structure gives the same piece: ResNet's
 * identical blocks share one), with its children's positions and its edges' routes. */
interface Piece {
  w: number;
  h: number;
  at: { x: number; y: number; w: number; h: number }[];
  /** 'a:b' (child indices) -> route; absent for an edge left out of the layout (drawn as an arc). */
  routes: Map<string, Point[]>;
}

const sizeOf = (kind: VisibleKind): { w: number; h: number } =>
  kind === 'group'
    ? { w: GROUP_W, h: GROUP_H }
    : kind === 'input' || kind === 'output'
      ? { w: IO_W, h: IO_H }
      : { w: NODE_W, h: NODE_H };

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * Lays out a hierarchy for one expansion state after another, keeping every open group's layout
 * for as long as the groups inside it keep their state (a layout is never recomputed for a state
 * already seen: collapsing and re-expanding a block is a cache hit).
 */
export class ExplorerLayoutEngine {
  /** Pieces by structure, and by container and state (a quick path to the former). */
  private readonly pieces = new Map<string, Piece>();
  private readonly byState = new Map<string, Piece>();
  /** Layouts computed by dagre since the engine was made (a test reads it to prove the cache). */
  dagreRuns = 0;

  constructor(readonly hierarchy: Hierarchy) {}

  layout(expanded: ReadonlySet<string>): ExplorerLayout {
    const visible = visibleGraph(this.hierarchy, expanded);
    const kindOf = new Map<string, VisibleKind>();
    const parentOf = new Map<string, string>();
    const childrenOf = new Map<string, string[]>();
    for (const it of visible.items) {
      kindOf.set(it.id, it.kind);
      const p = it.parent ?? '';
      parentOf.set(it.id, p);
      (childrenOf.get(p) ?? childrenOf.set(p, []).get(p)!).push(it.id);
    }
    // The open groups around each item, outermost first.
    const framesAround = new Map<string, string[]>();
    const around = (id: string): string[] => {
      let f = framesAround.get(id);
      if (f) return f;
      const p = parentOf.get(id) ?? '';
      f = p ? [...around(p), p] : [];
      framesAround.set(id, f);
      return f;
    };
    // Each edge belongs to the innermost container holding both ends; there it joins the two
    // children of that container that hold its ends.
    const edgesIn = new Map<string, { a: string; b: string }[]>();
    const placed = visible.edges.map((e) => {
      const fa = around(e.from);
      const fb = around(e.to);
      let k = 0;
      while (k < fa.length && k < fb.length && fa[k] === fb[k]) k++;
      const container = k > 0 ? fa[k - 1] : '';
      const a = fa[k] ?? e.from;
      const b = fb[k] ?? e.to;
      (edgesIn.get(container) ?? edgesIn.set(container, []).get(container)!).push({ a, b });
      return { e, container, a, b };
    });

    // Bottom-up: a container's key is its id and its open children's keys.
    const keyOf = new Map<string, string>();
    const key = (c: string): string => {
      let k = keyOf.get(c);
      if (k !== undefined) return k;
      const inner = (childrenOf.get(c) ?? []).filter((id) => kindOf.get(id) === 'frame').map(key);
      k = c === '' ? `root(${inner.join(',')})` : `${c}(${inner.join(',')})`;
      keyOf.set(c, k);
      return k;
    };
    const pieceOf = (c: string): Piece => {
      const k = key(c);
      const known = this.byState.get(k);
      if (known) return known;
      const children = childrenOf.get(c) ?? [];
      const index = new Map(children.map((id, i) => [id, i]));
      const sizes = children.map((id) => {
        const kind = kindOf.get(id)!;
        if (kind !== 'frame') return sizeOf(kind);
        const p = pieceOf(id);
        const label = this.hierarchy.groups.get(id)?.label ?? '';
        return { w: Math.max(p.w + 2 * FRAME_PAD, frameMinWidth(label)), h: p.h + FRAME_HEAD + FRAME_PAD };
      });
      const links = [...new Set((edgesIn.get(c) ?? []).map(({ a, b }) => `${index.get(a)}:${index.get(b)}`))]
        .map((s) => s.split(':').map(Number) as [number, number])
        .filter(([a, b]) => a !== b);
      // The structure: sizes and links by index (never names), so identical blocks share a piece.
      const signature = `${sizes.map((s) => `${s.w}x${s.h}`).join(',')}|${links.map(([a, b]) => `${a}:${b}`).join(',')}`;
      let piece = this.pieces.get(signature);
      if (!piece) {
        const laid = layoutPiece(sizes, links);
        if (laid.dagre) this.dagreRuns++;
        piece = laid;
        this.pieces.set(signature, piece);
      }
      this.byState.set(k, piece);
      return piece;
    };

    // Top-down: absolute positions.
    const boxes = new Map<string, LaidBox>();
    const origin = new Map<string, Point>([['', { x: MARGIN, y: MARGIN }]]);
    const place = (c: string, depth: number) => {
      const piece = pieceOf(c);
      const o = origin.get(c)!;
      for (const [i, id] of (childrenOf.get(c) ?? []).entries()) {
        const at = piece.at[i];
        const box: LaidBox = {
          id,
          kind: kindOf.get(id)!,
          parent: c,
          x: o.x + at.x,
          y: o.y + at.y,
          w: at.w,
          h: at.h,
          depth,
        };
        boxes.set(id, box);
        if (box.kind === 'frame') {
          // Centred: a frame widened for its header has more room than its children need.
          origin.set(id, { x: box.x + (box.w - pieceOf(id).w) / 2, y: box.y + FRAME_HEAD });
          place(id, depth + 1);
        }
      }
    };
    place('', 0);
    const root = pieceOf('');
    let arcs = 0;

    const indexIn = new Map<string, number>();
    for (const list of childrenOf.values()) list.forEach((id, i) => indexIn.set(id, i));
    const edges: LaidEdge[] = placed.map(({ e, container, a, b }) => {
      const o = origin.get(container)!;
      const route = pieceOf(container).routes.get(`${indexIn.get(a)}:${indexIn.get(b)}`);
      const src = boxes.get(e.from)!;
      const dst = boxes.get(e.to)!;
      const base = { ...e, key: pairKey(e.from, e.to) };
      if (!route) {
        // Left out of the layout (a dense block's skip connection): an arc beside the boxes.
        const aBox = boxes.get(a)!;
        const bBox = boxes.get(b)!;
        const lane = Math.max(aBox.x + aBox.w, bBox.x + bBox.w) + 10 + 5 * (arcs++ % 4);
        const from = { x: src.x + src.w, y: src.y + src.h / 2 };
        const to = { x: dst.x + dst.w, y: dst.y + dst.h / 2 };
        return { ...base, arc: true, points: [from, { x: lane, y: from.y }, { x: lane, y: to.y }, to] };
      }
      const start = { x: src.x + src.w / 2, y: src.y + src.h };
      const end = { x: dst.x + dst.w / 2, y: dst.y };
      const middle = route.slice(1, -1).map((p) => ({ x: o.x + p.x, y: o.y + p.y }));
      return { ...base, points: [start, ...middle, end] };
    });
    const order = [...boxes.values()].sort(
      (p, q) => Number(q.kind === 'frame') - Number(p.kind === 'frame') || p.depth - q.depth,
    );
    return { visible, boxes, order, edges, width: root.w + 2 * MARGIN, height: root.h + 2 * MARGIN };
  }
}

/**
 * Edges that the layout can leave out: those implied by a longer path (a transitive reduction),
 * when a container is dense (DenseNet's blocks: every layer reads every earlier one, n^2 / 2 edges
 * spanning many ranks, which dagre turns into thousands of dummy nodes). Sparse containers keep
 * every edge: dagre routes a residual block's skip connection well.
 */
function layoutLinks(n: number, links: readonly [number, number][]): [number, number][] {
  if (links.length <= 1.5 * n + 2) return [...links];
  const out = new Map<number, number[]>();
  for (const [a, b] of links) (out.get(a) ?? out.set(a, []).get(a)!).push(b);
  const implied = (a: number, b: number): boolean => {
    // Is b reachable from a by a path of two or more links?
    const seen = new Set<number>();
    const stack = (out.get(a) ?? []).filter((x) => x !== b);
    while (stack.length) {
      const x = stack.pop()!;
      if (x === b) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      for (const y of out.get(x) ?? []) stack.push(y);
    }
    return false;
  };
  return links.filter(([a, b]) => !implied(a, b));
}

/** A container's layout: a column when its links make one chain, dagre otherwise. */
function layoutPiece(
  sizes: readonly { w: number; h: number }[],
  links: readonly [number, number][],
): Piece & { dagre: boolean } {
  const kept = layoutLinks(sizes.length, links);
  const routes = new Map<string, Point[]>();
  // A chain 0 -> 1 -> ... -> n-1 in child order: stacked, centred (most layers: conv, bn, relu).
  const chain = kept.length === sizes.length - 1 && kept.every(([a, b]) => b === a + 1);
  if (chain || sizes.length === 1) {
    const w = Math.max(0, ...sizes.map((s) => s.w));
    let y = 0;
    const at = sizes.map((s) => {
      const box = { x: (w - s.w) / 2, y, w: s.w, h: s.h };
      y += s.h + RANK_SEP;
      return box;
    });
    for (const [a, b] of kept)
      routes.set(`${a}:${b}`, [
        { x: w / 2, y: at[a].y + at[a].h },
        { x: w / 2, y: at[b].y },
      ]);
    return { w, h: Math.max(0, y - RANK_SEP), at, routes, dagre: false };
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 10, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  sizes.forEach((s, i) => g.setNode(String(i), { width: s.w, height: s.h }));
  for (const [a, b] of kept) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const at = sizes.map((s, i) => {
    const n = g.node(String(i));
    return { x: n.x - s.w / 2, y: n.y - s.h / 2, w: s.w, h: s.h };
  });
  for (const e of g.edges())
    routes.set(
      `${e.v}:${e.w}`,
      (g.edge(e).points ?? []).map((p: Point) => ({ x: p.x, y: p.y })),
    );
  const label = g.graph();
  return { w: label.width ?? 0, h: label.height ?? 0, at, routes, dagre: true };
}

/** An SVG path through an edge's points: straight ends, rounded through the middle. */
export function edgePath(points: readonly Point[]): string {
  if (points.length === 0) return '';
  const [p0] = points;
  if (points.length === 2) {
    const [a, b] = points;
    const dy = Math.max(10, (b.y - a.y) / 2);
    return `M${a.x},${a.y} C${a.x},${a.y + dy} ${b.x},${b.y - dy} ${b.x},${b.y}`;
  }
  let d = `M${p0.x},${p0.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const n = points[i + 1];
    const mx = (p.x + n.x) / 2;
    const my = (p.y + n.y) / 2;
    d += ` Q${p.x},${p.y} ${i === points.length - 2 ? `${n.x},${n.y}` : `${mx},${my}`}`;
  }
  return d;
}
