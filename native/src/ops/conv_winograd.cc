// winograd-f2 / winograd-f4: 3x3, stride 1, dilation 1, group 1 convolutions as Winograd
// F(2x2,3x3) (alpha = 4: 16 products per 4 outputs instead of 36, 2.25x fewer) or F(4x4,3x3)
// (alpha = 6: 36 per 16, 4x fewer; points 0, -1, 1, 1/2, -2). Chosen by make_conv (conv.cc,
// choose_winograd below); native/DESIGN.md "Winograd" has the rule, its measurements and the
// error bound.
//
//  plan time: U = G g G^T per (out, in) channel pair, alpha^2 matrices of M x C, each packed with
//             KernelTable::pack_a, so the tuned SGEMM micro-kernel does the batched products.
//  run:       the output tiles of the whole batch (numbered as in kernels.h WinogradGeom) are cut
//             into blocks of a multiple of 16 tiles, about 48 (the AVX-512 tile width). Per block:
//               V[xi] (C x T)  = input transform of every channel   (KernelTable::winograd_input)
//               M[xi] (M x T)  = U[xi] * V[xi], alpha^2 GEMMs      (KernelTable::sgemm, B in place)
//               y              = output transform + bias, residual, activation (winograd_output)
//             Enough blocks: each thread runs whole blocks in its own workspace slice. Fewer
//             blocks than about 4 per thread (batch 1): all threads share each block, splitting
//             the input transform over channels, the alpha^2 GEMMs, and the output transform over
//             output channels (three pool calls per block).
#include <cstdlib>
#include <numeric>
#include <string>

#include "ops/conv.h"

namespace studio {
namespace {

class ConvWinograd final : public Op {
 public:
  ConvWinograd(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, int m) : g_(g), ep_(ep) {
    wg_.m = m;
    wg_.C = g.C, wg_.H = g.H, wg_.W = g.W;
    wg_.M = g.M, wg_.OH = g.OH, wg_.OW = g.OW;
    wg_.pad_top = g.pt, wg_.pad_left = g.pl;
    wg_.TY = ceil_div(g.OH, m), wg_.TX = ceil_div(g.OW, m);
    A2_ = (m + 2) * (m + 2);
    tiles_ = g.N * wg_.TY * wg_.TX;
    {
      AlignedFloats u;
      u.reset(static_cast<size_t>(A2_ * g.M * g.C));
      winograd_weights(m, ctx.input(1).constant, g.M, g.C, u.data());
      u_.pack(ctx.k, u.data(), A2_, g.M, g.C);
    }
    threads_ = threads_for(g.N * g.M * g.C * g.OH * g.OW * 9, ctx.threads);
    // Shared blocks only where the tiles are too few for whole blocks per thread and the
    // transformed weights too large to stream once per thread (DESIGN.md "Winograd", threads).
    const int64_t u_bytes = A2_ * g.M * g.C * int64_t(sizeof(float));
    shared_ = threads_ > 1 && tiles_ < kMinTilesPerThread * threads_ && u_bytes > kPrivateWeightBytes;
    if (!shared_) {
      // Each thread a contiguous range of tiles, cut into blocks of a multiple of 16 tiles, at
      // most kBlockTiles; a remainder under 16 joins the last block (block_end). ldt: the widest.
      const int64_t per = ceil_div(tiles_, threads_);
      tb_ = round_up(ceil_div(per, ceil_div(per, kBlockTiles)), 16);
      int64_t widest = 1;
      for (int c = 0; c < threads_; ++c)
        for (int64_t t0 = tiles_ * c / threads_, r1 = tiles_ * (c + 1) / threads_, t1; t0 < r1; t0 = t1) {
          t1 = block_end(t0, r1);
          widest = std::max(widest, t1 - t0);
        }
      ldt_ = round_up(widest, 16);
    } else {
      // Blocks of a multiple of 16 tiles (the last one shorter): the GEMM's tile kernel runs whole
      // vectors of columns. An even split (196 F(4x4) tiles of a 56x56 image as 5 x 40) sent each
      // block to the narrow kernel: 0.44 ms of GEMMs for that layer instead of 0.31 with 48-tile
      // blocks (avx512, Zen 5, min of 30).
      tb_ = round_up(ceil_div(tiles_, ceil_div(tiles_, kBlockTiles)), 16);
      blocks_ = ceil_div(tiles_, tb_);
      ldt_ = tb_;
    }
    ldv_ = g.C * ldt_ + kSkew;
    ldm_ = g.M * ldt_ + kSkew;
  }
  std::string kernel() const override { return wg_.m == 4 ? "winograd-f4" : "winograd-f2"; }
  size_t owned_bytes() const override { return u_.data.bytes(); }
  size_t workspace_floats() const override { return static_cast<size_t>(shared_ ? 1 : threads_) * slice(); }
  bool reads_input_at_run(size_t i) const override { return i != 1; }
  // The output transform reads each residual element right before it writes the same element.
  int inplace_input() const override { return 3; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    const Epilogue ep = ep_.make(bias, res, 0);
    if (!shared_) {
      ctx.pool.run(threads_, [&](int chunk, int) {
        float* V = ctx.workspace + static_cast<size_t>(chunk) * slice();
        float* Mt = V + vfloats();
        for (int64_t t0 = tiles_ * chunk / threads_, r1 = tiles_ * (chunk + 1) / threads_, t1; t0 < r1; t0 = t1) {
          t1 = block_end(t0, r1);
          ctx.k.winograd_input(wg_, x, 0, g_.C, t0, t1, V, ldv_, ldt_);
          for (int64_t xi = 0; xi < A2_; ++xi) gemm(ctx, xi, 0, g_.M, t1 - t0, V, Mt);
          ctx.k.winograd_output(wg_, Mt, ldm_, ldt_, 0, g_.M, t0, t1, y, ep);
        }
      });
      return;
    }
    float* V = ctx.workspace;
    float* Mt = ctx.workspace + vfloats();
    // GEMM items: each xi, its rows cut so that items are a multiple of the threads.
    const int64_t panels = ceil_div(g_.M, ctx.k.mr);
    const int64_t rb = std::min<int64_t>(panels, threads_ / std::gcd<int64_t>(A2_, threads_));
    for (int64_t b = 0; b < blocks_; ++b) {
      int64_t t0, t1;
      block(b, &t0, &t1);
      ctx.pool.parallel_for_upto(g_.C, threads_, [&](int64_t c0, int64_t c1) {
        ctx.k.winograd_input(wg_, x, c0, c1, t0, t1, V, ldv_, ldt_);
      });
      ctx.pool.parallel_for_upto(A2_ * rb, threads_, [&](int64_t i0, int64_t i1) {
        for (int64_t it = i0; it < i1; ++it) {
          const int64_t xi = it / rb, r = it % rb;
          gemm(ctx, xi, std::min(g_.M, panels * r / rb * ctx.k.mr), std::min(g_.M, panels * (r + 1) / rb * ctx.k.mr),
               t1 - t0, V, Mt);
        }
      });
      ctx.pool.parallel_for_upto(g_.M, threads_, [&](int64_t m0, int64_t m1) {
        ctx.k.winograd_output(wg_, Mt, ldm_, ldt_, m0, m1, t0, t1, y, ep);
      });
    }
  }

 private:
  // Tiles per block: 48 = the AVX-512 micro-kernel's width (3 zmm columns); V and M of a block
  // (alpha^2 * (C + M) * 48 floats: 0.9 MB at C = M = 64 with F(4x4)) are produced and consumed
  // by the same thread.
  static constexpr int64_t kBlockTiles = 48;
  // Below this many tiles per thread, and with alpha^2 weight matrices over
  // kPrivateWeightBytes, the threads share each block instead of running their own: their own
  // blocks would be narrow GEMMs (one 16 + 9 column block per thread for a 28x28 image at batch
  // 1) that each stream every weight matrix from L3. Above it, private blocks keep V and M on one
  // core: 56x56x64 at batch 1 on 2 threads took 336-425 us private, 505-525 us shared (1 thread:
  // 528-594; Zen 5, in-process min of 7 rounds).
  static constexpr int64_t kMinTilesPerThread = 32;
  static constexpr int64_t kPrivateWeightBytes = int64_t(1) << 20;
  // The input transform stores (and the output transform loads) the alpha^2 matrices of one
  // channel at once, C * ldt (M * ldt) floats apart: a multiple of 4 KiB whenever C * ldt is a
  // multiple of 1024 (C = 64, ldt = 48), so all alpha^2 streams fell into one L1 set and evicted
  // each other. 32 floats more per matrix put consecutive ones two cache lines apart: F(4x4)'s
  // input transform of a 56x56x64 layer went from 0.33 to 0.16 ms, its output from 0.14 to 0.11.
  static constexpr int64_t kSkew = 32;

  void gemm(const RunCtx& ctx, int64_t xi, int64_t m0, int64_t m1, int64_t nt, const float* V, float* Mt) const {
    if (m1 <= m0) return;
    ctx.k.sgemm(u_.group(xi), g_.M, g_.C, m0, m1, V + xi * ldv_, ldt_, false, 0, nt, Mt + xi * ldm_,
                ldt_, Epilogue{});
  }
  /** The end of the block starting at tile t0 of a thread's range ending at r1. */
  int64_t block_end(int64_t t0, int64_t r1) const {
    const int64_t t1 = std::min(r1, t0 + tb_);
    return r1 - t1 < 16 ? r1 : t1;
  }
  void block(int64_t b, int64_t* t0, int64_t* t1) const {
    *t0 = b * tb_;
    *t1 = std::min(tiles_, *t0 + tb_);
  }
  size_t vfloats() const { return static_cast<size_t>(A2_ * ldv_); }
  // The output transform reads whole vectors past a segment's last tile: 16 floats of slack.
  size_t slice() const { return round_up(vfloats() + A2_ * ldm_ + 16, 16); }

  ConvGeom g_;
  ConvEpilogue ep_;
  WinogradGeom wg_;
  int64_t A2_ = 36, tiles_ = 0, blocks_ = 1, tb_ = 1, ldt_ = 16, ldv_ = 16, ldm_ = 16;
  int threads_ = 1;
  bool shared_ = false;
  PackedGroups u_;  // alpha^2 "groups" of M x C
};

}  // namespace

int choose_winograd(const BuildCtx& ctx, const ConvGeom& g) {
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.group != 1) return 0;
  const char* env = std::getenv("STUDIO_NATIVE_WINOGRAD");
  const std::string mode = env && *env ? env : "auto";
  if (mode == "off") return 0;
  if (mode == "f2") return 2;
  if (mode == "f4") return 4;
  if (mode != "auto") ctx.fail("STUDIO_NATIVE_WINOGRAD must be off, f2, f4 or auto, got '" + mode + "'");
  // auto: see native/DESIGN.md "Winograd" for the measurements behind these limits.
  if (g.C < 16 || g.M < 16) return 0;  // transforms dominate few channels
  const int64_t t4 = g.N * ceil_div(g.OH, 4) * ceil_div(g.OW, 4);
  const int64_t t2 = g.N * ceil_div(g.OH, 2) * ceil_div(g.OW, 2);
  // F(4x4) needs a vector of tiles per GEMM (a 7x7 image has 4: GEMMs of 4 columns streaming
  // 36 x M x C weights ran 1.8x slower than F(2x2)) and a clear cut in products over F(2x2)
  // (36 * t4 at most 3/4 of 16 * t2; partial tiles waste more of the larger tile).
  if (t4 >= 16 && 36 * t4 * 4 <= 16 * t2 * 3) return 4;
  if (t2 >= 16) return 2;
  return 0;
}

OpPtr make_conv_winograd(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, int m) {
  return std::make_unique<ConvWinograd>(ctx, g, ep, m);
}

}  // namespace studio
