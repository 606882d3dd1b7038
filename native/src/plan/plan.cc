// compile(): validates a NativeGraphDesc and builds the plan. Every check that can fail names
// what is wrong; node-level problems name the node (NodeError) first.
#include "plan/plan.h"

#include <set>
#include <stdexcept>
#include <unordered_map>

namespace studio {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw std::runtime_error("NativeGraphDesc: " + msg); }

void check_shape(const Shape& s, const std::string& what) {
  for (int64_t d : s)
    if (d < 1) fail(what + " has shape " + shape_str(s) + ": every dimension must be >= 1");
  shape_size(s, "NativeGraphDesc: " + what);
}

}  // namespace

std::unique_ptr<Plan> compile(GraphDesc desc, const KernelTable& kernels, int threads) {
  auto plan = std::make_unique<Plan>();
  plan->isa = kernels.isa;
  plan->threads = threads;
  plan->kernels = &kernels;

  // Refuse unknown operators first, all of them at once.
  std::string unknown;
  std::set<std::string> seen_ops;
  for (const NodeDesc& n : desc.nodes)
    if (!is_known_op(n.op) && seen_ops.insert(n.op).second)
      unknown += (unknown.empty() ? "" : ", ") + n.op + " (node " + n.name + ")";
  if (!unknown.empty()) fail("unsupported operator(s): " + unknown);

  std::vector<TensorInfo> infos;
  std::vector<TensorUse> uses;
  std::unordered_map<std::string, int> index;
  std::unordered_map<std::string, size_t> produced_later;  // name -> node index, for a clearer error
  for (size_t i = 0; i < desc.nodes.size(); ++i)
    for (const auto& o : desc.nodes[i].outputs) produced_later.emplace(o, i);

  auto add = [&](const std::string& name, const Shape& shape, const std::string& what) -> int {
    if (name.empty()) fail(what + " has an empty name");
    if (index.count(name)) fail("tensor '" + name + "' is defined twice (" + what + ")");
    check_shape(shape, what);
    auto it = desc.shapes.find(name);
    if (it != desc.shapes.end() && it->second != shape)
      fail(what + " has shape " + shape_str(shape) + " but desc.shapes says " + shape_str(it->second));
    TensorInfo t;
    t.name = name;
    t.shape = shape;
    t.size = shape_size(shape, name);
    infos.push_back(t);
    uses.push_back(TensorUse{t.size, -1, -1, {}});
    index[name] = static_cast<int>(infos.size() - 1);
    return index[name];
  };

  for (size_t i = 0; i < desc.inputs.size(); ++i) {
    const auto& in = desc.inputs[i];
    const int t = add(in.name, in.shape, "input '" + in.name + "'");
    uses[t].fixed = Location{Location::Kind::Input, static_cast<int32_t>(i), 0};
    plan->inputs.push_back(in);
    plan->input_sizes.push_back(infos[t].size);
  }
  plan->constants.resize(desc.constants.size());
  for (size_t i = 0; i < desc.constants.size(); ++i) {
    auto& c = desc.constants[i];
    const int t = add(c.name, c.shape, "constant '" + c.name + "'");
    if (static_cast<int64_t>(c.data.size()) != infos[t].size)
      fail("constant '" + c.name + "' has " + std::to_string(c.data.size()) + " values, its shape " + shape_str(c.shape) +
           " needs " + std::to_string(infos[t].size));
    plan->constants[i] = std::move(c.data);
    uses[t].fixed = Location{Location::Kind::Constant, static_cast<int32_t>(i), 0};
  }
  for (size_t i = 0; i < desc.constants.size(); ++i) infos[index[desc.constants[i].name]].constant = plan->constants[i].data();

  // Nodes, in execution order.
  std::vector<std::vector<int>> node_in(desc.nodes.size()), node_out(desc.nodes.size());
  std::set<std::string> node_names;
  for (size_t i = 0; i < desc.nodes.size(); ++i) {
    const NodeDesc& n = desc.nodes[i];
    const std::string who = "node '" + n.name + "' (" + n.op + ")";
    if (n.name.empty()) fail("node " + std::to_string(i) + " (" + n.op + ") has no name");
    if (!node_names.insert(n.name).second) fail("two nodes are named '" + n.name + "'");
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        node_in[i].push_back(-1);
        continue;
      }
      auto it = index.find(in);
      if (it == index.end()) {
        auto later = produced_later.find(in);
        if (later != produced_later.end())
          fail(who + " reads '" + in + "', which node '" + desc.nodes[later->second].name +
               "' produces later: nodes must be in execution order");
        fail(who + " reads '" + in + "', which is not a graph input, a constant or an earlier node's output");
      }
      node_in[i].push_back(it->second);
      uses[it->second].last_use = static_cast<int>(i);
    }
    if (n.outputs.empty()) fail(who + " has no outputs");
    for (const std::string& out : n.outputs) {
      auto s = desc.shapes.find(out);
      if (s == desc.shapes.end()) fail(who + ": output '" + out + "' has no shape in desc.shapes");
      const int t = add(out, s->second, who + " output '" + out + "'");
      uses[t].producer = static_cast<int>(i);
      node_out[i].push_back(t);
    }
  }
  std::vector<int> graph_outputs;
  if (desc.outputs.empty()) fail("the graph has no outputs");
  for (const std::string& o : desc.outputs) {
    auto it = index.find(o);
    if (it == index.end()) fail("graph output '" + o + "' is not produced by any node, input or constant");
    graph_outputs.push_back(it->second);
    uses[it->second].last_use = static_cast<int>(desc.nodes.size());
    plan->outputs.push_back(o);
    plan->output_shapes.push_back(infos[it->second].shape);
    plan->output_sizes.push_back(infos[it->second].size);
  }

  // Operators: validation of shapes/attributes, path selection and weight packing.
  for (size_t i = 0; i < desc.nodes.size(); ++i) {
    std::vector<const TensorInfo*> in, out;
    for (int t : node_in[i]) in.push_back(t < 0 ? nullptr : &infos[t]);
    for (int t : node_out[i]) out.push_back(&infos[t]);
    BuildCtx ctx(desc.nodes[i], in, out, kernels, threads);
    PlanNode pn;
    pn.name = desc.nodes[i].name;
    pn.op = desc.nodes[i].op;
    pn.impl = make_op(ctx);
    plan->workspace_floats = std::max(plan->workspace_floats, pn.impl->workspace_floats());
    plan->weight_bytes += pn.impl->owned_bytes();
    plan->nodes.push_back(std::move(pn));
  }

  // Batch segments (plan.h): chains of batch-separable nodes where some tensor is too large to
  // stay in cache between nodes. Each node after the first reads the previous ones' output.
  {
    constexpr int64_t kLargeFloats = int64_t(1) << 20;  // 4 MiB: more than an L2
    constexpr int64_t kChunkFloats = int64_t(1) << 19;  // ~2 MiB of the largest tensor per chunk
    const int count = static_cast<int>(plan->nodes.size());
    auto big = [&](int i) {
      int64_t m = 0;
      if (!node_in[i].empty() && node_in[i][0] >= 0) m = uses[node_in[i][0]].size;
      for (int t : node_out[i]) m = std::max(m, uses[t].size);
      return m;
    };
    for (int i = 0; i < count; ++i) {
      const int64_t N = plan->nodes[i].impl->batch_images();
      if (N <= 1 || big(i) < kLargeFloats || node_out[i].size() != 1) continue;
      int j = i + 1;
      while (j < count && plan->nodes[j].impl->batch_images() == N && node_out[j].size() == 1 &&
             big(j) >= kLargeFloats && !node_in[j].empty() && node_in[j][0] >= 0 &&
             uses[node_in[j][0]].producer >= i && uses[node_in[j][0]].producer < j)
        ++j;
      if (j - i >= 2) {
        int64_t per_image = 0;
        for (int k = i; k < j; ++k) per_image = std::max(per_image, big(k) / N);
        const int64_t chunk = std::min(N, std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(1, per_image)));
        plan->segments.push_back(Segment{i, j, N, chunk});
      }
      i = j - 1;
    }
  }

  const std::vector<Location> loc = plan_memory(*plan, uses, node_in, node_out, graph_outputs);
  std::vector<bool> const_needed(plan->constants.size(), false);
  auto need = [&](const Location& l) {
    if (l.kind == Location::Kind::Constant) const_needed[l.index] = true;
  };
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    PlanNode& pn = plan->nodes[i];
    for (size_t k = 0; k < node_in[i].size(); ++k) {
      const int t = node_in[i][k];
      pn.in.push_back(t < 0 ? Location{} : loc[t]);
      if (t >= 0 && pn.impl->reads_input_at_run(k)) need(loc[t]);
    }
    // Optional trailing inputs may be left out of the desc: operators read in[k] for every k
    // they know (Conv's B and R are in[2], in[3]), so absent ones are passed as nullptr.
    while (pn.in.size() < 4) pn.in.push_back(Location{});
    for (int t : node_out[i]) pn.out.push_back(loc[t]);
  }
  for (const OutputCopy& c : plan->copies) need(c.from);
  for (size_t i = 0; i < plan->constants.size(); ++i) {
    if (!const_needed[i]) std::vector<float>().swap(plan->constants[i]);  // packed into an operator
    plan->weight_bytes += plan->constants[i].size() * sizeof(float);
  }
  return plan;
}

}  // namespace studio
