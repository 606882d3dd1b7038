// Memory planning. Tensors are grouped into storage sets, each placed once:
//   1. Alias: the output is the input's storage (same offset, another shape).
//   2. In place: an element-wise op (or a conv with a residual) may write over an input whose
//      storage dies at this node, so the two become one set.
//   3. Concat views: when the inputs are contiguous slices of the output (batch 1 channel
//      concat), each input's set is placed inside the output's set, so producers write straight
//      into the concatenation and Concat copies nothing.
//   4. Graph outputs: a set produced by a node and holding a graph output is that output's
//      buffer (no copy); other outputs (an input passed through, a second name for the same
//      data) are copied at the end of a run.
//   (Batch segments, plan.h, extend the lifetimes of everything their nodes touch to the whole
//   segment before placement; a tensor that lives only inside one is given one chunk's storage.)
//   5. The remaining sets get arena offsets: greedy by size, largest first, each at the lowest
//      offset not overlapping any already placed set whose lifetime [first producer, last
//      consumer] intersects its own (the "greedy by size" heuristic of TFLite's arena planner).
#include <algorithm>
#include <map>

#include "plan/plan.h"

namespace studio {
namespace {

constexpr int64_t kAlign = 16;  // floats: every arena slot starts on a 64-byte boundary

struct Sets {
  std::vector<int> parent;          // tensor -> parent tensor (itself for a root)
  std::vector<int64_t> offset;      // floats from the parent's start
  std::vector<int> first, last;     // per root: lifetime in node indices
  std::vector<bool> has_output;     // per root: holds a graph output
  std::vector<bool> moved;          // per root: already placed inside another set (a view)

  std::pair<int, int64_t> find(int t) const {
    int64_t off = 0;
    while (parent[t] != t) off += offset[t], t = parent[t];
    return {t, off};
  }
  /** Makes root r part of root into, at `off` floats; the merged lifetime is the union. */
  void merge(int r, int into, int64_t off) {
    parent[r] = into;
    offset[r] = off;
    first[into] = std::min(first[into], first[r]);
    last[into] = std::max(last[into], last[r]);
    has_output[into] = has_output[into] || has_output[r];
  }
};

}  // namespace

std::vector<Location> plan_memory(Plan& plan, const std::vector<TensorUse>& tensors,
                                  const std::vector<std::vector<int>>& node_in,
                                  const std::vector<std::vector<int>>& node_out, const std::vector<int>& graph_outputs) {
  const int T = static_cast<int>(tensors.size());
  const int end = static_cast<int>(plan.nodes.size());
  Sets s;
  s.parent.resize(T);
  s.offset.assign(T, 0);
  s.first.resize(T);
  s.last.resize(T);
  s.has_output.assign(T, false);
  s.moved.assign(T, false);
  for (int t = 0; t < T; ++t) {
    s.parent[t] = t;
    s.first[t] = tensors[t].producer;
    s.last[t] = std::max(tensors[t].last_use, tensors[t].producer);
  }
  for (int t : graph_outputs) s.has_output[t] = true;
  auto whole_root = [&](int t, int* root) {  // t is a whole intermediate set (offset 0, same size)
    auto [r, off] = s.find(t);
    *root = r;
    return off == 0 && tensors[r].producer >= 0 && tensors[r].size == tensors[t].size;
  };

  // 1 + 2: aliases and in-place, in execution order (lifetimes so far are exact for earlier nodes).
  for (int i = 0; i < end; ++i) {
    Op& op = *plan.nodes[i].impl;
    const int out = node_out[i][0];
    if (op.alias_input() >= 0) {
      auto [r, off] = s.find(node_in[i][op.alias_input()]);
      s.merge(out, r, off);
      continue;
    }
    const int k = op.inplace_input();
    if (k < 0 || k >= static_cast<int>(node_in[i].size()) || node_in[i][k] < 0) continue;
    const int src = node_in[i][k];
    int r;
    if (!whole_root(src, &r) || s.last[r] != i || s.has_output[r] || tensors[src].size != tensors[out].size) continue;
    // Another input reading the same storage (conv(x) + x) might be read after it is overwritten.
    bool shared = false;
    for (size_t j = 0; j < node_in[i].size(); ++j)
      if (static_cast<int>(j) != k && node_in[i][j] >= 0 && s.find(node_in[i][j]).first == r) shared = true;
    if (!shared) s.merge(out, r, 0);
  }

  // 3: concat views.
  for (int i = 0; i < end; ++i) {
    Op& op = *plan.nodes[i].impl;
    const std::vector<int64_t> offs = op.view_offsets();
    if (offs.empty()) continue;
    int R;
    if (!whole_root(node_out[i][0], &R)) continue;
    std::vector<bool> views(node_in[i].size(), false);
    std::vector<int> taken;
    for (size_t k = 0; k < node_in[i].size(); ++k) {
      int r;
      if (!whole_root(node_in[i][k], &r) || r == R || s.has_output[r] || s.moved[r]) continue;
      if (std::find(taken.begin(), taken.end(), r) != taken.end()) continue;  // same data twice
      s.merge(r, R, offs[k]);
      s.moved[r] = true;
      taken.push_back(r);
      views[k] = true;
    }
    op.set_input_views(views);
  }

  // Batch segments run their nodes interleaved image by image: whatever they read or write is
  // live from the segment's first node to its last. (In-place pairs above stay valid: image n of
  // the output overwrites image n of an input that no later node reads.)
  for (const Segment& seg : plan.segments)
    for (int i = seg.begin; i < seg.end; ++i)
      for (const std::vector<int>* ts : {&node_in[i], &node_out[i]})
        for (int t : *ts) {
          if (t < 0) continue;
          const int r = s.find(t).first;
          s.first[r] = std::min(s.first[r], seg.begin);
          s.last[r] = std::max(s.last[r], seg.end - 1);
        }

  // Chunk-local tensors: produced in a segment, read only there (as a batch input), alone in their
  // storage set.
  std::vector<int64_t> chunk_floats(T, 0), image_floats(T, 0);
  {
    std::vector<int> members(T, 0);
    for (int t = 0; t < T; ++t) members[s.find(t).first] += 1;
    for (const Segment& seg : plan.segments)
      for (int i = seg.begin; i < seg.end; ++i)
        for (int t : node_out[i]) {
          if (s.parent[t] != t || members[t] != 1 || s.has_output[t] || s.moved[t]) continue;
          if (tensors[t].last_use >= seg.end || tensors[t].size % seg.images != 0) continue;
          // Read only with a batch dimension: as X (input 0) or a residual (input 3) of a conv.
          bool batch_reads = true;
          for (int k = i + 1; k < seg.end; ++k)
            for (size_t j = 0; j < node_in[k].size(); ++j)
              if (node_in[k][j] == t && j != 0 && j != 3) batch_reads = false;
          if (!batch_reads) continue;
          image_floats[t] = tensors[t].size / seg.images;
          chunk_floats[t] = image_floats[t] * seg.chunk;
        }
  }

  // 4: graph outputs.
  std::vector<Location> root_loc(T);
  for (int t = 0; t < T; ++t)
    if (tensors[t].fixed.kind != Location::Kind::None) root_loc[t] = tensors[t].fixed;
  for (size_t j = 0; j < graph_outputs.size(); ++j) {
    const int t = graph_outputs[j];
    int r;
    if (whole_root(t, &r) && root_loc[r].kind == Location::Kind::None) {
      root_loc[r] = Location{Location::Kind::Output, static_cast<int32_t>(j), 0};
    } else {
      plan.copies.push_back(OutputCopy{Location{}, static_cast<int32_t>(j), tensors[t].size});
    }
  }

  // 5: arena placement of the remaining roots.
  std::vector<int> roots;
  for (int t = 0; t < T; ++t)
    if (s.parent[t] == t && tensors[t].producer >= 0 && root_loc[t].kind == Location::Kind::None) roots.push_back(t);
  std::stable_sort(roots.begin(), roots.end(), [&](int a, int b) { return tensors[a].size > tensors[b].size; });
  struct Placed {
    int64_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  int64_t arena = 0;
  for (int r : roots) {
    const int64_t size = round_up(chunk_floats[r] ? chunk_floats[r] : tensors[r].size, kAlign);
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Placed& p : placed)
      if (p.first <= s.last[r] && s.first[r] <= p.last) busy.emplace_back(p.begin, p.end);
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto& [b, e] : busy) {
      if (b - at >= size) break;
      at = std::max(at, e);
    }
    placed.push_back(Placed{at, at + size, s.first[r], s.last[r]});
    root_loc[r] = Location{Location::Kind::Arena, 0, at};
    arena = std::max(arena, at + size);
  }
  plan.arena_floats = static_cast<size_t>(arena);

  std::vector<Location> loc(T);
  for (int t = 0; t < T; ++t) {
    auto [r, off] = s.find(t);
    loc[t] = root_loc[r];
    loc[t].offset += off;
    if (r == t && loc[t].kind == Location::Kind::Arena) loc[t].image_stride = image_floats[t];
  }
  size_t c = 0;
  for (size_t j = 0; j < graph_outputs.size(); ++j) {
    if (c < plan.copies.size() && plan.copies[c].output == static_cast<int32_t>(j)) plan.copies[c++].from = loc[graph_outputs[j]];
  }
  return loc;
}

}  // namespace studio
