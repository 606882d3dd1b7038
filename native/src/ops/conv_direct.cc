// Direct convolution for few input channels (KernelTable::conv_direct): ResNet's 7x7 stride-2
// stem over 3 channels and the like. The im2col route would expand a 147-row column matrix and
// stream it from L2 through the GEMM at about 60% of peak; the kernel builds each output row's
// taps from stride phases of the input rows, which stay in L1 (kernels/simd/conv_direct_impl.h).
// Work is split over output rows of the whole batch, contiguous per thread.
#include "ops/conv.h"

namespace studio {
namespace {

class ConvDirect final : public Op {
 public:
  ConvDirect(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep) : g_(g), ep_(ep) {
    K_ = g.C * g.kh * g.kw;
    w_.pack(ctx.k, ctx.input(1).constant, 1, g.M, K_);
    geom_.C = g.C, geom_.H = g.H, geom_.W = g.W;
    geom_.kh = int(g.kh), geom_.kw = int(g.kw), geom_.sh = int(g.sh), geom_.sw = int(g.sw);
    geom_.dh = int(g.dh), geom_.dw = int(g.dw), geom_.pad_top = int(g.pt), geom_.pad_left = int(g.pl);
    geom_.OH = g.OH, geom_.OW = g.OW;
    threads_ = threads_for(g.N * g.M * K_ * g.OH * g.OW, ctx.threads);
  }
  std::string kernel() const override { return "direct-conv"; }
  size_t owned_bytes() const override { return w_.data.bytes(); }
  bool reads_input_at_run(size_t i) const override { return i != 1; }
  int inplace_input() const override { return 3; }  // each residual element is read before it is written

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    const int64_t rows = g_.N * g_.OH, plane = g_.OH * g_.OW;
    ctx.pool.parallel_for_upto(rows, threads_, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1;) {  // one call per image's part of [r0, r1)
        const int64_t n = r / g_.OH, oy0 = r % g_.OH, oy1 = std::min(g_.OH, oy0 + (r1 - r));
        const int64_t yoff = n * g_.M * plane;
        const Epilogue ep = ep_.make(bias, res ? res + yoff : nullptr, plane);
        ctx.k.conv_direct(geom_, x + n * g_.C * g_.H * g_.W, w_.group(0), 0, g_.M, oy0, oy1, y + yoff, ep);
        r += oy1 - oy0;
      }
    });
  }

 private:
  ConvGeom g_;
  ConvEpilogue ep_;
  Im2colGeom geom_;
  int64_t K_ = 0;
  int threads_ = 1;
  PackedGroups w_;
};

}  // namespace

bool conv_direct_fits(const KernelTable& k, const ConvGeom& g) {
  // Few channels (each tap a phase row: C*kh*sw rows must stay in L1 with the weights), column
  // stride 1-2, enough output channels to fill the register tile's rows.
  return k.conv_direct != nullptr && g.group == 1 && g.C <= 4 && (g.sw == 1 || g.sw == 2) && g.M >= 16 &&
         g.C * g.kh * g.sw <= 64 && g.W <= 4096;
}

OpPtr make_conv_direct(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep) {
  return std::make_unique<ConvDirect>(ctx, g, ep);
}

}  // namespace studio
