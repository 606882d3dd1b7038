// Depthwise convolution and pooling over a vector-traits type V (NCHW planes, one channel at a
// time), written so the hot loop has no masks, no branches and long independent FMA chains.
//
// 1. The input plane is copied into sh * sw "phase planes" (polyphase split of the padded plane):
//      P[pr][pc][r][c] = Xpad[sh*r + pr][sw*c + pc],  row pitch Q = ceil(Wpad / sw),
//    with the padding filled by the reduction's neutral value (0 for sums, -inf for max). For
//    stride 1 this is a single padded copy; for stride 2 one pair of loads per 2W inputs feeds
//    both column phases (V::even / V::odd).
// 2. Then every kernel tap (i, j) reads its phase plane at a CONSTANT offset from the output
//    index o = oy*Q + ox:   P[(i*dh) % sh][(j*dw) % sw][o + ((i*dh)/sh)*Q + (j*dw)/sw].
//    So the whole output plane (with pitch Q; columns >= OW are discarded) is one flat loop:
//    kU vectors of outputs at a time (kU independent chains), each tap one unaligned load + one
//    FMA per vector. Narrow planes (7x7, 14x14) still fill whole vectors because chunks run
//    across row ends. On AVX-512 the 3x3 stride-1 taps j = 1, 2 come from valignd of the j = 0
//    vectors instead of loads (unaligned zmm loads cost ~1.7 cycles on Zen 4; this made the
//    56x56 loop FMA-bound: 0.86 -> 0.57 us per channel).
// 3. A compaction pass copies the OW valid columns of each row into y, applying the epilogue
//    (bias, residual -- read before y is written, so it may alias y --, activation) or the
//    average's divisor.
// Measured alternatives that lost on Zen 4: reading x in place with per-lane padding masks
// (masked loads + mask bookkeeping cost more than the copy), and row-by-row chunks (latency-
// bound on narrow rows). Total for 3x3 s1 56x56: ~1.4 us per channel (copy 0.5, FMAs 0.6).
// With stride 1 along W the copy's per-column-chunk masks are computed once per plane: 19x19
// (728 channels) went 0.24 -> 0.15 ms, 56x56 (144 channels, 8 images) 2.0 -> 1.5 ms (Zen 4).
#pragma once
#include <algorithm>
#include <limits>

#include "../common.h"

namespace studio {
namespace {

template <class V>
struct SimdWindow {
  using R = typename V::R;
  static constexpr int W = V::W;
  // Accumulators per group: 8 zmm (+ 9 weights + 9 loaded rows = 26 of 32 registers on AVX-512),
  // 6 ymm on AVX2 (16 registers). Either way well above latency x FMA issue rate.
  static constexpr int kU = W == 16 ? 8 : 6;
  static constexpr int kMaxTaps = 64;

  static bool supported(int kh, int kw, int sh, int sw) { return kh * kw <= kMaxTaps && sh <= 4 && sw <= 4; }

  struct Layout {
    int64_t H, Win, OH, OW, Q, Hq, L, plane;
    int sh, sw, pt, pl, ntaps;
    bool align3;  // 3x3, stride 1, no dilation: taps j = 1, 2 derived from registers (V::shift)
    int64_t tap_off[kMaxTaps];  // tap -> offset into the phase buffer (plane start + shift)
  };

  static Layout make_layout(int64_t H, int64_t Win, int64_t OH, int64_t OW, int kh, int kw, int sh, int sw, int dh,
                            int dw, int pt, int pl) {
    Layout g{};
    g.H = H, g.Win = Win, g.OH = OH, g.OW = OW, g.sh = sh, g.sw = sw, g.pt = pt, g.pl = pl, g.ntaps = kh * kw;
    // The padded extent covers every window of the given output size (pools in ceil mode may
    // reach past the declared padding; those positions hold the neutral value).
    const int64_t Hp = std::max<int64_t>(pt + H, (OH - 1) * sh + int64_t(kh - 1) * dh + 1);
    const int64_t Wp = std::max<int64_t>(pl + Win, (OW - 1) * sw + int64_t(kw - 1) * dw + 1);
    g.Q = ceil_div(Wp, sw);
    g.Hq = ceil_div(Hp, sh);
    g.L = round_up(OH * g.Q, W);  // outputs computed: whole vectors (the excess is discarded)
    // Reads reach L + max_shift (+ one vector for the shifted-register path); rows are written
    // as whole vectors, so the last one may spill up to W floats past Hq * Q.
    const int64_t max_shift = (int64_t(kh - 1) * dh / sh) * g.Q + int64_t(kw - 1) * dw / sw;
    g.plane = round_up(std::max(g.Hq * g.Q, g.L + max_shift + W), W) + W;
    g.align3 = V::kAlignr && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1;
    for (int i = 0; i < kh; ++i)
      for (int j = 0; j < kw; ++j) {
        const int64_t a = int64_t(i) * dh, b = int64_t(j) * dw;
        g.tap_off[i * kw + j] = ((a % sh) * sw + (b % sw)) * g.plane + (a / sh) * g.Q + b / sw;
      }
    return g;
  }

  static size_t workspace_floats(const Layout& g) { return size_t(g.sh * g.sw * g.plane + g.L + 2 * W); }

  /** Phase planes of one input channel (step 1 above). Rows are written as whole vectors. */
  static void build_planes(const Layout& g, const float* xc, float* buf, float fv) {
    const R fillv = V::set1(fv);
    using Mask = typename V::M;
    constexpr int64_t kMaxChunks = 32;
    if (g.sw == 1 && g.Q <= kMaxChunks * W) {
      // Stride 1 along W: the lanes taken from the image are the same in every row, so each
      // column chunk's mask is computed once per plane, not once per row (small planes such as
      // 19x19 spent most of their time on that bookkeeping).
      Mask mk[kMaxChunks];
      const int64_t nch = ceil_div(g.Q, W);
      for (int64_t q = 0; q < nch; ++q) mk[q] = V::range(g.pl - q * W, g.pl + g.Win - q * W);
      for (int pr = 0; pr < g.sh; ++pr)
        for (int64_t r = 0; r < g.Hq; ++r) {
          const int64_t row = r * g.sh + pr - g.pt;
          float* d = buf + pr * g.plane + r * g.Q;
          if (row < 0 || row >= g.H) {
            for (int64_t q = 0; q < nch; ++q) V::store(d + q * W, fillv);
            continue;
          }
          const float* s = xc + row * g.Win - g.pl;  // masked lanes are never read
          for (int64_t q = 0; q < nch; ++q) V::store(d + q * W, V::load_m(s + q * W, mk[q], fillv));
        }
      for (int p = 0; p < g.sh; ++p)
        for (int64_t c = g.Hq * g.Q; c + W <= g.plane; c += W) V::store(buf + p * g.plane + c, fillv);
      return;
    }
    for (int pr = 0; pr < g.sh; ++pr) {
      for (int64_t r = 0; r < g.Hq; ++r) {
        const int64_t row = r * g.sh + pr - g.pt;
        const bool inside = row >= 0 && row < g.H;
        const float* s = xc + row * g.Win - g.pl;  // padded column q is s[q] (q in [pl, pl + Win))
        if (g.sw == 2) {
          // One pair of loads feeds both column phases: even lanes -> pc 0, odd lanes -> pc 1.
          float* d0 = buf + (pr * 2) * g.plane + r * g.Q;
          float* d1 = d0 + g.plane;
          for (int64_t c = 0; c < g.Q; c += W) {
            const int64_t a = g.pl - 2 * c, b = g.pl + g.Win - 2 * c;  // raw lanes from the image
            R lo = fillv, hi = fillv;
            if (inside && a <= 0 && b >= 2 * W) {
              lo = V::load(s + 2 * c), hi = V::load(s + 2 * c + W);
            } else if (inside) {
              lo = V::load_m(s + 2 * c, V::range(a, b), fillv);
              hi = V::load_m(s + 2 * c + W, V::range(a - W, b - W), fillv);
            }
            V::store(d0 + c, V::even(lo, hi));
            V::store(d1 + c, V::odd(lo, hi));
          }
          continue;
        }
        for (int pc = 0; pc < g.sw; ++pc) {
          float* d = buf + (pr * g.sw + pc) * g.plane + r * g.Q;
          for (int64_t c = 0; c < g.Q; c += W) {
            if (g.sw == 1) {  // lanes [a, b) come from the image
              const int64_t a = g.pl - c, b = g.pl + g.Win - c;
              if (inside && a <= 0 && b >= W) V::store(d + c, V::load(s + c));
              else V::store(d + c, inside ? V::load_m(s + c, V::range(a, b), fillv) : fillv);
            } else {
              for (int l = 0; l < W; ++l) {
                const int64_t q = (c + l) * g.sw + pc;
                d[c + l] = inside && q >= g.pl && q < g.pl + g.Win ? s[q] : fv;
              }
            }
          }
        }
      }
    }
    for (int p = 0; p < g.sh * g.sw; ++p)
      for (int64_t c = g.Hq * g.Q; c + W <= g.plane; c += W) V::store(buf + p * g.plane + c, fillv);
  }

  /** U vectors of outputs at o: acc[u] = reduce over the taps (step 2). */
  template <int U, int NT, class Op>
  static STUDIO_ALWAYS_INLINE void group(const float* const* tp, const R* wv, int nt, const Op& op, int64_t o,
                                         float* out) {
    R acc[U];
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) acc[u] = op.init();
    if constexpr (NT > 0) {
      STUDIO_UNROLL
      for (int t = 0; t < NT; ++t) {
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) acc[u] = op.step(acc[u], wv[t], V::load(tp[t] + o + u * W));
      }
    } else {
      for (int t = 0; t < nt; ++t) {
        const R w = op.weight(t);
        STUDIO_UNROLL
        for (int u = 0; u < U; ++u) acc[u] = op.step(acc[u], w, V::load(tp[t] + o + u * W));
      }
    }
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) V::store(out + o + u * W, acc[u]);
  }

  /** 3x3 stride 1: per kernel row U+1 loads; taps 1 and 2 are shifted registers, not loads. */
  template <int U, class Op>
  static STUDIO_ALWAYS_INLINE void group3(const float* const* tp, const R* wv, const Op& op, int64_t o, float* out) {
    R acc[U];
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) acc[u] = op.init();
    STUDIO_UNROLL
    for (int i = 0; i < 3; ++i) {
      R v[U + 1];
      STUDIO_UNROLL
      for (int u = 0; u <= U; ++u) v[u] = V::load(tp[3 * i] + o + u * W);
      STUDIO_UNROLL
      for (int u = 0; u < U; ++u) {
        acc[u] = op.step(acc[u], wv[3 * i], v[u]);
        acc[u] = op.step(acc[u], wv[3 * i + 1], V::template shift<1>(v[u], v[u + 1]));
        acc[u] = op.step(acc[u], wv[3 * i + 2], V::template shift<2>(v[u], v[u + 1]));
      }
    }
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u) V::store(out + o + u * W, acc[u]);
  }

  /**
   * out[0, L) for one channel. Groups of kU vectors keep kU independent accumulator chains (the
   * latency of FMA/max is hidden), then 4, then single vectors for the rest of the plane.
   */
  template <int NT, class Op>
  static void flat(const Layout& g, const float* buf, const Op& op, float* out) {
    const int nt = NT ? NT : g.ntaps;
    const float* tp[kMaxTaps];
    for (int t = 0; t < nt; ++t) tp[t] = buf + g.tap_off[t];
    R wv[NT ? NT : 1];
    if constexpr (NT > 0) {
      STUDIO_UNROLL
      for (int t = 0; t < NT; ++t) wv[t] = op.weight(t);
    }
    int64_t o = 0;
    if constexpr (NT == 9 && V::kAlignr) {
      if (g.align3) {
        for (; o + kU * W <= g.L; o += kU * W) group3<kU>(tp, wv, op, o, out);
        for (; o + 4 * W <= g.L; o += 4 * W) group3<4>(tp, wv, op, o, out);
        for (; o < g.L; o += W) group3<1>(tp, wv, op, o, out);
        return;
      }
    }
    for (; o + kU * W <= g.L; o += kU * W) group<kU, NT>(tp, wv, nt, op, o, out);
    for (; o + 4 * W <= g.L; o += 4 * W) group<4, NT>(tp, wv, nt, op, o, out);
    for (; o < g.L; o += W) group<1, NT>(tp, wv, nt, op, o, out);
  }

  template <class Op>
  static void flat_any(const Layout& g, const float* buf, const Op& op, float* out) {
    if (g.ntaps == 9) flat<9>(g, buf, op, out);
    else if (g.ntaps == 1) flat<1>(g, buf, op, out);
    else flat<0>(g, buf, op, out);
  }

  /** Copies the OW valid columns of each pitch-Q row into y through f(value, oy, ox, n) (step 3). */
  /** spill: a row's partial last vector may be stored whole where that stays inside the plane:
   *  the lanes past OW land in later rows, which are written afterwards (masked stores cost more).
   *  Only when nothing is read from y after it is written (no residual, which may alias y). */
  template <class F>
  static STUDIO_ALWAYS_INLINE void compact(const Layout& g, const float* out, float* yc, F f, bool spill = false) {
    for (int64_t oy = 0; oy < g.OH; ++oy) {
      const float* s = out + oy * g.Q;
      float* d = yc + oy * g.OW;
      int64_t ox = 0;
      for (; ox + W <= g.OW; ox += W) V::store(d + ox, f(V::load(s + ox), oy, ox, W));
      if (ox < g.OW) {
        if (spill && (oy * g.OW + ox + W <= g.OH * g.OW)) V::store(d + ox, f(V::load(s + ox), oy, ox, W));
        else V::store_m(d + ox, V::first(g.OW - ox), f(V::load(s + ox), oy, ox, g.OW - ox));
      }
    }
  }

  struct FmaOp {
    const float* w;
    R init() const { return V::zero(); }
    R weight(int t) const { return V::set1(w[t]); }
    static STUDIO_ALWAYS_INLINE R step(R acc, R w, R x) { return V::fma(w, x, acc); }
  };
  struct MaxOp {
    R init() const { return V::set1(-std::numeric_limits<float>::infinity()); }
    R weight(int) const { return V::zero(); }
    static STUDIO_ALWAYS_INLINE R step(R acc, R, R x) { return V::max(acc, x); }
  };
  struct SumOp {
    R init() const { return V::zero(); }
    R weight(int) const { return V::zero(); }
    static STUDIO_ALWAYS_INLINE R step(R acc, R, R x) { return V::add(acc, x); }
  };

  // ---- entry points (same contracts as the KernelTable's) ----
  static void depthwise(AlignedBuffer& ws, const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win,
                        int64_t xcs, const float* w, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int64_t OH,
                        int64_t OW, float* y, const Epilogue& ep) {
    const R lo = V::set1(ep.clip_min), hi = V::set1(ep.clip_max), zero = V::zero();
    const Layout g = make_layout(H, Win, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl);
    float* buf = ws.get(workspace_floats(g));
    float* out = buf + g.sh * g.sw * g.plane;
    for (int64_t c = c0; c < c1; ++c) {
      build_planes(g, x + c * xcs, buf, 0.f);
      flat_any(g, buf, FmaOp{w + c * kh * kw}, out);
      const R bias = V::set1(ep.bias ? ep.bias[c] : 0.f);
      const float* res = ep.residual ? ep.residual + c * OH * OW : nullptr;
      compact(g, out, y + c * OH * OW, [&](R v, int64_t oy, int64_t ox, int64_t n) {
        v = V::add(v, bias);
        if (res) {
          const float* r = res + oy * OW + ox;
          v = V::add(v, n == W ? V::load(r) : V::load_m(r, V::first(n)));
        }
        if (ep.act == Activation::Relu) v = V::max(v, zero);
        else if (ep.act == Activation::Clip) v = V::min(V::max(v, lo), hi);
        return v;
      }, res == nullptr);
    }
  }

  static void maxpool(AlignedBuffer& ws, const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win, int kh,
                      int kw, int sh, int sw, int dh, int dw, int pt, int pl, int64_t OH, int64_t OW, float* y) {
    const Layout g = make_layout(H, Win, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl);
    float* buf = ws.get(workspace_floats(g));
    float* out = buf + g.sh * g.sw * g.plane;
    for (int64_t c = c0; c < c1; ++c) {
      build_planes(g, x + c * H * Win, buf, -std::numeric_limits<float>::infinity());
      flat_any(g, buf, MaxOp{}, out);
      compact(g, out, y + c * OH * OW, [](R v, int64_t, int64_t, int64_t) { return v; });
    }
  }

  static void avgpool(AlignedBuffer& ws, const float* x, int64_t c0, int64_t c1, int64_t H, int64_t Win, int kh,
                      int kw, int sh, int sw, int pt, int pl, int pb, int pr, bool include_pad, int64_t OH,
                      int64_t OW, float* y) {
    const Layout g = make_layout(H, Win, OH, OW, kh, kw, sh, sw, 1, 1, pt, pl);
    const size_t planes = workspace_floats(g);
    float* buf = ws.get(planes + size_t(round_up(OW, W) + OH + W));
    float* out = buf + g.sh * g.sw * g.plane;
    float* inv_cols = buf + planes;
    float* inv_rows = inv_cols + round_up(OW, W);
    avg_divisors(H, Win, OH, OW, kh, kw, sh, sw, pt, pl, pb, pr, include_pad, round_up(OW, W), inv_rows, inv_cols);
    for (int64_t c = c0; c < c1; ++c) {
      build_planes(g, x + c * H * Win, buf, 0.f);
      flat_any(g, buf, SumOp{}, out);
      compact(g, out, y + c * OH * OW, [&](R v, int64_t oy, int64_t ox, int64_t) {
        return V::mul(V::mul(v, V::set1(inv_rows[oy])), V::load(inv_cols + ox));
      });
    }
  }
};

}  // namespace
}  // namespace studio
