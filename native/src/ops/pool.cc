// MaxPool / AveragePool (kernel table, parallel over the N*C planes) and the global pools.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/op.h"

namespace studio {
namespace {

struct PoolGeom {
  int64_t N, C, H, W, OH, OW;
  int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

/** ONNX output size, floor or ceil mode (a ceil-mode window must start inside input + begin pad). */
int64_t pool_out(int64_t in, int64_t pb, int64_t pe, int64_t k, int64_t s, int64_t d, bool ceil_mode) {
  const int64_t span = in + pb + pe - ((k - 1) * d + 1);
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) out -= 1;
  return out;
}

class PoolOp final : public Op {
 public:
  PoolOp(const BuildCtx& ctx, const PoolGeom& g, bool max, bool include_pad) : g_(g), max_(max), include_pad_(include_pad) {}
  std::string kernel() const override { return max_ ? "maxpool" : "avgpool"; }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const int64_t C = g_.C, ip = g_.H * g_.W, op = g_.OH * g_.OW;
    ctx.pool.parallel_for_grain(g_.N * C, grain_for(op * g_.kh * g_.kw), [&](int64_t b, int64_t e) {
      while (b < e) {
        const int64_t n = b / C, c0 = b % C, c1 = std::min(C, c0 + (e - b));
        const float* x = in[0] + n * C * ip;
        float* y = out[0] + n * C * op;
        if (max_)
          ctx.k.maxpool2d(x, c0, c1, g_.H, g_.W, g_.kh, g_.kw, g_.sh, g_.sw, g_.dh, g_.dw, g_.pt, g_.pl, g_.OH, g_.OW, y);
        else
          ctx.k.avgpool2d(x, c0, c1, g_.H, g_.W, g_.kh, g_.kw, g_.sh, g_.sw, g_.pt, g_.pl, g_.pb, g_.pr, include_pad_,
                          g_.OH, g_.OW, y);
        b += c1 - c0;
      }
    });
  }

 private:
  PoolGeom g_;
  bool max_, include_pad_;
};

/**
 * GlobalAveragePool / GlobalMaxPool: a pool whose window is the whole plane, so the kernel
 * table's pools run it (their global path: each plane reduced in vectors, W channels' results
 * gathered by a transposition tree; see kernels/simd/pool_impl.h). The plane is passed as one
 * row of `size` floats, which also covers rank-3 and rank-5 inputs.
 */
class GlobalPoolOp final : public Op {
 public:
  GlobalPoolOp(int64_t planes, int64_t size, bool max) : planes_(planes), size_(size), max_(max) {}
  std::string kernel() const override { return max_ ? "global-maxpool" : "global-avgpool"; }
  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    float* y = out[0];
    const int s = static_cast<int>(size_);
    if (s == 0) {  // empty planes: the reductions' values over nothing (max -inf, mean 0/0)
      const float v = max_ ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
      std::fill(y, y + planes_, v);
      return;
    }
    ctx.pool.parallel_for_grain(planes_, grain_for(size_), [&](int64_t b, int64_t e) {
      if (max_) ctx.k.maxpool2d(x, b, e, 1, s, 1, s, 1, 1, 1, 1, 0, 0, 1, 1, y);
      else ctx.k.avgpool2d(x, b, e, 1, s, 1, s, 1, 1, 0, 0, 0, 0, false, 1, 1, y);
    });
  }

 private:
  int64_t planes_, size_;
  bool max_;
};

std::vector<int64_t> pool_attr(const BuildCtx& ctx, const char* name, size_t dims, int64_t def, bool pads, bool required) {
  const size_t n = pads ? 2 * dims : dims;
  if (required && !ctx.has(name)) ctx.fail(std::string("attribute '") + name + "' is required");
  std::vector<int64_t> v = ctx.attr_ints(name, std::vector<int64_t>(n, def));
  if (v.size() != n)
    ctx.fail(std::string("attribute '") + name + "' must have " + std::to_string(n) + " values, got " + std::to_string(v.size()));
  for (int64_t x : v)
    if (pads ? (x < 0 || x > 1 << 20) : (x < 1 || x > 1 << 20))
      ctx.fail(std::string("attribute '") + name + "' has an invalid value " + std::to_string(x));
  if (dims == 2) return v;
  return pads ? std::vector<int64_t>{0, v[0], 0, v[1]} : std::vector<int64_t>{1, v[0]};
}

}  // namespace

OpPtr make_pool(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const bool max = ctx.node.op == "MaxPool";
  const Shape& xs = ctx.input(0).shape;
  if (xs.size() != 3 && xs.size() != 4) ctx.fail("input must be NCHW (rank 4) or NCW (rank 3), got " + shape_str(xs));
  const size_t dims = xs.size() - 2;
  const auto k = pool_attr(ctx, "kernel", dims, 1, false, true);
  const auto s = pool_attr(ctx, "strides", dims, 1, false, false);
  const auto d = pool_attr(ctx, "dilations", dims, 1, false, false);
  const auto p = pool_attr(ctx, "pads", dims, 0, true, false);
  if (!max && (d[0] != 1 || d[1] != 1)) ctx.fail("dilations are not supported for AveragePool");
  PoolGeom g{};
  g.N = xs[0], g.C = xs[1], g.H = dims == 2 ? xs[2] : 1, g.W = xs.back();
  g.kh = int(k[0]), g.kw = int(k[1]), g.sh = int(s[0]), g.sw = int(s[1]), g.dh = int(d[0]), g.dw = int(d[1]);
  g.pt = int(p[0]), g.pl = int(p[1]), g.pb = int(p[2]), g.pr = int(p[3]);
  if (g.pt >= (g.kh - 1) * g.dh + 1 || g.pb >= (g.kh - 1) * g.dh + 1 || g.pl >= (g.kw - 1) * g.dw + 1 ||
      g.pr >= (g.kw - 1) * g.dw + 1)
    ctx.fail("pads must be smaller than the (dilated) kernel");
  const Shape& ys = ctx.output().shape;
  if (ys.size() != xs.size() || ys[0] != g.N || ys[1] != g.C) ctx.fail("output shape " + shape_str(ys) + " does not match input " + shape_str(xs));
  g.OH = dims == 2 ? ys[2] : 1;
  g.OW = ys.back();
  // ceil_mode is applied in desc.shapes already: accept either rounding, reject anything else.
  for (int ax = 0; ax < int(dims); ++ax) {
    const bool h = dims == 2 && ax == 0;
    const int64_t in = h ? g.H : g.W, o = h ? g.OH : g.OW;
    const int64_t args[5] = {h ? g.pt : g.pl, h ? g.pb : g.pr, h ? g.kh : g.kw, h ? g.sh : g.sw, h ? g.dh : g.dw};
    if (o < 1 || (o != pool_out(in, args[0], args[1], args[2], args[3], args[4], false) &&
                  o != pool_out(in, args[0], args[1], args[2], args[3], args[4], true)))
      ctx.fail("output shape " + shape_str(ys) + " is inconsistent with input " + shape_str(xs) +
               " and the kernel/strides/pads/dilations");
  }
  return std::make_unique<PoolOp>(ctx, g, max, ctx.attr_int("count_include_pad", 0) != 0);
}

OpPtr make_global_pool(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const Shape& xs = ctx.input(0).shape;
  if (xs.size() < 3) ctx.fail("input must have rank >= 3, got " + shape_str(xs));
  Shape expect = {xs[0], xs[1]};
  expect.resize(xs.size(), 1);
  ctx.expect_output_shape(expect);
  const int64_t planes = xs[0] * xs[1];
  const int64_t size = ctx.input(0).size / std::max<int64_t>(planes, 1);
  if (size > std::numeric_limits<int>::max())
    ctx.fail("global pooling supports up to 2^31-1 values per channel, got " + std::to_string(size));
  return std::make_unique<GlobalPoolOp>(planes, size, ctx.node.op == "GlobalMaxPool");
}

}  // namespace studio
