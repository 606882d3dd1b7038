// im2col-gemm: any kernel, stride, padding, dilation and group; also 1x1 convolutions at batch > 1
// whose images are narrow GEMMs (see conv.cc's make_conv). Two schedules:
//  - tiled: the output columns of the whole batch (q = n*OH*OW + pixel, per group) are cut into
//    tiles of about `tile` columns, 16-aligned, their count a multiple of the threads where the
//    sizes allow. A thread expands a tile (K = Cg*kh*kw rows) into its own slice of the workspace
//    and multiplies the packed weights of one group with it. A tile inside one image writes the
//    output directly (a 1x1 convolution then reads the input in place, no copy); a tile spanning
//    images (small images: 7x7 = 49 columns would be a 48-wide tile plus a 1-column one, 30% of
//    the FMAs spent on padding lanes) computes into the workspace and is copied out per image.
//    A deep K (e.g. 4x4 x 256 channels: 4096 rows) is expanded and multiplied in k slices of
//    about kSliceK rows (weights packed per slice at plan time; later slices accumulate into
//    the output through the epilogue's residual): the slice stays in L2 while the GEMM reads it,
//    and the tile can be 2-3x wider for the same bytes, so the weights stream from L3 2-3x
//    less often. Unsliced, a 96-column tile of 4096 rows (1.5 MiB) went out to L3 between its
//    expansion and its GEMM.
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
// Rows of one k slice of the column matrix (and of the weights packed per slice): with 256
// columns a 512 KiB slice, half of a 1 MiB L2.
constexpr int64_t kSliceK = 512;

class ConvIm2col final : public Op {
 public:
  ConvIm2col(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, bool pointwise)
      : g_(g), ep_(ep), pointwise_(pointwise) {
    K_ = g.Cg * g.kh * g.kw;
    cols_ = g.OH * g.OW;
    geom_.C = g.Cg, geom_.H = g.H, geom_.W = g.W;
    geom_.kh = int(g.kh), geom_.kw = int(g.kw), geom_.sh = int(g.sh), geom_.sw = int(g.sw);
    geom_.dh = int(g.dh), geom_.dw = int(g.dw), geom_.pad_top = int(g.pt), geom_.pad_left = int(g.pl);
    geom_.OH = g.OH, geom_.OW = g.OW;
    threads_ = threads_for(g.N * g.M * K_ * cols_, ctx.threads);
    const int64_t Q = g.N * cols_;
    // K slices (equal, multiples of 16 rows) when K exceeds two of them and slicing widens the
    // tiles (not at 7x7, batch 1: 49 columns in any case, and the narrow GEMM slices K itself;
    // slicing there measured 5-10% slower).
    const int64_t budget = (g.kh * g.kw == 1 ? 2 : 1) * kTileBytes;
    auto tile_for = [&](int64_t rows) { return std::max<int64_t>(96, budget / 4 / std::max<int64_t>(1, rows) / 16 * 16); };
    const int64_t sk = kSliceK;
    if (!pointwise_ && K_ > 2 * sk && 3 * std::min(Q, tile_for(K_)) <= 2 * std::min(Q, tile_for(sk))) {
      const int64_t n = ceil_div(K_, sk);
      ks_ = round_up(ceil_div(K_, n), 16);
      std::vector<float> part;
      const float* w = ctx.input(1).constant;
      for (int64_t k0 = 0; k0 < K_; k0 += ks_) {
        const int64_t kb = std::min(ks_, K_ - k0);
        part.resize(static_cast<size_t>(g.M * kb));
        for (int64_t m = 0; m < g.M; ++m)
          std::memcpy(part.data() + m * kb, w + m * K_ + k0, sizeof(float) * kb);
        wk_.emplace_back();
        wk_.back().pack(ctx.k, part.data(), g.group, g.Mg, kb);
      }
    } else {
      ks_ = K_;
      w_.pack(ctx.k, ctx.input(1).constant, g.group, g.Mg, K_);
    }
    // Twice the tile for 1x1 convolutions, whose columns cost one copy each: a strided one's
    // expansion is a gather of rows spread over 2-4x as much input, usually from memory, and
    // longer runs per channel keep the prefetchers streaming (256 -> 128 channels, 56x56 stride
    // 2, batch 8: 6.8 -> 5.3 ms with whole 28x28 images per tile, 7.1 -> 5.2 ms inside ResNet-50).
    const int64_t tile = tile_for(ks_);
    // Large images (or ones filling half a tile) whose partial last vector wastes little are cut
    // into whole tiles each: no tile spans two images, so none is computed aside and copied out.
    // Small ones share tiles.
    const bool whole = (round_up(cols_, 16) - cols_) * 50 < cols_ && (cols_ >= 256 || 2 * cols_ > tile);
    int64_t tiles = whole ? g.N * std::max<int64_t>(1, cols_ / tile) : std::max<int64_t>(1, Q / tile);
    // Too few tiles for the threads: more, narrower ones (down to 64 columns), else shared mode.
    if (threads_ > 1 && (g.group * tiles) % threads_ != 0 && g.group * tiles < 8 * threads_) {
      const int64_t want = ceil_div(round_up(g.group * tiles, threads_), g.group);
      tiles = std::max<int64_t>(tiles, std::min(want, Q / 64));
    }
    // Whole-image tiles: every image gets the same number, cut at 16-aligned columns of that image
    // (a split of the batch's columns would let tiles straddle images whose size is not a multiple
    // of 16, e.g. 19x19, and those are computed aside and copied out).
    if (whole) per_image_ = std::max<int64_t>(1, ceil_div(tiles, g.N)), tiles = g.N * per_image_;
    tiles_ = tiles;
    vecs_ = ceil_div(Q, 16);
    shared_ = threads_ > 1 && g.group * tiles < threads_;
    if (shared_) {
      split_.choose(1, g.Mg, cols_, ctx.k.mr, threads_, 64);
      return;
    }
    for (int64_t t = 0; t < tiles_; ++t) {
      int64_t q0, q1;
      tile_range(t, &q0, &q1);
      wmax_ = std::max(wmax_, q1 - q0);
      if (q0 / cols_ != (q1 - 1) / cols_) spanning_ = true;
    }
    col_floats_ = pointwise_ && !spanning_ ? 0 : round_up(ks_ * wmax_, 16);
    out_floats_ = spanning_ ? round_up(g.Mg * wmax_, 16) : 0;
    res_floats_ = spanning_ && ctx.optional(3) ? out_floats_ : 0;
  }
  std::string kernel() const override { return pointwise_ ? "conv1x1-gemm" : "im2col-gemm"; }
  size_t owned_bytes() const override {
    size_t b = w_.data.bytes();
    for (const PackedGroups& p : wk_) b += p.data.bytes();
    return b;
  }
  size_t workspace_floats() const override {
    return shared_ ? static_cast<size_t>(round_up(K_ * cols_, 16)) : static_cast<size_t>(threads_) * slice();
  }
  bool reads_input_at_run(size_t i) const override { return i != 1; }
  // A residual aliasing the output is read before the same elements are written: by the GEMM
  // epilogue, or gathered into the workspace before a spanning tile's GEMM.
  int inplace_input() const override { return 3; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    if (shared_) {
      float* col = ctx.workspace;
      const int64_t cb = split_.col_blocks;
      for (int64_t n = 0; n < g_.N; ++n)
        for (int64_t grp = 0; grp < g_.group; ++grp) {
          const float* xg = image(x, n, grp);
          ctx.pool.parallel_for_upto(K_, threads_, [&](int64_t k0, int64_t k1) {
            im2col(ctx, xg, 0, cols_, col + k0 * cols_, cols_, k0, k1);
          });
          const int64_t yoff = (n * g_.M + grp * g_.Mg) * cols_;
          const Epilogue ep = ep_.make(bias ? bias + grp * g_.Mg : nullptr, res ? res + yoff : nullptr, cols_);
          ctx.pool.parallel_for_upto(split_.row_blocks * cb, threads_, [&](int64_t b, int64_t e) {
            for (int64_t it = b; it < e; ++it) {
              int64_t m0, m1, n0, n1;
              split_.row_range(it / cb, &m0, &m1);
              split_.col_range(it % cb, &n0, &n1);
              for_slices(ep, y + yoff, cols_, [&](int64_t s, int64_t k0, int64_t k1, const Epilogue& e) {
                ctx.k.sgemm(weights(s, grp), g_.Mg, k1 - k0, m0, m1, col + k0 * cols_, cols_, false, n0, n1, y + yoff,
                            cols_, e);
              });
            }
          });
        }
      return;
    }
    run_tiles(ctx, x, bias, res, y, 0, tiles_);
  }

  // A 1x1 convolution whose tiles stay inside images (each reads its image in place) can run any
  // range of images: it may join a batch segment (plan.h), e.g. after a depthwise convolution.
  int64_t batch_images() const override { return pointwise_ && !shared_ && !spanning_ ? g_.N : 0; }
  void run_images(const RunCtx& ctx, const float* const* in, float* const* out, int64_t i0, int64_t i1) override {
    if (!batch_images() || (i0 == 0 && i1 == g_.N)) return run(ctx, in, out);
    // Tiles are in column order and none spans two images: those of images [i0, i1) are a range.
    int64_t t0 = 0, t1 = 0;
    for (int64_t t = 0; t < tiles_; ++t) {
      int64_t q0, q1;
      tile_range(t, &q0, &q1);
      if (q0 < i0 * cols_) t0 = t + 1;
      if (q0 < i1 * cols_) t1 = t + 1;
    }
    t1 = std::max(t0, t1);
    const int64_t nt = t1 - t0, items = g_.group * nt;
    if (items <= 0) return;
    if (items >= threads_) return run_tiles(ctx, in[0], in[2], in[3], out[0], t0, t1);
    // Fewer tiles than threads (one image's worth): each tile's columns are split as well.
    const int64_t sub = ceil_div(threads_, items);
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    ctx.pool.parallel_for_upto(items * sub, threads_, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t item = it / sub, part = it % sub, grp = item / nt;
        int64_t q0, q1;
        tile_range(t0 + item % nt, &q0, &q1);
        const int64_t w = q1 - q0, v = ceil_div(w, 16);
        const int64_t a = std::min(w, v * part / sub * 16), z = std::min(w, v * (part + 1) / sub * 16);
        if (z <= a) continue;
        const int64_t n = q0 / cols_, c0 = q0 % cols_;
        const int64_t yoff = (n * g_.M + grp * g_.Mg) * cols_ + c0;
        const Epilogue ep = ep_.make(bias ? bias + grp * g_.Mg : nullptr, res ? res + yoff : nullptr, cols_);
        ctx.k.sgemm(w_.group(grp), g_.Mg, K_, 0, g_.Mg, image(x, n, grp) + c0, cols_, false, a, z, y + yoff, cols_,
                    ep);
      }
    });
  }

 private:
  /** Tiles [t0, t1) of every group, split over the threads. */
  void run_tiles(const RunCtx& ctx, const float* x, const float* bias, const float* res, float* y, int64_t t0,
                 int64_t t1) {
    // Chunks, not pool slots, index the workspace: the plan may use fewer threads than the pool.
    const int64_t nt = t1 - t0, items = g_.group * nt;
    if (items <= 0) return;
    const int chunks = static_cast<int>(std::min<int64_t>(items, threads_));
    ctx.pool.run(chunks, [&](int chunk, int) {
      float* ws = ctx.workspace + static_cast<size_t>(chunk) * slice();
      for (int64_t it = items * chunk / chunks; it < items * (chunk + 1) / chunks; ++it)
        run_tile(ctx, x, bias, res, y, it / nt, t0 + it % nt, ws);
    });
  }

  size_t slice() const { return static_cast<size_t>(col_floats_ + out_floats_ + res_floats_); }
  const float* image(const float* x, int64_t n, int64_t grp) const {
    return x + (n * g_.C + grp * g_.Cg) * g_.H * g_.W;
  }
  /** Columns [q0, q1) of tile t: 16-aligned boundaries (within its image for whole-image tiles),
   *  widths differing by at most 16. */
  void tile_range(int64_t t, int64_t* q0, int64_t* q1) const {
    if (per_image_ > 0) {  // whole-image tiles
      const int64_t n = t / per_image_, s = t % per_image_, v = ceil_div(cols_, 16);
      *q0 = n * cols_ + std::min(cols_, v * s / per_image_ * 16);
      *q1 = n * cols_ + std::min(cols_, v * (s + 1) / per_image_ * 16);
      return;
    }
    const int64_t Q = g_.N * cols_;
    *q0 = std::min(Q, vecs_ * t / tiles_ * 16);
    *q1 = std::min(Q, vecs_ * (t + 1) / tiles_ * 16);
  }

  void run_tile(const RunCtx& ctx, const float* x, const float* bias, const float* res, float* y, int64_t grp,
                int64_t t, float* ws) const {
    int64_t q0, q1;
    tile_range(t, &q0, &q1);
    if (q1 <= q0) return;
    const int64_t w = q1 - q0, n0 = q0 / cols_, c0 = q0 % cols_;
    const float* gbias = bias ? bias + grp * g_.Mg : nullptr;
    if ((q1 - 1) / cols_ == n0) {  // inside one image: the GEMM writes the output in place
      const float* xg = image(x, n0, grp);
      const int64_t yoff = (n0 * g_.M + grp * g_.Mg) * cols_ + c0;
      const Epilogue ep = ep_.make(gbias, res ? res + yoff : nullptr, cols_);
      if (pointwise_) {
        ctx.k.sgemm(w_.group(grp), g_.Mg, K_, 0, g_.Mg, xg + c0, cols_, false, 0, w, y + yoff, cols_, ep);
      } else {
        for_slices(ep, y + yoff, cols_, [&](int64_t s, int64_t k0, int64_t k1, const Epilogue& e) {
          im2col(ctx, xg, c0, c0 + w, ws, w, k0, k1);
          ctx.k.sgemm(weights(s, grp), g_.Mg, k1 - k0, 0, g_.Mg, ws, w, false, 0, w, y + yoff, cols_, e);
        });
      }
      return;
    }
    // Spanning images: expand each image's part side by side, multiply once, copy out per image.
    float* col = ws;
    float* c = ws + col_floats_;
    float* r = c + out_floats_;
    auto segments = [&](auto&& f) {  // f(image, first column in it, width, column offset in tile)
      for (int64_t q = q0; q < q1;) {
        const int64_t n = q / cols_, j = q % cols_, len = std::min(q1 - q, cols_ - j);
        f(n, j, len, q - q0);
        q += len;
      }
    };
    if (res)
      segments([&](int64_t n, int64_t j, int64_t len, int64_t off) {
        const float* rs = res + (n * g_.M + grp * g_.Mg) * cols_ + j;
        for (int64_t m = 0; m < g_.Mg; ++m) std::memcpy(r + m * w + off, rs + m * cols_, sizeof(float) * len);
      });
    const Epilogue ep = ep_.make(gbias, res ? r : nullptr, w);
    for_slices(ep, c, w, [&](int64_t s, int64_t k0, int64_t k1, const Epilogue& e) {
      segments([&](int64_t n, int64_t j, int64_t len, int64_t off) {
        im2col(ctx, image(x, n, grp), j, j + len, col + off, w, k0, k1);
      });
      ctx.k.sgemm(weights(s, grp), g_.Mg, k1 - k0, 0, g_.Mg, col, w, false, 0, w, c, w, e);
    });
    segments([&](int64_t n, int64_t j, int64_t len, int64_t off) {
      float* ys = y + (n * g_.M + grp * g_.Mg) * cols_ + j;
      for (int64_t m = 0; m < g_.Mg; ++m) std::memcpy(ys + m * cols_, c + m * w + off, sizeof(float) * len);
    });
  }

  /** Rows [k0, k1) of the column matrix for output columns [j0, j1) of one image, at col[(k - k0)*ld]. */
  void im2col(const RunCtx& ctx, const float* x, int64_t j0, int64_t j1, float* col, int64_t ld, int64_t k0,
              int64_t k1) const {
    if (pointwise_) {  // 1x1, stride 1, no padding: rows of the image
      for (int64_t k = k0; k < k1; ++k)
        std::memcpy(col + (k - k0) * ld, x + k * g_.H * g_.W + j0, sizeof(float) * (j1 - j0));
      return;
    }
    ctx.k.im2col(geom_, x, j0, j1, k0, k1, col, ld);
  }

  const float* weights(int64_t s, int64_t grp) const { return wk_.empty() ? w_.group(grp) : wk_[s].group(grp); }

  /**
   * f(slice, k0, k1, epilogue) per k slice: the first adds bias and residual, later ones add the
   * partial sums already in C (C as the residual: each element is read before it is written),
   * the last applies the activation.
   */
  template <class F>
  void for_slices(const Epilogue& ep, float* C, int64_t ldc, F&& f) const {
    for (int64_t s = 0, k0 = 0; k0 < K_; ++s, k0 += ks_) {
      const int64_t k1 = std::min(K_, k0 + ks_);
      Epilogue e = ep;
      if (s > 0) e.bias = nullptr, e.residual = C, e.ldr = ldc;
      if (k1 < K_) e.act = Activation::None;
      f(s, k0, k1, e);
    }
  }

  ConvGeom g_;
  Im2colGeom geom_;  // one group of one image, for the kernel
  ConvEpilogue ep_;
  bool pointwise_;
  int threads_ = 1;
  int64_t K_ = 0, cols_ = 0, tiles_ = 1, vecs_ = 0, wmax_ = 0;
  int64_t per_image_ = 0;  // tiles per image when whole-image tiles, else 0
  int64_t col_floats_ = 0, out_floats_ = 0, res_floats_ = 0;  // per-thread workspace parts
  bool shared_ = false, spanning_ = false;
  int64_t ks_ = 0;  // rows per k slice (K_ when unsliced)
  PackedGroups w_;
  std::vector<PackedGroups> wk_;  // weights packed per k slice, when sliced
  GemmSplit split_;  // shared mode
};

}  // namespace

// conv_direct.cc: few input channels (stems) skip the column matrix.
bool conv_direct_fits(const KernelTable& k, const ConvGeom& g);
OpPtr make_conv_direct(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep);

OpPtr make_conv_im2col(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, bool pointwise) {
  if (!pointwise && conv_direct_fits(ctx.k, g)) return make_conv_direct(ctx, g, ep);
  return std::make_unique<ConvIm2col>(ctx, g, ep, pointwise);
}

}  // namespace studio
