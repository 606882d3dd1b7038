// 3x3 depthwise convolution (dilation 1, stride 1 or 2 in both directions) straight from the input
// rows (NCHW, no padded copy), over a vector-traits type V. The shapes of MobileNet, Xception and
// every separable block; other geometries take SimdWindow (window_impl.h).
//
// Why not SimdWindow: it copies each channel's padded plane into phase planes, reduces the taps
// over the flat copy, then compacts the pitch-Q rows into y: three passes over the plane. Here:
//
// 1. Output rows are done R at a time and output columns U vectors at a time (U * R independent
//    accumulator chains, ~8). Each input row that the R output rows need is loaded once, its three
//    column taps formed once, and each tap is multiplied into every output row that uses it (for
//    stride 1 an input row feeds up to 3 of the R output rows: 9 FMAs per 3 taps).
// 2. Taps: the vector of outputs [ox, ox + W) reads input columns ox*s - pl + j, j = 0..2.
//    Stride 1: one load per vector (plus one for the next vector); taps 1 and 2 are V::shift of the
//    pair (AVX-512 valignd) or, without V::kAlignr (AVX2), two more unaligned loads.
//    Stride 2: two loads per vector split into even / odd columns (taps 0 and 1); tap 2 is the even
//    vector shifted by one lane into the next vector's (AVX-512) or an even split of two loads at +2.
// 3. Padding: every load is masked with a per-(offset, vector) mask computed once per call (the
//    lanes outside [0, Win) read as 0 and never fault); rows outside the image are skipped.
//    AVX-512 masked loads cost what plain ones do; on AVX2 full vectors use plain loads.
// 4. The epilogue (bias, residual -- read just before the same element is written, so it may alias
//    y --, ReLU / clip) is applied to the accumulators and stored straight into y.
#pragma once
#include <algorithm>

#include "../common.h"

namespace studio {
namespace {

template <class V>
struct SimdDepthwise {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;
  static constexpr bool kCheapMasks = W == 16;
  static constexpr int kMaxVecs = 32;  // output vectors per row (OW <= 32 W), +1 for the look-ahead
  static constexpr int kOffs = 4;      // load offsets per vector (see make_geom)
  static constexpr int kMaxFlat = 16;  // vectors of a plane done flat (see use_flat)

  /**
   * 3x3, dilation 1, equal strides 1 or 2, left padding below W, rows of at most kMaxVecs vectors.
   * Stride 1 only with V::shift: on AVX2 three masked loads per tap row lost to SimdWindow's flat
   * loop over the padded copy (28x28 1.40x, 56x56 1.08x slower; stride 2 0.61-0.88x, Zen 5).
   */
  static bool supported(int kh, int kw, int sh, int sw, int dh, int dw, int pl, int64_t OW) {
    return kh == 3 && kw == 3 && dh == 1 && dw == 1 && sh == sw && (sh == 2 || (sh == 1 && V::kAlignr)) &&
           pl < W && ceil_div(OW, W) < kMaxVecs;
  }

  struct Geom {
    int64_t H, Win, OH, OW, nv;
    int64_t xcs;  // floats between input channels
    int s, pt, pl;
    // Load k of output vector q starts at input column q*W*s - pl + off[k]:
    //   stride 1: off = 0, 1, 2 (1 and 2 only without kAlignr); stride 2: off = 0, W, 2, W + 2.
    int64_t off[kOffs];
    M mk[kOffs][kMaxVecs + 1];
    bool full[kOffs][kMaxVecs + 1];
    // Flat path (see use_flat): the plane as one run of nf vectors; tap t reads x + q*W + fd[t]
    // under fm[t][q] (lanes whose input pixel is inside the image and whose output is in the plane).
    bool flat;
    int64_t nf, fd[9];
    M fm[9][kMaxFlat];
  };

  /**
   * Small stride-1 planes whose input and output rows have the same width (3x3 'same' padding,
   * MobileNetV2's 7x7 stages) are done as one flat run of vectors: 7x7 takes 4 vectors a channel
   * instead of 7 row vectors (7 of 16 lanes used). Each tap is one masked load (the masks zero the
   * lanes whose window crosses a row end or the image edge). AVX-512 only (mask registers).
   */
  static bool use_flat(int s, int64_t Win, int64_t OH, int64_t OW) {
    if (!kCheapMasks || s != 1 || OW != Win) return false;
    const int64_t nf = ceil_div(OH * OW, W);
    return nf <= kMaxFlat && 4 * nf <= 3 * OH * ceil_div(OW, W);
  }

  static Geom make_geom(int64_t H, int64_t Win, int64_t xcs, int64_t OH, int64_t OW, int s, int pt, int pl) {
    Geom g;
    g.H = H, g.Win = Win, g.xcs = xcs, g.OH = OH, g.OW = OW, g.s = s, g.pt = pt, g.pl = pl;
    g.nv = ceil_div(OW, W);
    const int64_t offs1[kOffs] = {0, 1, 2, 0}, offs2[kOffs] = {0, W, 2, W + 2};
    for (int k = 0; k < kOffs; ++k) {
      g.off[k] = s == 1 ? offs1[k] : offs2[k];
      for (int64_t q = 0; q <= g.nv; ++q) {
        const int64_t start = q * W * s - pl + g.off[k];
        g.mk[k][q] = V::range(-start, Win - start);
        g.full[k][q] = start >= 0 && start + W <= Win;
      }
    }
    g.flat = use_flat(s, Win, OH, OW);
    if constexpr (kCheapMasks) {
      if (g.flat) {
        g.nf = ceil_div(OH * OW, W);
        for (int t = 0; t < 9; ++t) {
          const int i = t / 3, j = t % 3;
          g.fd[t] = int64_t(i - pt) * Win + (j - pl);
          for (int64_t q = 0; q < g.nf; ++q) {
            unsigned bits = 0;
            for (int l = 0; l < W; ++l) {
              const int64_t o = q * W + l, oy = o / OW, ox = o % OW, iy = oy + i - pt, ix = ox + j - pl;
              if (o < OH * OW && iy >= 0 && iy < H && ix >= 0 && ix < Win) bits |= 1u << l;
            }
            g.fm[t][q] = static_cast<M>(bits);
          }
        }
      }
    }
    return g;
  }

  template <int K>
  static STUDIO_ALWAYS_INLINE R ld(const Geom& g, const float* row, int64_t q) {
    const float* p = row + q * W * g.s - g.pl + g.off[K];
    if (!kCheapMasks && g.full[K][q]) return V::load(p);
    return V::load_m(p, g.mk[K][q]);
  }

  /** The three column taps of input row `row` for output vectors q0 .. q0+U-1. */
  template <int S, int U>
  static STUDIO_ALWAYS_INLINE void taps(const Geom& g, const float* row, int64_t q0, R (&t)[3][U]) {
    if constexpr (S == 1) {
      if constexpr (V::kAlignr) {
        R a[U + 1];
        STUDIO_UNROLL
        for (int u = 0; u <= U; ++u) a[u] = ld<0>(g, row, q0 + u);
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) {
          t[0][u] = a[u];
          t[1][u] = V::template shift<1>(a[u], a[u + 1]);
          t[2][u] = V::template shift<2>(a[u], a[u + 1]);
        }
      } else {
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) {
          t[0][u] = ld<0>(g, row, q0 + u);
          t[1][u] = ld<1>(g, row, q0 + u);
          t[2][u] = ld<2>(g, row, q0 + u);
        }
      }
    } else {
      if constexpr (V::kAlignr) {
        if (U == 1 && g.OW < W) {
          // One partial vector per row: tap 2's last lane (the look-ahead vector's) is discarded.
          const R lo = ld<0>(g, row, q0), hi = ld<1>(g, row, q0);
          t[0][0] = V::even(lo, hi);
          t[1][0] = V::odd(lo, hi);
          t[2][0] = V::template shift<1>(t[0][0], t[0][0]);
          return;
        }
        R e[U + 1];
        STUDIO_UNROLL
        for (int u = 0; u <= U; ++u) {
          const R lo = ld<0>(g, row, q0 + u), hi = ld<1>(g, row, q0 + u);
          e[u] = V::even(lo, hi);
          if (u < U) t[1][u] = V::odd(lo, hi);
        }
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) {
          t[0][u] = e[u];
          t[2][u] = V::template shift<1>(e[u], e[u + 1]);
        }
      } else {
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) {
          const R lo = ld<0>(g, row, q0 + u), hi = ld<1>(g, row, q0 + u);
          t[0][u] = V::even(lo, hi);
          t[1][u] = V::odd(lo, hi);
          t[2][u] = V::even(ld<2>(g, row, q0 + u), ld<3>(g, row, q0 + u));
        }
      }
    }
  }

  struct Out {
    const float* w;    // this channel's 9 weights
    float bias;
    const float* res;  // this channel's residual plane (may alias y) or null
    float* y;          // this channel's output plane
    Activation act;
    float lo, hi;
    bool spill;        // a row's partial last vector may be stored whole (see store)
  };

  /** Output rows oy0 .. oy0+R-1, output vectors q0 .. q0+U-1 of one channel. */
  template <int S, int U, int RR>
  static STUDIO_ALWAYS_INLINE void block(const Geom& g, const float* xc, const Out& o, int64_t oy0, int64_t q0) {
    R acc[RR][U];
    STUDIO_UNROLL
    for (int r = 0; r < RR; ++r)
      STUDIO_UNROLL
      for (int u = 0; u < U; ++u) acc[r][u] = V::zero();
    constexpr int KR = (RR - 1) * S + 3;  // input rows read
    const int64_t iy0 = oy0 * S - g.pt;
    STUDIO_UNROLL
    for (int k = 0; k < KR; ++k) {
      const int64_t iy = iy0 + k;
      if (iy < 0 || iy >= g.H) continue;
      R t[3][U];
      taps<S, U>(g, xc + iy * g.Win, q0, t);
      STUDIO_UNROLL
      for (int r = 0; r < RR; ++r) {
        const int i = k - r * S;  // kernel row of input row k for output row r
        if (i < 0 || i > 2) continue;
        STUDIO_UNROLL
        for (int j = 0; j < 3; ++j) {
          const R wv = V::set1(o.w[i * 3 + j]);
          STUDIO_UNROLL
          for (int u = 0; u < U; ++u) acc[r][u] = V::fma(wv, t[j][u], acc[r][u]);
        }
      }
    }
    const R bias = V::set1(o.bias), lo = V::set1(o.lo), hi = V::set1(o.hi), zero = V::zero();
    const int64_t plane = g.OH * g.OW;
    STUDIO_UNROLL
    for (int r = 0; r < RR; ++r) {
      const int64_t oy = oy0 + r;
      STUDIO_UNROLL
      for (int u = 0; u < U; ++u) {
        const int64_t ox = (q0 + u) * W, idx = oy * g.OW + ox;
        const int64_t n = std::min<int64_t>(W, g.OW - ox);
        R v = V::add(acc[r][u], bias);
        if (o.res) v = V::add(v, n == W ? V::load(o.res + idx) : V::load_m(o.res + idx, V::first(n)));
        if (o.act == Activation::Relu) v = V::max(v, zero);
        else if (o.act == Activation::Clip) v = V::min(V::max(v, lo), hi);
        // A partial last vector is stored whole where that stays inside the plane and nothing is
        // read from y afterwards: the extra lanes land in later rows, written after this one.
        if (n == W || (o.spill && idx + W <= plane)) V::store(o.y + idx, v);
        else V::store_m(o.y + idx, V::first(n), v);
      }
    }
  }

  /** Output rows [oy0, oy0 + RR) of one channel, all vectors: U-vector blocks, then the rest. */
  template <int S, int U, int RR>
  static STUDIO_ALWAYS_INLINE void rows(const Geom& g, const float* xc, const Out& o, int64_t oy0) {
    int64_t q = 0;
    for (; q + U <= g.nv; q += U) block<S, U, RR>(g, xc, o, oy0, q);
    if constexpr (U > 1) {
      switch (g.nv - q) {
        case 3: if constexpr (U > 3) block<S, 3, RR>(g, xc, o, oy0, q); break;
        case 2: if constexpr (U > 2) block<S, 2, RR>(g, xc, o, oy0, q); break;
        case 1: block<S, 1, RR>(g, xc, o, oy0, q); break;
        default: break;
      }
    }
  }

  /** Flat path: vectors q0 .. q0+U-1 of one channel's plane. */
  template <int U>
  static STUDIO_ALWAYS_INLINE void flat_block(const Geom& g, const float* xc, const Out& o, int64_t q0) {
    R acc[U];
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) acc[u] = V::zero();
    STUDIO_UNROLL
    for (int t = 0; t < 9; ++t) {
      const R wv = V::set1(o.w[t]);
      STUDIO_UNROLL
      for (int u = 0; u < U; ++u)
        acc[u] = V::fma(wv, V::load_m(xc + (q0 + u) * W + g.fd[t], g.fm[t][q0 + u]), acc[u]);
    }
    const R bias = V::set1(o.bias), lo = V::set1(o.lo), hi = V::set1(o.hi), zero = V::zero();
    const int64_t plane = g.OH * g.OW;
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) {
      const int64_t idx = (q0 + u) * W, n = std::min<int64_t>(W, plane - idx);
      R v = V::add(acc[u], bias);
      if (o.res) v = V::add(v, n == W ? V::load(o.res + idx) : V::load_m(o.res + idx, V::first(n)));
      if (o.act == Activation::Relu) v = V::max(v, zero);
      else if (o.act == Activation::Clip) v = V::min(V::max(v, lo), hi);
      if (n == W) V::store(o.y + idx, v);
      else V::store_m(o.y + idx, V::first(n), v);
    }
  }

  static void flat_plane(const Geom& g, const float* xc, const Out& o) {
    prefetch(g, xc, g.H * g.Win, 2 * g.H * g.Win);  // the next channel's plane (small: <= 256 floats)
    int64_t q = 0;
    for (; q + 4 <= g.nf; q += 4) flat_block<4>(g, xc, o, q);
    switch (g.nf - q) {
      case 3: flat_block<3>(g, xc, o, q); break;
      case 2: flat_block<2>(g, xc, o, q); break;
      case 1: flat_block<1>(g, xc, o, q); break;
      default: break;
    }
  }

  /**
   * Prefetches the input floats [b, e) of this channel's H x Win rows; offsets past them continue
   * in the next channel's (x + xcs), which is read next. In a network the depthwise input has
   * usually left L2 (56x56x144 is 1.8 MB); the hardware prefetchers do not run far enough ahead of
   * a few short rows read at a time, and without this the kernel ran 2-4x slower from memory than
   * from cache (Zen 5). Prefetches never fault: addresses past the tensor are harmless.
   */
  static STUDIO_ALWAYS_INLINE void prefetch(const Geom& g, const float* xc, int64_t b, int64_t e) {
    const int64_t n = g.H * g.Win;
    auto lines = [](const float* from, const float* to) {
      for (const char* p = reinterpret_cast<const char*>(from); p < reinterpret_cast<const char*>(to); p += 64)
        STUDIO_PREFETCH(p);
    };
    if (b < n) lines(xc + b, xc + std::min(e, n));
    if (e > n) lines(xc + g.xcs + std::max<int64_t>(b - n, 0), xc + g.xcs + (e - n));
  }

  /**
   * Stride 2 with OW <= W/2 - 1 (AVX-512: 7-wide outputs, MobileNetV2's 14x14 -> 7x7): one vector
   * holds two output rows, oy in lanes [0, W/2) and oy + 1 in [W/2, W). The even/odd split of the
   * pair (input row of oy, input row of oy + 1), W floats each, gives taps 0 and 1 of both rows at
   * once, and tap 2 is the even vector shifted one lane (lane OW - 1 reads lane OW <= W/2 - 1, still
   * the first row's). Half the loads, permutes and FMAs of one half-empty vector per row.
   */
  static bool use_pairs(int s, int64_t OW) { return kCheapMasks && V::kAlignr && s == 2 && 2 * OW + 2 <= W; }

  template <int P>
  static STUDIO_ALWAYS_INLINE void pair_block(const Geom& g, const float* xc, const Out& o, int64_t oy0) {
    constexpr int H2 = W / 2;
    R acc[P];
    STUDIO_UNROLL
    for (int p = 0; p < P; ++p) acc[p] = V::zero();
    const M m = g.mk[0][0];  // the input columns [-pl, W - pl) inside the row
    STUDIO_UNROLL
    for (int p = 0; p < P; ++p) {
      const int64_t oy = oy0 + 2 * p;
      STUDIO_UNROLL
      for (int i = 0; i < 3; ++i) {
        const int64_t r1 = oy * 2 - g.pt + i, r2 = r1 + 2;
        const R lo = r1 >= 0 && r1 < g.H ? V::load_m(xc + r1 * g.Win - g.pl, m) : V::zero();
        const R hi = r2 >= 0 && r2 < g.H ? V::load_m(xc + r2 * g.Win - g.pl, m) : V::zero();
        const R e = V::even(lo, hi);
        acc[p] = V::fma(V::set1(o.w[3 * i]), e, acc[p]);
        acc[p] = V::fma(V::set1(o.w[3 * i + 1]), V::odd(lo, hi), acc[p]);
        acc[p] = V::fma(V::set1(o.w[3 * i + 2]), V::template shift<1>(e, e), acc[p]);
      }
    }
    const R bias = V::set1(o.bias), lo = V::set1(o.lo), hi = V::set1(o.hi), zero = V::zero();
    STUDIO_UNROLL
    for (int p = 0; p < P; ++p) {
      const int64_t oy = oy0 + 2 * p;
      // Row oy from lane 0, row oy + 1 from lane H2: masked accesses at y + (oy + 1)*OW - H2.
      const M m0 = V::first(g.OW), m1 = V::range(H2, oy + 1 < g.OH ? H2 + g.OW : H2);
      const int64_t i0 = oy * g.OW, i1 = (oy + 1) * g.OW - H2;
      R v = V::add(acc[p], bias);
      if (o.res) v = V::add(v, V::load_m(o.res + i1, m1, V::load_m(o.res + i0, m0)));
      if (o.act == Activation::Relu) v = V::max(v, zero);
      else if (o.act == Activation::Clip) v = V::min(V::max(v, lo), hi);
      V::store_m(o.y + i0, m0, v);
      V::store_m(o.y + i1, m1, v);
    }
  }

  static void pair_plane(const Geom& g, const float* xc, const Out& o) {
    prefetch(g, xc, g.H * g.Win, 2 * g.H * g.Win);  // the next channel's plane (small)
    int64_t oy = 0;
    for (; oy + 4 <= g.OH; oy += 4) pair_block<2>(g, xc, o, oy);
    for (; oy < g.OH; oy += 2) pair_block<1>(g, xc, o, oy);
  }

  /** One channel: RR rows at a time (the input rows two groups ahead prefetched), then single rows. */
  template <int S, int U, int RR>
  static void plane(const Geom& g, const float* xc, const Out& o) {
    constexpr int64_t kAhead = 4;  // row groups (1, 2, 4, 8 measured: 4 best from memory at stride 2)
    const int64_t step = int64_t(RR) * S * g.Win;
    // The first groups' rows (the previous channel prefetched them as its "next" rows, mostly).
    int64_t pf = std::max<int64_t>(0, int64_t(3 - g.pt) * g.Win + kAhead * step);
    prefetch(g, xc, 0, pf);
    int64_t oy = 0;
    for (; oy + RR <= g.OH; oy += RR) {
      prefetch(g, xc, pf, pf + step);
      pf += step;
      rows<S, U, RR>(g, xc, o, oy);
    }
    for (; oy < g.OH; ++oy) rows<S, U, 1>(g, xc, o, oy);
  }

  /** Chooses U (vectors per block) and R (rows) for about 8 accumulators. */
  template <int S>
  static void channels(const Geom& g, const float* x, int64_t xcs, int64_t c0, int64_t c1, const float* w, float* y,
                       const Epilogue& ep) {
    // Spilling a partial vector into the next row is safe only when every row is one block (the
    // next row's first vector is stored after it) and y is not read afterwards (no residual).
    auto run = [&](int U, auto fn) {
      for (int64_t c = c0; c < c1; ++c) {
        Out o{w + c * 9, ep.bias ? ep.bias[c] : 0.f, ep.residual ? ep.residual + c * g.OH * g.OW : nullptr,
              y + c * g.OH * g.OW, ep.act, ep.clip_min, ep.clip_max, ep.residual == nullptr && g.nv <= U};
        fn(x + c * xcs, o);
      }
    };
    if constexpr (S == 1) {
      if (g.flat) return run(0, [&](const float* xc, const Out& o) { flat_plane(g, xc, o); });
    } else if constexpr (V::kAlignr) {
      if (use_pairs(S, g.OW)) return run(0, [&](const float* xc, const Out& o) { pair_plane(g, xc, o); });
    }
    if (g.nv >= 4) run(4, [&](const float* xc, const Out& o) { plane<S, 4, 2>(g, xc, o); });
    else if (g.nv == 3) run(3, [&](const float* xc, const Out& o) { plane<S, 3, 2>(g, xc, o); });
    else if (g.nv == 2) run(2, [&](const float* xc, const Out& o) { plane<S, 2, 4>(g, xc, o); });
    else run(1, [&](const float* xc, const Out& o) { plane<S, 1, 4>(g, xc, o); });
  }

  // ---- entry point (the KernelTable's contract; check supported() first) ----
  static void depthwise(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win, int64_t xcs, const float* w, int sh,
                        int pt, int pl, int64_t OH, int64_t OW, float* y, const Epilogue& ep) {
    const Geom g = make_geom(H, Win, xcs, OH, OW, sh, pt, pl);
    if (sh == 1) channels<1>(g, x, xcs, c0, c1, w, y, ep);
    else channels<2>(g, x, xcs, c0, c1, w, y, ep);
  }
};

}  // namespace
}  // namespace studio
