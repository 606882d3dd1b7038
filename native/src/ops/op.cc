// BuildCtx's attribute and shape helpers, and the operator registry (name -> factory).
#include "ops/op.h"

#include <cmath>
#include <unordered_map>

namespace studio {
namespace {

using Factory = OpPtr (*)(const BuildCtx&);

const std::unordered_map<std::string, Factory>& registry() {
  static const std::unordered_map<std::string, Factory> table = {
      {"Conv", make_conv},
      {"DepthwisePointwise", make_depthwise_pointwise},
      {"Gemm", make_gemm},
      {"MatMul", make_matmul},
      {"MaxPool", make_pool},
      {"AveragePool", make_pool},
      {"GlobalAveragePool", make_global_pool},
      {"GlobalMaxPool", make_global_pool},
      {"Relu", make_unary},
      {"Clip", make_unary},
      {"Sigmoid", make_unary},
      {"ChannelAffine", make_channel_affine},
      {"Add", make_binary},
      {"Sub", make_binary},
      {"Mul", make_binary},
      {"Div", make_binary},
      {"Sum", make_binary},
      {"Max", make_binary},
      {"Min", make_binary},
      {"Concat", make_concat},
      {"Alias", make_alias},
      {"Softmax", make_softmax},
      {"LRN", make_lrn},
      {"Transpose", make_transpose},
  };
  return table;
}

std::string kind_name(AttrValue::Kind k) {
  switch (k) {
    case AttrValue::Kind::Number:
      return "a number";
    case AttrValue::Kind::Numbers:
      return "a number array";
    default:
      return "a string";
  }
}

int64_t to_int(const BuildCtx& c, const char* name, double v) {
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9e15)
    c.fail(std::string("attribute '") + name + "' must be an integer, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

}  // namespace

bool is_known_op(const std::string& op) { return registry().count(op) != 0; }

OpPtr make_op(const BuildCtx& ctx) {
  auto it = registry().find(ctx.node.op);
  if (it == registry().end()) ctx.fail("unsupported operator '" + ctx.node.op + "'");
  return it->second(ctx);
}

void BuildCtx::fail(const std::string& msg) const { throw NodeError(node.name + " (" + node.op + "): " + msg); }

void BuildCtx::arity(size_t lo, size_t hi, size_t outs) const {
  size_t n = in.size();
  while (n > 0 && !in[n - 1]) --n;  // trailing absent inputs do not count
  if (n < lo || n > hi)
    fail("expects " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
         " inputs, got " + std::to_string(n));
  if (out.size() != outs) fail("expects " + std::to_string(outs) + " output(s), got " + std::to_string(out.size()));
}

const TensorInfo& BuildCtx::input(size_t i) const {
  if (i >= in.size() || !in[i]) fail("input " + std::to_string(i) + " is required");
  return *in[i];
}

const TensorInfo& BuildCtx::constant(size_t i, const char* role) const {
  const TensorInfo& t = input(i);
  if (!t.constant)
    fail(std::string("the ") + role + " '" + t.name +
         "' must be a constant (weights are packed at plan time), but it is computed at run time");
  return t;
}

int64_t BuildCtx::attr_int(const char* name, int64_t def) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return def;
  if (it->second.kind != AttrValue::Kind::Number)
    fail(std::string("attribute '") + name + "' must be a number, got " + kind_name(it->second.kind));
  return to_int(*this, name, it->second.number);
}

double BuildCtx::attr_float(const char* name, double def) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return def;
  if (it->second.kind != AttrValue::Kind::Number)
    fail(std::string("attribute '") + name + "' must be a number, got " + kind_name(it->second.kind));
  return it->second.number;
}

std::vector<int64_t> BuildCtx::attr_ints(const char* name, std::vector<int64_t> def) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return def;
  if (it->second.kind == AttrValue::Kind::Number) return {to_int(*this, name, it->second.number)};
  if (it->second.kind != AttrValue::Kind::Numbers)
    fail(std::string("attribute '") + name + "' must be a number array, got " + kind_name(it->second.kind));
  std::vector<int64_t> out;
  for (double v : it->second.numbers) out.push_back(to_int(*this, name, v));
  return out;
}

std::string BuildCtx::attr_str(const char* name, const std::string& def) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return def;
  if (it->second.kind != AttrValue::Kind::String)
    fail(std::string("attribute '") + name + "' must be a string, got " + kind_name(it->second.kind));
  return it->second.str;
}

void BuildCtx::activation(Activation* act, float* lo, float* hi) const {
  const std::string a = attr_str("activation", "none");
  *lo = 0.f;
  *hi = 0.f;
  if (a == "none" || a.empty()) {
    *act = Activation::None;
  } else if (a == "relu") {
    *act = Activation::Relu;
  } else if (a == "clip") {
    *act = Activation::Clip;
    *lo = static_cast<float>(attr_float("clip_min", -INFINITY));
    *hi = static_cast<float>(attr_float("clip_max", INFINITY));
    if (*lo > *hi) fail("clip_min > clip_max");
  } else {
    fail("unknown activation '" + a + "' (expected none, relu or clip)");
  }
}

void BuildCtx::expect_output_shape(const Shape& expected, size_t i) const {
  const TensorInfo& o = output(i);
  if (o.shape != expected)
    fail("output '" + o.name + "' has shape " + shape_str(o.shape) + " in desc.shapes, but the inputs give " +
         shape_str(expected));
}

}  // namespace studio
