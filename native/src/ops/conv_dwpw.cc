// DepthwisePointwise: a depthwise convolution feeding a 1x1 convolution, run over bands of output
// rows so that the depthwise result never leaves the cache (native/DESIGN.md, "Fused depthwise +
// pointwise"). The lowering (main/backends/native/passes/fuse-depthwise-pointwise.ts) emits it
// for a depthwise Conv whose output only a 1x1, stride-1, unpadded, ungrouped Conv reads.
//
//   Z = act_d(depthwise(X, Wd) + Bd)          [N, C, OH, OW], never stored whole
//   Y = act_p(Wp * Z + Bp + R)                [N, M, OH, OW]
//
// Per band of rows [r0, r1) of one image: the kernel table's depthwise_conv2d computes Z's band
// for every channel into a per-thread buffer (C x band pixels, sized to stay in L2), then sgemm
// multiplies it straight into Y's rows (ldc = OH*OW) with the pointwise epilogue. Unfused, Z is
// written whole and read back by the GEMM: at 56x56x144 that is 1.8 MB per image each way, more
// than an L2. Threads take whole bands (and images); when there are fewer bands than threads
// (one small image) the op runs in two phases instead, depthwise over channels then the GEMM
// split by rows and columns, as the separate nodes would.
#include <cmath>

#include "ops/conv.h"

namespace studio {
namespace {

// A band's depthwise output stays in L2 with room for its input rows, the GEMM's A panels and the
// output rows: 64 Ki floats (256 KB) of C x band pixels, and at most ~ the GEMM's column block
// (480 on AVX-512): a wider band would be cut by sgemm into column blocks anyway.
constexpr int64_t kBandFloats = int64_t(1) << 16;
constexpr int64_t kBandPixels = 480;

struct DwPwGeom {
  int64_t N, C, H, W, M, OH, OW;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

float activate(float v, Activation act, float lo, float hi) {
  if (act == Activation::Relu) return v > 0.f ? v : 0.f;
  if (act == Activation::Clip) return std::fmin(std::fmax(v, lo), hi);
  return v;
}

class DepthwisePointwise final : public Op {
 public:
  DepthwisePointwise(const BuildCtx& ctx, const DwPwGeom& g, const ConvEpilogue& dw_ep, const ConvEpilogue& pw_ep)
      : g_(g), dw_ep_(dw_ep), pw_ep_(pw_ep) {
    const int64_t taps = g.kh * g.kw;
    wd_.reset(static_cast<size_t>(g.C * taps));
    std::copy(ctx.input(1).constant, ctx.input(1).constant + g.C * taps, wd_.data());
    if (const TensorInfo* b = ctx.optional(2)) bd_.assign(b->constant, b->constant + g.C);
    if (const TensorInfo* b = ctx.optional(4)) bp_.assign(b->constant, b->constant + g.M);
    wp_.reset(ctx.k.packed_a_size(g.M, g.C));
    ctx.k.pack_a(ctx.input(3).constant, g.C, false, g.M, g.C, wp_.data());
    threads_ = threads_for(g.N * g.C * g.OH * g.OW * (taps + g.M), ctx.threads);
    pool_threads_ = std::max(1, ctx.threads);
    choose_bands();
  }

  std::string kernel() const override { return "depthwise-pointwise-fused"; }
  size_t owned_bytes() const override { return wd_.bytes() + wp_.bytes() + sizeof(float) * (bd_.size() + bp_.size()); }
  // Weights and biases are copied (packed) at plan time; X and the residual are read at run time.
  bool reads_input_at_run(size_t i) const override { return i == 0 || i == 5; }
  // The GEMM epilogue reads each residual element before it writes that output element, and no
  // band reads another band's output rows.
  int inplace_input() const override { return 5; }
  size_t workspace_floats() const override {
    const size_t banded = static_cast<size_t>(pool_threads_) * static_cast<size_t>(band_stride_);
    return std::max(banded, static_cast<size_t>(g_.C * g_.OH * g_.OW));
  }
  int64_t batch_images() const override { return g_.N; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override { run_images(ctx, in, out, 0, g_.N); }

  void run_images(const RunCtx& ctx, const float* const* in, float* const* out, int64_t i0, int64_t i1) override {
    const int64_t items = (i1 - i0) * bands_;
    if (threads_ > 1 && items < threads_) {
      for (int64_t n = i0; n < i1; ++n) two_phase(ctx, in, out, n);
      return;
    }
    const int chunks = static_cast<int>(std::min<int64_t>(items, threads_));
    ctx.pool.run(chunks, [&](int chunk, int thread) {
      float* buf = ctx.workspace + static_cast<int64_t>(thread) * band_stride_;
      const int64_t b = items * chunk / chunks, e = items * (chunk + 1) / chunks;
      for (int64_t it = b; it < e; ++it) {
        const int64_t n = i0 + it / bands_, r0 = (it % bands_) * rows_;
        band(ctx, in, out, n, r0, std::min(g_.OH, r0 + rows_), buf);
      }
    });
  }

 private:
  /**
   * Rows per band: about kBandPixels and kBandFloats / C, a multiple of 16 pixels where the row
   * width allows (the GEMM's vectors then have no ragged tail). A band re-reads the pointwise
   * weights (M x C): when that would cost more than the depthwise output it keeps in cache
   * (Xception's 728 x 728 weights on 19x19 images), the band is the whole image.
   */
  void choose_bands() {
    const int64_t OH = g_.OH, OW = g_.OW, px = OH * OW;
    int64_t rows = std::max<int64_t>(1, std::min(kBandPixels, kBandFloats / g_.C) / OW);
    int64_t q = 16;
    for (int64_t w = OW; q > 1 && w % 2 == 0; w /= 2) q /= 2;  // rows whose pixels make 16s
    if (rows >= q) rows = rows / q * q;
    rows = std::min(rows, OH);
    int64_t bands = ceil_div(OH, rows);
    if ((bands - 1) * g_.M > px) bands = 1, rows = OH;
    // One image cut into fewer bands than threads would leave a thread idle: cut it evenly.
    if (bands > 1 && g_.N < threads_ && bands % threads_ != 0) {
      bands = std::min(OH, round_up(bands, threads_));
      rows = ceil_div(OH, bands);
      bands = ceil_div(OH, rows);
    }
    rows_ = rows;
    bands_ = bands;
    band_stride_ = round_up(g_.C * rows * OW, 16);
  }

  Epilogue dw_epilogue(int64_t c) const {
    return dw_ep_.make(bd_.empty() ? nullptr : bd_.data() + c, nullptr, 0);
  }

  /** Output rows [r0, r1) of image n: the depthwise band into buf, then the GEMM into Y. */
  void band(const RunCtx& ctx, const float* const* in, float* const* out, int64_t n, int64_t r0, int64_t r1,
            float* buf) const {
    const DwPwGeom& g = g_;
    const int64_t plane = g.H * g.W, opx = g.OH * g.OW, rows = r1 - r0, bp = rows * g.OW;
    const float* x = in[0] + n * g.C * plane;
    if (bands_ == 1) {
      ctx.k.depthwise_conv2d(x, 0, g.C, g.H, g.W, plane, wd_.data(), int(g.kh), int(g.kw), int(g.sh), int(g.sw),
                             int(g.dh), int(g.dw), int(g.pt), int(g.pl), g.OH, g.OW, buf, dw_epilogue(0));
    } else {
      // Input rows the band's windows reach, [lo, hi) in image rows (negative: top padding). Only
      // those inside the image are passed, as a shorter image whose top padding is what the band
      // still needs (rows past its end are bottom padding or never read), with the image's plane
      // as the channel stride: one kernel call for every channel of the band.
      const int64_t lo = r0 * g.sh - g.pt, hi = (r1 - 1) * g.sh - g.pt + (g.kh - 1) * g.dh + 1;
      const int64_t a = std::max<int64_t>(lo, 0), b = std::min(hi, g.H);
      if (b <= a) {  // every window of the band lies in the padding: only the bias is left
        for (int64_t c = 0; c < g.C; ++c) {
          const float v = activate(bd_.empty() ? 0.f : bd_[c], dw_ep_.act, dw_ep_.lo, dw_ep_.hi);
          std::fill(buf + c * bp, buf + (c + 1) * bp, v);
        }
      } else {
        ctx.k.depthwise_conv2d(x + a * g.W, 0, g.C, b - a, g.W, plane, wd_.data(), int(g.kh), int(g.kw), int(g.sh),
                               int(g.sw), int(g.dh), int(g.dw), int(a - lo), int(g.pl), rows, g.OW, buf,
                               dw_epilogue(0));
      }
    }
    const int64_t yoff = n * g.M * opx + r0 * g.OW;
    const float* res = in[5] ? in[5] + yoff : nullptr;
    ctx.k.sgemm(wp_.data(), g.M, g.C, 0, g.M, buf, bp, false, 0, bp, out[0] + yoff, opx,
                pw_ep_.make(bp_.empty() ? nullptr : bp_.data(), res, opx));
  }

  /** One image, whole: the depthwise over channel ranges, then the GEMM split over threads. */
  void two_phase(const RunCtx& ctx, const float* const* in, float* const* out, int64_t n) const {
    const DwPwGeom& g = g_;
    const int64_t opx = g.OH * g.OW;
    const float* x = in[0] + n * g.C * g.H * g.W;
    float* z = ctx.workspace;
    ctx.pool.parallel_for_upto(g.C, threads_, [&](int64_t c0, int64_t c1) {
      ctx.k.depthwise_conv2d(x, c0, c1, g.H, g.W, g.H * g.W, wd_.data(), int(g.kh), int(g.kw), int(g.sh), int(g.sw),
                             int(g.dh), int(g.dw), int(g.pt), int(g.pl), g.OH, g.OW, z, dw_epilogue(0));
    });
    GemmSplit sp;
    sp.choose(1, g.M, opx, ctx.k.mr, threads_, 64);
    const int64_t yoff = n * g.M * opx;
    const Epilogue ep = pw_ep_.make(bp_.empty() ? nullptr : bp_.data(), in[5] ? in[5] + yoff : nullptr, opx);
    ctx.pool.parallel_for_upto(sp.items(1), threads_, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        int64_t m0, m1, n0, n1;
        sp.row_range(it / sp.col_blocks, &m0, &m1);
        sp.col_range(it % sp.col_blocks, &n0, &n1);
        ctx.k.sgemm(wp_.data(), g.M, g.C, m0, m1, z, opx, false, n0, n1, out[0] + yoff, opx, ep);
      }
    });
  }

  DwPwGeom g_;
  ConvEpilogue dw_ep_, pw_ep_;
  AlignedFloats wd_, wp_;  // depthwise weights [C, kh*kw]; pointwise weights packed (pack_a)
  std::vector<float> bd_, bp_;
  int threads_ = 1, pool_threads_ = 1;
  int64_t rows_ = 1, bands_ = 1, band_stride_ = 0;

};

/** A 2-D spatial attribute of the depthwise part: `n` values, each at least `min`. */
std::vector<int64_t> spatial2d(const BuildCtx& ctx, const char* name, size_t n, int64_t def, int64_t min) {
  std::vector<int64_t> v = ctx.attr_ints(name, std::vector<int64_t>(n, def));
  if (v.size() != n)
    ctx.fail(std::string("attribute '") + name + "' must have " + std::to_string(n) + " values, got " +
             std::to_string(v.size()));
  for (int64_t x : v)
    if (x < min || x > (1 << 20)) ctx.fail(std::string("attribute '") + name + "' has an invalid value " + std::to_string(x));
  return v;
}

/** 'none' | 'relu' | 'clip' from attributes `<prefix>activation`, `<prefix>clip_min`, `<prefix>clip_max`. */
ConvEpilogue epilogue_attrs(const BuildCtx& ctx, const std::string& prefix) {
  ConvEpilogue ep;
  const std::string a = ctx.attr_str((prefix + "activation").c_str(), "none");
  if (a == "none" || a.empty()) return ep;
  if (a == "relu") {
    ep.act = Activation::Relu;
    return ep;
  }
  if (a != "clip") ctx.fail("unknown " + prefix + "activation '" + a + "' (expected none, relu or clip)");
  ep.act = Activation::Clip;
  ep.lo = static_cast<float>(ctx.attr_float((prefix + "clip_min").c_str(), -INFINITY));
  ep.hi = static_cast<float>(ctx.attr_float((prefix + "clip_max").c_str(), INFINITY));
  if (ep.lo > ep.hi) ctx.fail(prefix + "clip_min > " + prefix + "clip_max");
  return ep;
}

}  // namespace

OpPtr make_depthwise_pointwise(const BuildCtx& ctx) {
  ctx.arity(4, 6);
  const TensorInfo& X = ctx.input(0);
  const TensorInfo& Wd = ctx.constant(1, "depthwise weight");
  const TensorInfo& Wp = ctx.constant(3, "pointwise weight");
  if (X.shape.size() != 4) ctx.fail("input must be NCHW (rank 4), got " + shape_str(X.shape));
  DwPwGeom g{};
  g.N = X.shape[0], g.C = X.shape[1], g.H = X.shape[2], g.W = X.shape[3];
  if (Wd.shape.size() != 4 || Wd.shape[0] != g.C || Wd.shape[1] != 1)
    ctx.fail("depthwise weight shape " + shape_str(Wd.shape) + " must be [C, 1, kh, kw] with C = " + std::to_string(g.C));
  g.kh = Wd.shape[2], g.kw = Wd.shape[3];
  if (Wp.shape.size() != 4 || Wp.shape[1] != g.C || Wp.shape[2] != 1 || Wp.shape[3] != 1)
    ctx.fail("pointwise weight shape " + shape_str(Wp.shape) + " must be [M, C, 1, 1] with C = " + std::to_string(g.C));
  g.M = Wp.shape[0];
  if (ctx.has("group") && ctx.attr_int("group", 1) != g.C)
    ctx.fail("attribute 'group' must equal the channels " + std::to_string(g.C) + " (a depthwise convolution)");
  if (ctx.has("kernel")) {
    const auto k = spatial2d(ctx, "kernel", 2, 1, 1);
    if (k[0] != g.kh || k[1] != g.kw) ctx.fail("attribute 'kernel' does not match weight shape " + shape_str(Wd.shape));
  }
  const auto s = spatial2d(ctx, "strides", 2, 1, 1);
  const auto d = spatial2d(ctx, "dilations", 2, 1, 1);
  const auto p = spatial2d(ctx, "pads", 4, 0, 0);
  g.sh = s[0], g.sw = s[1], g.dh = d[0], g.dw = d[1], g.pt = p[0], g.pl = p[1], g.pb = p[2], g.pr = p[3];
  conv_output_plane(ctx, g, X.shape);
  ctx.expect_output_shape(Shape{g.N, g.M, g.OH, g.OW});
  if (const TensorInfo* B = ctx.optional(2))
    if (B->size != g.C || !B->constant)
      ctx.fail("depthwise bias '" + B->name + "' must be a constant of shape [" + std::to_string(g.C) + "], got " +
               shape_str(B->shape));
  if (const TensorInfo* B = ctx.optional(4))
    if (B->size != g.M || !B->constant)
      ctx.fail("pointwise bias '" + B->name + "' must be a constant of shape [" + std::to_string(g.M) + "], got " +
               shape_str(B->shape));
  if (const TensorInfo* R = ctx.optional(5))
    if (R->shape != ctx.output().shape)
      ctx.fail("residual '" + R->name + "' has shape " + shape_str(R->shape) + ", expected the output's " +
               shape_str(ctx.output().shape));
  return std::make_unique<DepthwisePointwise>(ctx, g, epilogue_attrs(ctx, "dw_"), epilogue_attrs(ctx, ""));
}

}  // namespace studio
