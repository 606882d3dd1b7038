// Concat and Alias.
// Concat copies only what the planner could not place in the output directly: when everything
// before the axis has size 1 (batch 1 channel concatenation, the Inception case) each input is a
// contiguous slice of the output, and the planner lets the producers write there (view_offsets);
// those inputs need no copy at all. With batch > 1 each input is a strided set of slices, which
// the producing kernels cannot write (their output must be contiguous), so it is copied; a copy
// could be avoided there too by giving the conv kernels a batch stride.
#include <cstring>

#include "ops/op.h"

namespace studio {
namespace {

class ConcatOp final : public Op {
 public:
  ConcatOp(int64_t outer, std::vector<int64_t> chunks) : outer_(outer), chunks_(std::move(chunks)), view_(chunks_.size(), false) {}
  std::string kernel() const override {
    const size_t views = std::count(view_.begin(), view_.end(), true);
    return views == view_.size() ? "concat-view" : views == 0 ? "concat-copy" : "concat-partial-view";
  }
  std::vector<int64_t> view_offsets() const override {
    if (outer_ != 1) return {};
    std::vector<int64_t> off;
    int64_t at = 0;
    for (int64_t c : chunks_) off.push_back(at), at += c;
    return off;
  }
  void set_input_views(const std::vector<bool>& v) override { view_ = v; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    int64_t row = 0;
    for (int64_t c : chunks_) row += c;
    // Work items: (outer index, input) pairs that need a copy.
    const int64_t n = static_cast<int64_t>(chunks_.size());
    std::vector<int64_t> starts(n);
    for (int64_t i = 0, at = 0; i < n; ++i) starts[i] = at, at += chunks_[i];
    int64_t bytes = 0;
    for (int64_t i = 0; i < n; ++i)
      if (!view_[i]) bytes += chunks_[i] * outer_;
    const int64_t chunks = std::min<int64_t>(ctx.pool.size(), std::max<int64_t>(1, bytes / 32768));
    ctx.pool.parallel_for(chunks, [&](int64_t c0, int64_t c1) {
      const int64_t b = outer_ * n * c0 / chunks, e = outer_ * n * c1 / chunks;
      for (int64_t it = b; it < e; ++it) {
        const int64_t o = it / n, i = it % n;
        if (view_[i]) continue;
        std::memcpy(out[0] + o * row + starts[i], in[i] + o * chunks_[i], sizeof(float) * chunks_[i]);
      }
    });
  }

 private:
  int64_t outer_;
  std::vector<int64_t> chunks_;  // per input: elements from the axis inward
  std::vector<bool> view_;
};

class AliasOp final : public Op {
 public:
  std::string kernel() const override { return "alias"; }
  int alias_input() const override { return 0; }
  void run(const RunCtx&, const float* const*, float* const*) override {}
};

}  // namespace

OpPtr make_concat(const BuildCtx& ctx) {
  if (ctx.in.empty()) ctx.fail("expects at least one input");
  if (ctx.out.size() != 1) ctx.fail("expects 1 output");
  const Shape& s0 = ctx.input(0).shape;
  const int64_t rank = static_cast<int64_t>(s0.size());
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < -rank || axis >= rank) ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  Shape expect = s0;
  expect[axis] = 0;
  std::vector<int64_t> chunks;
  for (size_t i = 0; i < ctx.in.size(); ++i) {
    const Shape& s = ctx.input(i).shape;
    bool ok = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || s[d] == s0[d];
    if (!ok) ctx.fail("input '" + ctx.input(i).name + "' shape " + shape_str(s) + " does not match " + shape_str(s0) + " outside axis " + std::to_string(axis));
    expect[axis] += s[axis];
    int64_t chunk = 1;
    for (int64_t d = axis; d < rank; ++d) chunk *= s[d];
    chunks.push_back(chunk);
  }
  ctx.expect_output_shape(expect);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s0[d];
  return std::make_unique<ConcatOp>(outer, std::move(chunks));
}

OpPtr make_alias(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  if (ctx.input(0).size != ctx.output().size)
    ctx.fail("output '" + ctx.output().name + "' " + shape_str(ctx.output().shape) + " has a different element count than input " +
             shape_str(ctx.input(0).shape));
  return std::make_unique<AliasOp>();
}

}  // namespace studio
