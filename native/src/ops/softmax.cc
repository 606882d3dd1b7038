// Softmax (opset 13: along one axis; coerce2d = 1 gives the older opsets' flatten-to-2D meaning)
// and LRN (ONNX: y = x / (bias + alpha/size * sum of x^2 over a window of `size` channels)^beta).
#include <cmath>
#include <limits>
#include <vector>

#include "ops/op.h"

namespace studio {
namespace {

class SoftmaxOp final : public Op {
 public:
  SoftmaxOp(int64_t outer, int64_t len, int64_t inner) : outer_(outer), len_(len), inner_(inner) {}
  std::string kernel() const override { return "softmax"; }
  int inplace_input() const override { return 0; }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    float* y = out[0];
    // Per row: a max, an exp and a scale per element (the exp counted as several operations).
    ctx.pool.parallel_for_grain(outer_ * inner_, grain_for(8 * len_), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t o = r / inner_, i = r % inner_;
        const float* xr = x + o * len_ * inner_ + i;
        float* yr = y + o * len_ * inner_ + i;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t k = 0; k < len_; ++k) mx = std::max(mx, xr[k * inner_]);
        double sum = 0;
        for (int64_t k = 0; k < len_; ++k) {
          const float v = std::exp(xr[k * inner_] - mx);
          yr[k * inner_] = v;
          sum += v;
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t k = 0; k < len_; ++k) yr[k * inner_] *= inv;
      }
    });
  }

 private:
  int64_t outer_, len_, inner_;
};

class LrnOp final : public Op {
 public:
  LrnOp(int64_t N, int64_t C, int64_t plane, int64_t size, float alpha, float beta, float bias, int threads)
      : N_(N), C_(C), plane_(plane), size_(size), alpha_(alpha), beta_(beta), bias_(bias), threads_(threads) {}
  std::string kernel() const override { return "lrn"; }
  size_t workspace_floats() const override { return static_cast<size_t>(threads_ * round_up(plane_, 16)); }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    float* y = out[0];
    // Window [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the channels.
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const float scale = alpha_ / static_cast<float>(size_);
    ctx.pool.parallel_for_t(N_ * C_, [&](int64_t b, int64_t e, int tid) {
      float* acc = ctx.workspace + tid * round_up(plane_, 16);
      for (int64_t p = b; p < e; ++p) {
        const int64_t n = p / C_, c = p % C_;
        const int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min(C_ - 1, c + after);
        std::fill(acc, acc + plane_, 0.f);
        for (int64_t q = c0; q <= c1; ++q) {
          const float* xq = x + (n * C_ + q) * plane_;
          for (int64_t i = 0; i < plane_; ++i) acc[i] += xq[i] * xq[i];
        }
        const float* xc = x + p * plane_;
        float* yc = y + p * plane_;
        for (int64_t i = 0; i < plane_; ++i) yc[i] = xc[i] * std::pow(bias_ + scale * acc[i], -beta_);
      }
    });
  }

 private:
  int64_t N_, C_, plane_, size_;
  float alpha_, beta_, bias_;
  int threads_;
};

}  // namespace

OpPtr make_softmax(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const Shape& s = ctx.input(0).shape;
  ctx.expect_output_shape(s);
  const int64_t rank = static_cast<int64_t>(s.size());
  if (rank == 0) ctx.fail("input must have rank >= 1");
  int64_t axis = ctx.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  if (ctx.attr_int("coerce2d", 0) != 0) {
    for (int64_t d = axis; d < rank; ++d) len *= s[d];
  } else {
    len = s[axis];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= s[d];
  }
  return std::make_unique<SoftmaxOp>(outer, len, inner);
}

OpPtr make_lrn(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const Shape& s = ctx.input(0).shape;
  if (s.size() < 3) ctx.fail("input must be NCHW-like (rank >= 3), got " + shape_str(s));
  ctx.expect_output_shape(s);
  if (!ctx.has("size")) ctx.fail("attribute 'size' is required");
  const int64_t size = ctx.attr_int("size", 1);
  if (size < 1) ctx.fail("attribute 'size' must be >= 1");
  const int64_t N = s[0], C = s[1];
  return std::make_unique<LrnOp>(N, C, N * C != 0 ? ctx.input(0).size / (N * C) : 0, size,
                                 static_cast<float>(ctx.attr_float("alpha", 1e-4)),
                                 static_cast<float>(ctx.attr_float("beta", 0.75)),
                                 static_cast<float>(ctx.attr_float("bias", 1.0)), ctx.threads);
}

}  // namespace studio
