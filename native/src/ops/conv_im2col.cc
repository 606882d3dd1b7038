// im2col-gemm: any kernel, stride, padding, dilation and group. Two schedules:
//  - tiled (enough column tiles for the threads): each thread expands a tile of output columns
//    (K = Cg*kh*kw rows x `tile_` columns) into its own slice of the workspace, sized to stay in
//    L2, and multiplies the packed weights of one group with it;
//  - shared (few output pixels, e.g. 7x7 at batch 1, fewer tiles than threads): per image and
//    group, all threads first expand the whole column matrix together (split over K), then
//    split the GEMM over row and column blocks. Expanding per row block instead would repeat the
//    same copy on every thread.
#include <cstring>

#include "ops/conv.h"

namespace studio {
namespace {

// Bytes of one thread's column tile: about half of a typical per-core L2.
constexpr int64_t kTileBytes = 512 * 1024;

class ConvIm2col final : public Op {
 public:
  ConvIm2col(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep) : g_(g), ep_(ep), threads_(ctx.threads) {
    K_ = g.Cg * g.kh * g.kw;
    w_.pack(ctx.k, ctx.input(1).constant, g.group, g.Mg, K_);
    const int64_t cols = g.OH * g.OW, units = g.N * g.group;
    tile_ = std::min(cols, std::max<int64_t>(96, kTileBytes / 4 / K_ / 16 * 16));
    int64_t tiles = ceil_div(cols, tile_);
    // Too few tiles for the threads: narrower tiles first (down to 64 columns), else shared mode.
    if (threads_ > 1 && (units * tiles) % threads_ != 0 && units * tiles < 8 * threads_) {
      const int64_t want = ceil_div(round_up(units * tiles, threads_), units);
      const int64_t t = std::min(want, std::max<int64_t>(1, cols / 64));
      tile_ = round_up(ceil_div(cols, t), 16);
      tiles = ceil_div(cols, tile_);
    }
    tiles_ = tiles;
    shared_ = threads_ > 1 && units * tiles < threads_;
    if (shared_) split_.choose(1, g.Mg, cols, ctx.k.mr, threads_, 64);
  }
  std::string kernel() const override { return "im2col-gemm"; }
  size_t owned_bytes() const override { return w_.data.bytes(); }
  size_t workspace_floats() const override {
    return shared_ ? static_cast<size_t>(round_up(K_ * g_.OH * g_.OW, 16)) : static_cast<size_t>(threads_) * slice();
  }
  bool reads_input_at_run(size_t i) const override { return i != 1; }
  int inplace_input() const override { return 3; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const int64_t cols = g_.OH * g_.OW;
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    if (shared_) {
      float* col = ctx.workspace;
      const int64_t cb = split_.col_blocks;
      for (int64_t n = 0; n < g_.N; ++n)
        for (int64_t grp = 0; grp < g_.group; ++grp) {
          const float* xg = x + (n * g_.C + grp * g_.Cg) * g_.H * g_.W;
          ctx.pool.parallel_for(K_, [&](int64_t k0, int64_t k1) { im2col(xg, 0, cols, col, k0, k1); });
          const int64_t yoff = (n * g_.M + grp * g_.Mg) * cols;
          const Epilogue ep = ep_.make(bias ? bias + grp * g_.Mg : nullptr, res ? res + yoff : nullptr, cols);
          ctx.pool.parallel_for(split_.row_blocks * cb, [&](int64_t b, int64_t e) {
            for (int64_t it = b; it < e; ++it) {
              int64_t m0, m1, n0, n1;
              split_.row_range(it / cb, &m0, &m1);
              split_.col_range(it % cb, &n0, &n1);
              ctx.k.sgemm(w_.group(grp), g_.Mg, K_, m0, m1, col, cols, false, n0, n1, y + yoff, cols, ep);
            }
          });
        }
      return;
    }
    ctx.pool.parallel_for_t(g_.N * g_.group * tiles_, [&](int64_t b, int64_t e, int tid) {
      float* col = ctx.workspace + static_cast<size_t>(tid) * slice();
      for (int64_t it = b; it < e; ++it) {
        const int64_t t = it % tiles_, ng = it / tiles_;
        const int64_t n = ng / g_.group, grp = ng % g_.group;
        const int64_t j0 = t * tile_, j1 = std::min(cols, j0 + tile_), w = j1 - j0;
        im2col(x + (n * g_.C + grp * g_.Cg) * g_.H * g_.W, j0, j1, col, 0, K_);
        const int64_t yoff = (n * g_.M + grp * g_.Mg) * cols + j0;
        const Epilogue ep = ep_.make(bias ? bias + grp * g_.Mg : nullptr, res ? res + yoff : nullptr, cols);
        ctx.k.sgemm(w_.group(grp), g_.Mg, K_, 0, g_.Mg, col, w, false, 0, w, y + yoff, cols, ep);
      }
    });
  }

 private:
  size_t slice() const { return static_cast<size_t>(round_up(K_ * tile_, 16)); }

  /** Rows [k0, k1) of col[k][j - j0], k = (c*kh + i)*kw + j, for output columns [j0, j1). */
  void im2col(const float* x, int64_t j0, int64_t j1, float* col, int64_t k0, int64_t k1) const {
    const int64_t w = j1 - j0, H = g_.H, W = g_.W, OW = g_.OW;
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t c = k / (g_.kh * g_.kw), i = (k / g_.kw) % g_.kh, j = k % g_.kw;
      const float* xc = x + c * H * W;
      float* dst = col + k * w;
      const int64_t dy = i * g_.dh - g_.pt, dx = j * g_.dw - g_.pl;
      // Valid output x range for this tap: 0 <= ox*sw + dx < W.
      const int64_t lo = dx >= 0 ? 0 : ceil_div(-dx, g_.sw);
      const int64_t hi = dx >= W ? 0 : (W - 1 - dx) / g_.sw + 1;
      for (int64_t q = j0; q < j1;) {
        const int64_t oy = q / OW, ox0 = q % OW, ox1 = std::min(OW, ox0 + (j1 - q));
        float* d = dst + (q - j0);
        const int64_t iy = oy * g_.sh + dy;
        if (iy < 0 || iy >= H) {
          std::memset(d, 0, sizeof(float) * (ox1 - ox0));
        } else {
          const float* row = xc + iy * W + dx;
          const int64_t a = std::max(ox0, std::min(lo, ox1)), z = std::max(a, std::min(hi, ox1));
          for (int64_t ox = ox0; ox < a; ++ox) d[ox - ox0] = 0.f;
          if (g_.sw == 1) {
            std::memcpy(d + (a - ox0), row + a, sizeof(float) * (z - a));
          } else {
            for (int64_t ox = a; ox < z; ++ox) d[ox - ox0] = row[ox * g_.sw];
          }
          for (int64_t ox = z; ox < ox1; ++ox) d[ox - ox0] = 0.f;
        }
        q += ox1 - ox0;
      }
    }
  }

  ConvGeom g_;
  ConvEpilogue ep_;
  int threads_;
  int64_t K_ = 0, tile_ = 0, tiles_ = 1;
  bool shared_ = false;
  PackedGroups w_;
  GemmSplit split_;  // shared mode
};

}  // namespace

OpPtr make_conv_im2col(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep) {
  return std::make_unique<ConvIm2col>(ctx, g, ep);
}

}  // namespace studio
