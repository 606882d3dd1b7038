// Max and average pooling straight from the input rows (NCHW, one output row at a time), over a
// vector-traits type V. A pooling window is a rectangle, so its reduction is separable:
//
// 1. Vertical: the kh input rows of output row oy (the ones inside the image; padding rows are
//    the reduction's neutral value, -inf for max, 0 for sums) are reduced column by column into
//    one padded row. For column stride 2 each pair of W-float loads is split into even and odd
//    columns (V::even / V::odd) on the way, so the row is stored as two phase rows
//    P_e[q] = R[2q], P_o[q] = R[2q + 1] and every tap below is a plain unaligned load.
// 2. Horizontal: out[ox] = reduce over taps j of P_{(j*dw) % sw}[ox + (j*dw) / sw], W outputs at
//    a time, written to y directly (the average's divisor applied on the way).
//
// Why not SimdWindow (window_impl.h), which the depthwise convolution uses: it copies the whole
// padded plane into sw*sh phase planes first, then reduces kh*kw taps per output, then compacts
// the pitch-Q rows into y. For ResNet's 3x3 stride-2 max pool over 112x112 that is three passes
// over ~50 KB per channel and 9 taps per output; here the input is read once (each row by at most
// ceil(kh/sh) output rows), the separable reduction costs kh + kw operations per output instead of
// kh*kw, and nothing is compacted. Measured on Zen 5 (64 channels, 112x112 -> 56x56, one thread):
// see native/DESIGN.md, "Pools and heads".
//
// Global pooling (the window is the whole plane: GlobalAveragePool / GlobalMaxPool reach the
// kernels as a kh = H, kw = W pool) reduces each plane to one vector, then W channels' vectors to
// one vector of W results with a transposition tree of even/odd pairs (W - 1 steps for W
// channels instead of log2(W) shuffles per channel).
#pragma once
#include <algorithm>
#include <limits>

#include "../common.h"

namespace studio {
namespace {

template <class V>
struct SimdPool {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;
  static constexpr int kMaxTaps = 32;    // kernel width and height
  static constexpr int kMaxChunks = 64;  // phase-row chunks of W columns (masks kept per plane)
  static constexpr int kRows = 8;        // output rows per block (see plane())
  static constexpr bool kCheapMasks = W == 16;  // AVX-512 (AVX2's maskload + blend is not)

  struct MaxOp {
    static float neutral() { return -std::numeric_limits<float>::infinity(); }
    static STUDIO_ALWAYS_INLINE R op(R a, R b) { return V::max(a, b); }
  };
  struct SumOp {
    static float neutral() { return 0.f; }
    static STUDIO_ALWAYS_INLINE R op(R a, R b) { return V::add(a, b); }
  };

  /** Column stride 1 or 2, at most kMaxTaps rows and columns, rows that fit kMaxChunks chunks. */
  static bool supported(int64_t Win, int64_t OW, int kh, int kw, int sw, int dw, int pl) {
    if (sw > 2 || kh > kMaxTaps || kw > kMaxTaps) return false;
    const int64_t Wp = std::max<int64_t>(pl + Win, (OW - 1) * sw + int64_t(kw - 1) * dw + 1);
    return ceil_div(ceil_div(Wp, sw), W) <= kMaxChunks;
  }

  /**
   * 3x3 stride-1 max pooling on AVX-512: SimdWindow derives taps 1 and 2 from registers (valignd)
   * and was faster there (256 x 28x28: 60 vs 69 us, Zen 5); everywhere else this file wins.
   */
  static bool window_faster(int kh, int kw, int sh, int sw, int dh, int dw) {
    return V::kAlignr && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1;
  }

  /** Whether the window is the whole unpadded plane with one output (global pooling). */
  static bool is_global(int64_t H, int64_t Win, int kh, int kw, int dh, int dw, int pt, int pl, int64_t OH,
                        int64_t OW) {
    return OH == 1 && OW == 1 && kh == H && kw == Win && pt == 0 && pl == 0 && (dh == 1 || kh == 1) &&
           (dw == 1 || kw == 1);
  }

  struct Geom {
    int64_t H, Win, OH, OW;
    int kh, kw, sh, sw, dh, pt;
    int64_t nch, pitch;         // chunks per phase row; floats per phase row buffer
    int64_t ld_off;             // input column of chunk 0's first lane (may be negative)
    M mlo[kMaxChunks], mhi[kMaxChunks];
    bool full[kMaxChunks];      // no mask needed
    int64_t tap[kMaxTaps];      // tap j -> offset in the phase-row buffer
  };

  static Geom make_geom(int64_t H, int64_t Win, int64_t OH, int64_t OW, int kh, int kw, int sh, int sw, int dh,
                        int dw, int pt, int pl) {
    Geom g{};
    g.H = H, g.Win = Win, g.OH = OH, g.OW = OW, g.kh = kh, g.kw = kw, g.sh = sh, g.sw = sw, g.dh = dh, g.pt = pt;
    // The padded row covers every window of the given output width (ceil mode may reach past the
    // declared right padding; those columns hold the neutral value).
    const int64_t Wp = std::max<int64_t>(pl + Win, (OW - 1) * sw + int64_t(kw - 1) * dw + 1);
    const int64_t Q = ceil_div(Wp, sw);
    g.nch = ceil_div(Q, W);
    const int64_t max_shift = int64_t(kw - 1) * dw / sw;
    // Taps read up to round_up(OW, W) - 1 + max_shift (lanes past OW are discarded).
    g.pitch = round_up(std::max(g.nch * W, round_up(OW, W) + max_shift), W);
    g.ld_off = -pl;
    for (int64_t q = 0; q < g.nch; ++q) {
      // Chunk q covers padded columns [q*W*sw, (q+1)*W*sw): raw lanes [a, b) come from the image.
      const int64_t a = pl - q * W * sw, b = pl + Win - q * W * sw;
      g.full[q] = a <= 0 && b >= W * sw;
      g.mlo[q] = V::range(a, b);
      g.mhi[q] = sw == 2 ? V::range(a - W, b - W) : g.mlo[q];
    }
    for (int j = 0; j < kw; ++j) g.tap[j] = ((int64_t(j) * dw) % sw) * g.pitch + (int64_t(j) * dw) / sw;
    return g;
  }

  /** Floats of workspace: kRows rows' phase rows, then OW + OH divisors (average). */
  static size_t workspace_floats(const Geom& g) {
    return size_t(kRows * g.sw * g.pitch + round_up(g.OW, W) + g.OH + W);
  }

  /** Step 1 for one output row: rows[0..n) are the image rows of its window inside the image. */
  template <class Op, int KH>
  static STUDIO_ALWAYS_INLINE void vertical(const Geom& g, const float* const* rows, int n, float* P) {
    const R fill = V::set1(Op::neutral());
    auto reduce = [&](int64_t off, bool full, M m) {
      // AVX-512's masked loads cost what plain ones do: one branch-free path for every chunk.
      if constexpr (kCheapMasks) full = false;
      R acc = full ? V::load(rows[0] + off) : V::load_m(rows[0] + off, m, fill);
      if constexpr (KH > 0) {
        STUDIO_UNROLL
        for (int r = 1; r < KH; ++r) acc = Op::op(acc, full ? V::load(rows[r] + off) : V::load_m(rows[r] + off, m, fill));
      } else {
        for (int r = 1; r < n; ++r) acc = Op::op(acc, full ? V::load(rows[r] + off) : V::load_m(rows[r] + off, m, fill));
      }
      return acc;
    };
    if (g.sw == 1) {
      for (int64_t q = 0; q < g.nch; ++q) V::store(P + q * W, reduce(g.ld_off + q * W, g.full[q], g.mlo[q]));
    } else {
      float* P1 = P + g.pitch;
      for (int64_t q = 0; q < g.nch; ++q) {
        const int64_t off = g.ld_off + 2 * q * W;
        const R lo = reduce(off, g.full[q], g.mlo[q]), hi = reduce(off + W, g.full[q], g.mhi[q]);
        V::store(P + q * W, V::even(lo, hi));
        V::store(P1 + q * W, V::odd(lo, hi));
      }
    }
  }

  /** Step 2: reduce the taps at ox; KW = 0: g.kw taps. */
  template <class Op, int KW>
  static STUDIO_ALWAYS_INLINE R horizontal(const Geom& g, const float* P, int64_t ox) {
    R acc = V::load(P + g.tap[0] + ox);
    if constexpr (KW > 0) {
      STUDIO_UNROLL
      for (int j = 1; j < KW; ++j) acc = Op::op(acc, V::load(P + g.tap[j] + ox));
    } else {
      for (int j = 1; j < g.kw; ++j) acc = Op::op(acc, V::load(P + g.tap[j] + ox));
    }
    return acc;
  }

  /**
   * Prefetches the sh input rows that output row oy adds to the previous one's window (past the
   * plane: the next channel's first rows), called one block (kRows output rows) ahead. In a
   * network the pool's input has usually left L2 (a 112x112x64 map is 3.2 MB): from memory the
   * row-direct pool ran at 340 us without prefetching for ResNet-50's, DRAM latency being the
   * limit. Prefetching a whole block's rows at its start (~130 lines at once, more than the miss
   * queue holds) measured 140 us (median, input evicted from L2) vs 108 us spread one row at a
   * time like this (Zen 5, interleaved runs; in cache 108 -> 96 us). Prefetches never fault.
   */
  static STUDIO_ALWAYS_INLINE void prefetch_rows(const Geom& g, const float* xc, int64_t oy) {
    const int64_t r1 = oy * g.sh - g.pt + int64_t(g.kh - 1) * g.dh + 1, r0 = std::max<int64_t>(0, r1 - g.sh);
    const char* b = reinterpret_cast<const char*>(xc + r0 * g.Win);
    const char* e = reinterpret_cast<const char*>(xc + r1 * g.Win);
    for (const char* p = b; p < e; p += 64) __builtin_prefetch(p);
  }

  /** One channel. inv_rows / inv_cols: the average's per-row and per-column 1/count (null: max). */
  template <class Op, int KH, int KW>
  static void plane(const Geom& g, const float* xc, float* P, const float* inv_rows, const float* inv_cols,
                    float* yc) {
    const float* rows[kMaxTaps];
    const int64_t plane_out = g.OH * g.OW, row_floats = g.sw * g.pitch;
    // kRows output rows at a time: all their vertical reductions, then all their horizontal ones.
    // Reading a phase row right after writing it stalls: the taps' unaligned loads straddle two
    // just-stored vectors and cannot be forwarded from the store queue (r50 pool 1.5x slower).
    for (int64_t oy0 = 0; oy0 < g.OH; oy0 += kRows) {
      const int64_t oy1 = std::min(g.OH, oy0 + kRows);
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        prefetch_rows(g, xc, oy + kRows);
        float* Pr = P + (oy - oy0) * row_floats;
        int n = 0;
        for (int i = 0; i < g.kh; ++i) {
          const int64_t iy = oy * g.sh - g.pt + int64_t(i) * g.dh;
          if (iy >= 0 && iy < g.H) rows[n++] = xc + iy * g.Win;
        }
        if (n == 0) {  // a window wholly in the padding (dilated ceil-mode edge): neutral
          const R fill = V::set1(Op::neutral());
          for (int64_t q = 0; q < g.nch; ++q) {
            V::store(Pr + q * W, fill);
            if (g.sw == 2) V::store(Pr + g.pitch + q * W, fill);
          }
        } else if (KH && n == KH) {
          vertical<Op, KH>(g, rows, n, Pr);
        } else {
          vertical<Op, 0>(g, rows, n, Pr);
        }
      }
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        const float* Pr = P + (oy - oy0) * row_floats;
        float* yr = yc + oy * g.OW;
        const R rs = V::set1(inv_rows ? inv_rows[oy] : 1.f);
        for (int64_t ox = 0; ox < g.OW; ox += W) {
          R v = horizontal<Op, KW>(g, Pr, ox);
          if (inv_cols) v = V::mul(V::mul(v, rs), V::load(inv_cols + ox));
          // A partial last vector is stored whole where that stays inside this channel's plane:
          // the lanes past OW land in the next row, written afterwards (masked stores cost more).
          if (ox + W <= g.OW || oy * g.OW + ox + W <= plane_out) V::store(yr + ox, v);
          else V::store_m(yr + ox, V::first(g.OW - ox), v);
        }
      }
    }
  }

  template <class Op>
  static void planes(const Geom& g, const float* x, int64_t c0, int64_t c1, float* P, const float* inv_rows,
                     const float* inv_cols, float* y) {
    // Fill the whole phase-row buffer once: lanes past the chunks are read by the taps of
    // discarded outputs only, but should hold defined values.
    const R fill = V::set1(Op::neutral());
    for (int64_t i = 0; i < kRows * g.sw * g.pitch; i += W) V::store(P + i, fill);
    const int64_t ip = g.H * g.Win, op = g.OH * g.OW;
    auto run = [&](auto kh, auto kw) {
      for (int64_t c = c0; c < c1; ++c)
        plane<Op, decltype(kh)::value, decltype(kw)::value>(g, x + c * ip, P, inv_rows, inv_cols, y + c * op);
    };
    using I0 = std::integral_constant<int, 0>;
    using I2 = std::integral_constant<int, 2>;
    using I3 = std::integral_constant<int, 3>;
    if (g.kh == 3 && g.kw == 3) run(I3{}, I3{});
    else if (g.kh == 2 && g.kw == 2) run(I2{}, I2{});
    else run(I0{}, I0{});
  }

  // ---- global pooling ----

  /** The reduction of one plane of S floats as one vector (neutral in unused lanes). */
  template <class Op>
  static STUDIO_ALWAYS_INLINE R plane_vector(const float* v, int64_t S, R fill) {
    R a0 = fill, a1 = fill, a2 = fill, a3 = fill;
    int64_t i = 0;
    for (; i + 4 * W <= S; i += 4 * W) {
      a0 = Op::op(a0, V::load(v + i)), a1 = Op::op(a1, V::load(v + i + W));
      a2 = Op::op(a2, V::load(v + i + 2 * W)), a3 = Op::op(a3, V::load(v + i + 3 * W));
    }
    for (; i + W <= S; i += W) a0 = Op::op(a0, V::load(v + i));
    if (i < S) a1 = Op::op(a1, V::load_m(v + i, V::first(S - i), fill));
    return Op::op(Op::op(a0, a1), Op::op(a2, a3));
  }

  /** y[c] = reduce of plane c (S floats) for c in [c0, c1), divided by `div` (average: S). */
  template <class Op>
  static void global(const float* x, int64_t c0, int64_t c1, int64_t S, float div, float* y) {
    const R fill = V::set1(Op::neutral()), dv = V::set1(div);
    for (int64_t c = c0; c < c1; c += W) {
      const int n = int(std::min<int64_t>(W, c1 - c));
      R v[W];
      for (int k = 0; k < W; ++k) v[k] = k < n ? plane_vector<Op>(x + (c + k) * S, S, fill) : fill;
      // Transposition tree: after level L, vector k holds 2^L channels' partial results, each in
      // W / 2^L adjacent lanes, in channel order; after log2(W) levels lane k is channel c + k.
      for (int len = W; len > 1; len /= 2)
        for (int k = 0; k < len / 2; ++k) v[k] = Op::op(V::even(v[2 * k], v[2 * k + 1]), V::odd(v[2 * k], v[2 * k + 1]));
      const R r = div != 1.f ? V::div(v[0], dv) : v[0];
      if (n == W) V::store(y + c, r);
      else V::store_m(y + c, V::first(n), r);
    }
  }

  // ---- entry points (same contracts as the KernelTable's) ----
  static void maxpool(AlignedBuffer& ws, const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win, int kh,
                      int kw, int sh, int sw, int dh, int dw, int pt, int pl, int64_t OH, int64_t OW, float* y) {
    if (is_global(H, Win, kh, kw, dh, dw, pt, pl, OH, OW))
      return global<MaxOp>(x + c0 * H * Win, 0, c1 - c0, H * Win, 1.f, y + c0);
    const Geom g = make_geom(H, Win, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl);
    float* P = ws.get(workspace_floats(g));
    planes<MaxOp>(g, x, c0, c1, P, nullptr, nullptr, y);
  }

  static void avgpool(AlignedBuffer& ws, const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win, int kh,
                      int kw, int sh, int sw, int pt, int pl, int pb, int pr, bool include_pad, int64_t OH,
                      int64_t OW, float* y) {
    if (is_global(H, Win, kh, kw, 1, 1, pt, pl, OH, OW) && pb == 0 && pr == 0)
      return global<SumOp>(x + c0 * H * Win, 0, c1 - c0, H * Win, float(H * Win), y + c0);
    const Geom g = make_geom(H, Win, OH, OW, kh, kw, sh, sw, 1, 1, pt, pl);
    float* P = ws.get(workspace_floats(g));
    float* inv_cols = P + kRows * g.sw * g.pitch;
    float* inv_rows = inv_cols + round_up(OW, W);
    avg_divisors(H, Win, OH, OW, kh, kw, sh, sw, pt, pl, pb, pr, include_pad, round_up(OW, W), inv_rows, inv_cols);
    planes<SumOp>(g, x, c0, c1, P, inv_rows, inv_cols, y);
  }
};

}  // namespace
}  // namespace studio
