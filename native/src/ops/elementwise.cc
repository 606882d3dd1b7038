// Unary element-wise operators (Relu, Clip, Sigmoid) and ChannelAffine (a BatchNormalization the
// lowering could not fold into a convolution). All may run in place.
#include <cmath>

#include "ops/op.h"

namespace studio {
namespace {

// Below this many elements per thread, waking more threads costs more than it saves.
constexpr int64_t kGrain = 16384;

template <class F>
void split_elements(const RunCtx& ctx, int64_t n, F&& f) {
  const int64_t chunks = std::min<int64_t>(ctx.pool.size(), std::max<int64_t>(1, n / kGrain));
  ctx.pool.run(static_cast<int>(chunks), [&](int i, int) {
    // Chunk bounds at multiples of 16 floats (64 bytes): no two threads share a cache line.
    const int64_t v = ceil_div(n, 16);
    const int64_t b = std::min(n, v * i / chunks * 16), e = std::min(n, v * (i + 1) / chunks * 16);
    if (b < e) f(b, e);
  });
}

class UnaryOp final : public Op {
 public:
  enum class Kind { Relu, Clip, Sigmoid };
  UnaryOp(Kind k, int64_t n, float lo, float hi) : kind_(k), n_(n), lo_(lo), hi_(hi) {}
  std::string kernel() const override {
    return kind_ == Kind::Relu ? "relu" : kind_ == Kind::Clip ? "clip" : "sigmoid";
  }
  int inplace_input() const override { return 0; }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    float* y = out[0];
    split_elements(ctx, n_, [&](int64_t b, int64_t e) {
      switch (kind_) {
        case Kind::Relu:
          ctx.k.relu(x + b, y + b, e - b);
          break;
        case Kind::Clip:
          ctx.k.clip(x + b, y + b, e - b, lo_, hi_);
          break;
        case Kind::Sigmoid:
          for (int64_t i = b; i < e; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
          break;
      }
    });
  }

 private:
  Kind kind_;
  int64_t n_;
  float lo_, hi_;
};

class ChannelAffineOp final : public Op {
 public:
  ChannelAffineOp(int64_t N, int64_t C, int64_t plane) : N_(N), C_(C), plane_(plane) {}
  std::string kernel() const override { return "channel-affine"; }
  int inplace_input() const override { return 0; }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    const float* scale = in[1];
    const float* shift = in[2];
    float* y = out[0];
    ctx.pool.parallel_for(N_ * C_, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t c = p % C_;
        ctx.k.affine(x + p * plane_, y + p * plane_, plane_, scale[c], shift[c]);
      }
    });
  }

 private:
  int64_t N_, C_, plane_;
};

}  // namespace

OpPtr make_unary(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const TensorInfo& x = ctx.input(0);
  ctx.expect_output_shape(x.shape);
  if (ctx.node.op == "Relu") return std::make_unique<UnaryOp>(UnaryOp::Kind::Relu, x.size, 0.f, 0.f);
  if (ctx.node.op == "Sigmoid") return std::make_unique<UnaryOp>(UnaryOp::Kind::Sigmoid, x.size, 0.f, 0.f);
  const float lo = static_cast<float>(ctx.attr_float("min", -INFINITY));
  const float hi = static_cast<float>(ctx.attr_float("max", INFINITY));
  if (std::isnan(lo) || std::isnan(hi)) ctx.fail("min and max must be numbers");
  return std::make_unique<UnaryOp>(UnaryOp::Kind::Clip, x.size, lo, hi);
}

OpPtr make_channel_affine(const BuildCtx& ctx) {
  ctx.arity(3, 3);
  const TensorInfo& x = ctx.input(0);
  if (x.shape.size() < 2) ctx.fail("input must have a channel axis (rank >= 2), got " + shape_str(x.shape));
  const int64_t N = x.shape[0], C = x.shape[1];
  for (size_t i = 1; i <= 2; ++i)
    if (ctx.input(i).size != C)
      ctx.fail((i == 1 ? "scale '" : "shift '") + ctx.input(i).name + "' has shape " + shape_str(ctx.input(i).shape) +
               ", expected [" + std::to_string(C) + "]");
  ctx.expect_output_shape(x.shape);
  return std::make_unique<ChannelAffineOp>(N, C, N * C != 0 ? x.size / (N * C) : 0);
}

}  // namespace studio
