// The graph explorer's group tree (issue 21): a model's nodes grouped as people think of the
// network (stage -> block -> layer) from the scope paths in their names, with each group's summed
// costs; the graph visible for a set of expanded groups; and the expansion and search helpers the
// explorer component drives. Pure: no DOM, no Node.
//
// Where the groups come from (the names GraphBuilder.scope writes, and what exporters write):
// - A scope is a '/'-separated path prefix: 'layer1.0/conv1' is the node 'conv1' in the scope
//   'layer1.0'; an imported PyTorch export's '/features/denseblock1/denselayer1/conv1/Conv' is the
//   node 'Conv' in the scopes features > denseblock1 > denselayer1 > conv1.
// - A layer: the nodes of one scope whose local names share the part before their first '.', when
//   at least two do (conv1, conv1.bn, conv1.relu -> 'conv1'; Xception's sepconv1.relu,
//   sepconv1.depthwise, sepconv1.pointwise, sepconv1.bn -> 'sepconv1', a separable layer).
// - A stage: a run of consecutive sibling scopes named prefix + separator + number, at least two
//   of them (layer1.0, layer1.1, layer1.2 -> 'layer1'; block35_1 ... block35_10 -> 'block35').
//   Without a separator there is no stage (Xception's block2 ... block14 stay blocks: 'block' is no
//   stage name, and ResNet's layer1 ... layer4 are not grouped again into 'layer').
// - A group of one member says nothing: it is dissolved into its parent (a PyTorch module scope
//   holding one node shows as that node, labelled 'conv1/Conv'; a scope holding only a stage of the
//   same run becomes that stage).
import type { GraphView } from '../contract/api.js';

/** How coarse a group is: a stage holds blocks, a block holds layers and nodes, a layer a few nodes. */
export type GroupLevel = 'stage' | 'block' | 'layer';

/** A node's analytic cost (a cost report's layer: shared/cost/cost-model.ts). */
export interface NodeCost {
  macs: number;
  params: number;
}

export interface ExplorerNode {
  /** Item id ('n:' + the node's key): unique even when node names repeat or are empty. */
  id: string;
  /** The node's name in the graph (the key of costs and overlays). */
  name: string;
  op: string;
  /** What the drawing shows: the name relative to its group ('conv1.bn', 'conv1/Conv'). */
  label: string;
  /** Index in the GraphView's node list (topological order). */
  index: number;
  /** Enclosing group id, or null at the top level. */
  parent: string | null;
  macs: number;
  params: number;
}

export interface ExplorerGroup {
  /** Stable id for the same graph: 'g:' + what made it (scope path, layer name, stage prefix). */
  id: string;
  label: string;
  level: GroupLevel;
  parent: string | null;
  /** Direct children, group and node item ids, in the order of their first node. */
  children: string[];
  /** Names of all nodes inside, at any depth, in graph order. */
  members: string[];
  /** Sums over `members`: the group's MACs are exactly the sum of its nodes' MACs. */
  macs: number;
  params: number;
  nodeCount: number;
  /** Operator -> how many member nodes run it, most frequent first. */
  ops: { op: string; count: number }[];
  /** Nesting depth: 0 at the top level. */
  depth: number;
}

export interface Hierarchy {
  graph: GraphView;
  nodes: Map<string, ExplorerNode>;
  groups: Map<string, ExplorerGroup>;
  /** Node name -> item id (the first node of that name when names repeat). */
  nodeIdByName: Map<string, string>;
  /** Top-level item ids (groups and nodes) in graph order. */
  roots: string[];
  /** Total MACs and params of the graph (0 without costs). */
  totals: NodeCost;
  /** Whether costs were given. */
  costed: boolean;
}

interface RawScope {
  path: string;
  label: string;
  /** Ordered children: scope paths ('s' kind) or node ids ('n' kind). */
  children: { kind: 's' | 'n'; key: string }[];
  seen: Set<string>;
}

interface Draft {
  id: string;
  label: string;
  kind: 'scope' | 'layer' | 'stage';
  children: string[];
}

const STAGE_NAME = /^(.+)([._-])(\d+)$/;

/** The scope segments and the local name of a node name ('' and leading '/' ignored). */
function splitName(name: string): { scope: string[]; local: string } {
  const parts = name.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return { scope: [], local: name };
  return { scope: parts.slice(0, -1), local: parts[parts.length - 1] };
}

/** Turns a cost report's layers into the per-node cost map the hierarchy sums. */
export function costsOf(layers: readonly { name: string; macs: number; params: number }[]): Map<string, NodeCost> {
  const out = new Map<string, NodeCost>();
  for (const l of layers) if (!out.has(l.name)) out.set(l.name, { macs: l.macs, params: l.params });
  return out;
}

/**
 * The group tree of a graph. `costs` (node name -> MACs and params) fills the groups' sums; without
 * it they are 0 and `costed` is false.
 */
export function buildHierarchy(graph: GraphView, costs?: ReadonlyMap<string, NodeCost>): Hierarchy {
  const nodes = new Map<string, ExplorerNode>();
  const nodeIdByName = new Map<string, string>();
  const root: RawScope = { path: '', label: '', children: [], seen: new Set() };
  const scopes = new Map<string, RawScope>([['', root]]);
  const localOf = new Map<string, string>();

  graph.nodes.forEach((n, index) => {
    let key = n.name || `#${index}`;
    if (nodes.has(`n:${key}`)) key = `${key}#${index}`;
    const id = `n:${key}`;
    const { scope, local } = n.name ? splitName(n.name) : { scope: [], local: key };
    const cost = costs?.get(n.name);
    nodes.set(id, {
      id,
      name: n.name,
      op: n.op,
      label: local,
      index,
      parent: null,
      macs: cost?.macs ?? 0,
      params: cost?.params ?? 0,
    });
    if (!nodeIdByName.has(n.name)) nodeIdByName.set(n.name, id);
    localOf.set(id, local);
    let parent = root;
    for (let i = 0; i < scope.length; i++) {
      const path = scope.slice(0, i + 1).join('/');
      let s = scopes.get(path);
      if (!s) {
        s = { path, label: scope[i], children: [], seen: new Set() };
        scopes.set(path, s);
      }
      if (!parent.seen.has(path)) {
        parent.seen.add(path);
        parent.children.push({ kind: 's', key: path });
      }
      parent = s;
    }
    parent.children.push({ kind: 'n', key: id });
  });

  // Drafts: scopes with their layers and stages formed, before single-child groups dissolve.
  const drafts = new Map<string, Draft>();
  const scopeId = (path: string) => `g:${path}`;

  function draftScope(s: RawScope): string[] {
    // Layers: nodes of this scope sharing the part of their local name before the first '.'.
    const byStem = new Map<string, string[]>();
    for (const c of s.children) {
      if (c.kind !== 'n') continue;
      const local = localOf.get(c.key)!;
      const dot = local.indexOf('.');
      const stem = dot > 0 ? local.slice(0, dot) : local;
      (byStem.get(stem) ?? byStem.set(stem, []).get(stem)!).push(c.key);
    }
    const layerOf = new Map<string, string>();
    for (const [stem, ids] of byStem) {
      // At least two nodes, one named after the stem by a '.suffix' (repeated names are no layer).
      if (ids.length < 2 || ids.every((n) => localOf.get(n) === stem)) continue;
      const id = `g:${s.path ? `${s.path}/` : ''}${stem}#layer`;
      drafts.set(id, { id, label: stem, kind: 'layer', children: ids });
      for (const n of ids) layerOf.set(n, id);
    }
    const items: string[] = [];
    const placed = new Set<string>();
    for (const c of s.children) {
      if (c.kind === 'n') {
        const layer = layerOf.get(c.key);
        const item = layer ?? c.key;
        if (!placed.has(item)) {
          placed.add(item);
          items.push(item);
        }
      } else {
        const child = scopes.get(c.key)!;
        const id = scopeId(child.path);
        drafts.set(id, { id, label: child.label, kind: 'scope', children: draftScope(child) });
        items.push(id);
      }
    }
    // Stages: runs of consecutive sibling scopes named prefix + separator + number.
    const out: string[] = [];
    for (let i = 0; i < items.length;) {
      const m = stageKey(items[i]);
      let j = i + 1;
      if (m) while (j < items.length && stageKey(items[j]) === m) j++;
      if (m && j - i >= 2) {
        const label = m.slice(0, -1);
        const id = `g:${s.path ? `${s.path}/` : ''}${m}*`;
        drafts.set(id, { id, label, kind: 'stage', children: items.slice(i, j) });
        out.push(id);
      } else {
        out.push(...items.slice(i, j));
      }
      i = j;
    }
    return out;
  }
  function stageKey(item: string): string | null {
    const d = drafts.get(item);
    if (!d || d.kind !== 'scope') return null;
    const m = STAGE_NAME.exec(d.label);
    return m ? `${m[1]}${m[2]}` : null;
  }

  const rootItems = draftScope(root);

  // Dissolve single-member groups; compute levels, members and sums bottom-up.
  const groups = new Map<string, ExplorerGroup>();
  function finish(item: string, parent: string | null, depth: number, prefix: string): string {
    const node = nodes.get(item);
    if (node) {
      node.parent = parent;
      if (prefix) node.label = `${prefix}/${node.label}`;
      return item;
    }
    let d = drafts.get(item)!;
    let label = prefix ? `${prefix}/${d.label}` : d.label;
    // A group of one member: its member takes its place (labelled with the group's path).
    while (d.children.length === 1) {
      const only = d.children[0];
      const inner = drafts.get(only);
      if (!inner) return finish(only, parent, depth, label);
      // A scope holding nothing but a stage is that stage under the scope's name.
      label = inner.kind === 'stage' && d.kind === 'scope' ? label : `${label}/${inner.label}`;
      d = { ...inner, id: d.id, kind: inner.kind === 'stage' ? 'stage' : inner.kind };
    }
    const g: ExplorerGroup = {
      id: d.id,
      label,
      level: 'layer',
      parent,
      children: [],
      members: [],
      macs: 0,
      params: 0,
      nodeCount: 0,
      ops: [],
      depth,
    };
    groups.set(g.id, g);
    g.children = d.children.map((c) => finish(c, g.id, depth + 1, ''));
    const hist = new Map<string, number>();
    let holdsBlocks = false;
    for (const c of g.children) {
      const n = nodes.get(c);
      if (n) {
        g.members.push(n.name);
        g.macs += n.macs;
        g.params += n.params;
        g.nodeCount += 1;
        hist.set(n.op, (hist.get(n.op) ?? 0) + 1);
      } else {
        const sub = groups.get(c)!;
        g.members.push(...sub.members);
        g.macs += sub.macs;
        g.params += sub.params;
        g.nodeCount += sub.nodeCount;
        for (const { op, count } of sub.ops) hist.set(op, (hist.get(op) ?? 0) + count);
        if (sub.level !== 'layer') holdsBlocks = true;
      }
    }
    g.ops = [...hist].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || (a.op < b.op ? -1 : 1));
    g.level = d.kind === 'layer' ? 'layer' : d.kind === 'stage' || holdsBlocks ? 'stage' : 'block';
    // Members in graph order (a stage's blocks and a block's layers interleave with loose nodes).
    if (g.children.length > 1) g.members = sortByIndex(g.members);
    return g.id;
  }
  const indexOfName = new Map<string, number>();
  for (const n of nodes.values()) if (!indexOfName.has(n.name)) indexOfName.set(n.name, n.index);
  const sortByIndex = (names: string[]) => names.sort((a, b) => indexOfName.get(a)! - indexOfName.get(b)!);

  const roots = rootItems.map((item) => finish(item, null, 0, ''));
  let macs = 0;
  let params = 0;
  for (const n of nodes.values()) {
    macs += n.macs;
    params += n.params;
  }
  return { graph, nodes, groups, nodeIdByName, roots, totals: { macs, params }, costed: costs !== undefined };
}

/** The group ids from the top level down to `item`'s parent. */
export function ancestorsOf(h: Hierarchy, item: string): string[] {
  const out: string[] = [];
  let p = h.nodes.get(item)?.parent ?? h.groups.get(item)?.parent ?? null;
  while (p) {
    out.push(p);
    p = h.groups.get(p)!.parent;
  }
  return out.reverse();
}

// ---- Expansion ----------------------------------------------------------------------------

/** The opening view: every stage open down to its blocks, blocks and layers closed. */
export function defaultExpansion(h: Hierarchy): Set<string> {
  const out = new Set<string>();
  for (const g of h.groups.values()) if (g.level === 'stage') out.add(g.id);
  return out;
}
export function expandAll(h: Hierarchy): Set<string> {
  return new Set(h.groups.keys());
}
export function collapseAll(): Set<string> {
  return new Set();
}
export function expand(expanded: ReadonlySet<string>, id: string): Set<string> {
  return new Set(expanded).add(id);
}
/** Closes a group; the groups inside keep their state for when it opens again. */
export function collapse(expanded: ReadonlySet<string>, id: string): Set<string> {
  const out = new Set(expanded);
  out.delete(id);
  return out;
}
export function toggle(expanded: ReadonlySet<string>, id: string): Set<string> {
  return expanded.has(id) ? collapse(expanded, id) : expand(expanded, id);
}
/** Opens every group around a node (by name), so that it is drawn. */
export function reveal(h: Hierarchy, expanded: ReadonlySet<string>, nodeName: string): Set<string> {
  const id = h.nodeIdByName.get(nodeName);
  const out = new Set(expanded);
  if (id) for (const a of ancestorsOf(h, id)) out.add(a);
  return out;
}
/** The expanded groups that matter: open, and inside no closed group (the layout cache's key). */
export function effectiveExpansion(h: Hierarchy, expanded: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (items: readonly string[]) => {
    for (const item of items) {
      const g = h.groups.get(item);
      if (g && expanded.has(g.id)) {
        out.push(g.id);
        walk(g.children);
      }
    }
  };
  walk(h.roots);
  return out;
}

// ---- Search -------------------------------------------------------------------------------

export interface SearchResult {
  /** Matching node names, in graph order. */
  nodes: string[];
  /** The groups to open so every match is drawn. */
  expand: string[];
  /** Group id -> how many matches it holds (for a badge on a closed group). */
  counts: Map<string, number>;
}

/** Nodes whose name or operator contains `query` (case-insensitive); an empty query matches none. */
export function search(h: Hierarchy, query: string): SearchResult {
  const q = query.trim().toLowerCase();
  const result: SearchResult = { nodes: [], expand: [], counts: new Map() };
  if (!q) return result;
  const open = new Set<string>();
  for (const n of h.nodes.values()) {
    if (!n.name.toLowerCase().includes(q) && !n.op.toLowerCase().includes(q)) continue;
    result.nodes.push(n.name);
    for (const a of ancestorsOf(h, n.id)) {
      open.add(a);
      result.counts.set(a, (result.counts.get(a) ?? 0) + 1);
    }
  }
  result.expand = [...open];
  return result;
}

// ---- The visible graph --------------------------------------------------------------------

export type VisibleKind = 'node' | 'group' | 'frame' | 'input' | 'output';

export interface VisibleItem {
  id: string;
  kind: VisibleKind;
  /** The open group it is drawn inside, or null at the top level. */
  parent: string | null;
}

export interface VisibleEdge {
  from: string;
  to: string;
  /** How many distinct tensors this drawn edge stands for. */
  tensors: number;
  /** The first tensor's name (the tooltip). */
  tensor: string;
}

export interface VisibleGraph {
  /** Closed groups and nodes outside any closed group ('group', 'node'), open groups ('frame'),
   *  graph inputs and outputs ('input', 'output': ids 'in:' / 'out:' + the tensor name). */
  items: VisibleItem[];
  /** Between drawn boxes (never from or to a frame), one per pair, with the tensor count. */
  edges: VisibleEdge[];
}

/** The item that stands for a node: the node, or the outermost closed group around it. */
export function representativeOf(h: Hierarchy, expanded: ReadonlySet<string>, nodeId: string): string {
  for (const a of ancestorsOf(h, nodeId)) if (!expanded.has(a)) return a;
  return nodeId;
}

export function visibleGraph(h: Hierarchy, expanded: ReadonlySet<string>): VisibleGraph {
  const items: VisibleItem[] = [];
  const rep = new Map<string, string>();
  const walk = (ids: readonly string[], parent: string | null) => {
    for (const id of ids) {
      const g = h.groups.get(id);
      if (!g) {
        items.push({ id, kind: 'node', parent });
        rep.set(id, id);
      } else if (expanded.has(id)) {
        items.push({ id, kind: 'frame', parent });
        walk(g.children, id);
      } else {
        items.push({ id, kind: 'group', parent });
        markInside(g, id);
      }
    }
  };
  const markInside = (g: ExplorerGroup, as: string) => {
    for (const c of g.children) {
      const sub = h.groups.get(c);
      if (sub) markInside(sub, as);
      else rep.set(c, as);
    }
  };
  for (const t of h.graph.inputs) {
    items.push({ id: `in:${t}`, kind: 'input', parent: null });
  }
  walk(h.roots, null);

  const producer = new Map<string, string>();
  for (const t of h.graph.inputs) producer.set(t, `in:${t}`);
  const order = [...h.nodes.values()];
  for (const n of order) for (const o of h.graph.nodes[n.index].outputs) if (o) producer.set(o, n.id);

  const edges = new Map<string, VisibleEdge & { names: Set<string> }>();
  const link = (from: string, to: string, tensor: string) => {
    if (from === to) return;
    const key = `${from}\u0000${to}`;
    const e = edges.get(key);
    if (!e) edges.set(key, { from, to, tensors: 1, tensor, names: new Set([tensor]) });
    else if (!e.names.has(tensor)) {
      e.names.add(tensor);
      e.tensors++;
    }
  };
  for (const n of order) {
    const to = rep.get(n.id)!;
    for (const t of h.graph.nodes[n.index].inputs) {
      const p = t ? producer.get(t) : undefined;
      if (!p) continue;
      link(rep.get(p) ?? p, to, t);
    }
  }
  for (const t of h.graph.outputs) {
    const p = producer.get(t);
    const id = `out:${t}`;
    items.push({ id, kind: 'output', parent: null });
    if (p) link(rep.get(p) ?? p, id, t);
  }
  return { items, edges: [...edges.values()].map(({ names: _names, ...e }) => e) };
}
