// Winograd F(2x2,3x3) and F(4x4,3x3) input and output transforms, written once over a vector
// traits type X (a V512/V256 extended with sub/zip_lo/zip_hi in each ISA's winograd.cc, or the
// 4-lane array type of scalar/winograd.cc) and instantiated per ISA (internal linkage).
//
// Lanes are tiles. Tiles of one tile row are m input columns apart, so a tile row's patches are
// one contiguous strip of alpha input rows:
//  input:  1. vertical B^T over the strip's alpha rows, contiguous along x (masked loads give the
//             zero padding), into a thread-local strip hb[alpha][x];
//          2. per vector of W tiles, the alpha columns j of each transformed row are the m-way
//             deinterleave of hb (lane l = hb[m*l + j]: even/odd permutes, no gathers), then
//             horizontal B^T, stored as W contiguous columns of V[xi][c][t].
//  output: per vector of W tiles and output channel, A^T over j then over i (registers), then
//          the m results of each output row are interleaved back (zip_lo/zip_hi) into m*W
//          contiguous pixels, which get bias, residual and activation and are stored (masked at
//          the image's right edge and the segment's end).
// A block of tiles may span tile rows and images: it is cut into segments, one per tile row.
#pragma once
#include <algorithm>

#include "../common.h"

namespace studio {
namespace {

template <class X>
struct SimdWinograd {
  using R = typename X::R;
  using Mk = typename X::M;
  static constexpr int W = X::W;

  // ---- 1-D transforms (alpha inputs -> alpha or m outputs) ----
  /** t = B^T d. F(4,3) with points 0, -1, 1, 1/2, -2 (Barabasz et al.: about 3x less fp32 error
   *  than Lavin & Gray's 0, +-1, +-2; see native/DESIGN.md "Winograd"); F(2,3) with 0, +-1.
   *  Rows of F(4,3)'s B^T:  t0 = d0 - 3/2 d1 - 2 d2 + 3/2 d3 + d4,  t1 = d1 - 5/2 d2 + 1/2 d3 + d4,
   *  t2 = -d1 + 1/2 d2 + 5/2 d3 + d4,  t3 = -2 d1 - d2 + 2 d3 + d4,  t4 = 1/2 d1 - d2 - 1/2 d3 + d4,
   *  t5 = d1 - 3/2 d2 - 2 d3 + 3/2 d4 + d5. */
  template <int MT>
  static STUDIO_ALWAYS_INLINE void bt(const R* d, R* t) {
    if constexpr (MT == 4) {
      const R h3 = X::set1(1.5f), h5 = X::set1(2.5f), half = X::set1(0.5f), two = X::set1(2.f);
      const R mtwo = X::set1(-2.f), mh5 = X::set1(-2.5f), mhalf = X::set1(-0.5f);
      const R s31 = X::sub(d[3], d[1]), s42 = X::sub(d[4], d[2]);
      t[0] = X::fma(h3, s31, X::fma(mtwo, d[2], X::add(d[0], d[4])));
      t[1] = X::fma(mh5, d[2], X::fma(half, d[3], X::add(d[4], d[1])));
      t[2] = X::fma(h5, d[3], X::fma(half, d[2], X::sub(d[4], d[1])));
      t[3] = X::fma(two, s31, s42);
      t[4] = X::fma(mhalf, s31, s42);
      t[5] = X::fma(h3, s42, X::fma(mtwo, d[3], X::add(d[1], d[5])));
    } else {
      t[0] = X::sub(d[0], d[2]);
      t[1] = X::add(d[1], d[2]);
      t[2] = X::sub(d[2], d[1]);
      t[3] = X::sub(d[1], d[3]);
    }
  }
  /** o = A^T s (m outputs of alpha inputs). F(4,3): o_i = s1 (-1)^i + s2 + s3 / 2^i + s4 (-2)^i
   *  (+ s0 for o0, s5 for o3). */
  template <int MT>
  static STUDIO_ALWAYS_INLINE void at(const R* s, R* o) {
    if constexpr (MT == 4) {
      const R a = X::add(s[2], s[1]), b = X::sub(s[2], s[1]);
      o[0] = X::add(X::add(s[0], a), X::add(s[3], s[4]));
      o[1] = X::fma(X::set1(0.5f), s[3], X::fma(X::set1(-2.f), s[4], b));
      o[2] = X::fma(X::set1(0.25f), s[3], X::fma(X::set1(4.f), s[4], a));
      o[3] = X::add(X::fma(X::set1(0.125f), s[3], X::fma(X::set1(-8.f), s[4], b)), s[5]);
    } else {
      o[0] = X::add(X::add(s[0], s[1]), s[2]);
      o[1] = X::sub(X::sub(s[1], s[2]), s[3]);
    }
  }

  /** d[j] lane l = h[MT*l + j] for j < alpha: the strip's columns of W consecutive tiles. */
  template <int MT>
  static STUDIO_ALWAYS_INLINE void phases(const float* h, R* d) {
    if constexpr (MT == 4) {
      R a = X::load(h), b = X::load(h + W), c = X::load(h + 2 * W), e = X::load(h + 3 * W);
      R ea = X::even(a, b), oa = X::odd(a, b), ec = X::even(c, e), oc = X::odd(c, e);
      d[0] = X::even(ea, ec), d[1] = X::even(oa, oc), d[2] = X::odd(ea, ec), d[3] = X::odd(oa, oc);
      a = X::load(h + 4), b = X::load(h + 4 + W), c = X::load(h + 4 + 2 * W), e = X::load(h + 4 + 3 * W);
      ea = X::even(a, b), oa = X::odd(a, b), ec = X::even(c, e), oc = X::odd(c, e);
      d[4] = X::even(ea, ec), d[5] = X::even(oa, oc);
    } else {
      R a = X::load(h), b = X::load(h + W);
      d[0] = X::even(a, b), d[1] = X::odd(a, b);
      a = X::load(h + 2), b = X::load(h + 2 + W);
      d[2] = X::even(a, b), d[3] = X::odd(a, b);
    }
  }
  /** The inverse: out[u] lane k = y[k % MT] lane (u*W + k) / MT (MT results per tile -> pixels). */
  template <int MT>
  static STUDIO_ALWAYS_INLINE void interleave(const R* y, R* out) {
    if constexpr (MT == 4) {
      const R z0 = X::zip_lo(y[0], y[2]), z1 = X::zip_hi(y[0], y[2]);
      const R z2 = X::zip_lo(y[1], y[3]), z3 = X::zip_hi(y[1], y[3]);
      out[0] = X::zip_lo(z0, z2), out[1] = X::zip_hi(z0, z2), out[2] = X::zip_lo(z1, z3), out[3] = X::zip_hi(z1, z3);
    } else {
      out[0] = X::zip_lo(y[0], y[1]), out[1] = X::zip_hi(y[0], y[1]);
    }
  }

  /** Calls f(n, ty, tx0, nt, col) for each tile-row segment of tiles [t0, t1); col = t - t0. */
  template <class F>
  static STUDIO_ALWAYS_INLINE void segments(const WinogradGeom& g, int64_t t0, int64_t t1, F&& f) {
    const int64_t per_img = g.TY * g.TX;
    for (int64_t t = t0; t < t1;) {
      const int64_t n = t / per_img, r = t % per_img, ty = r / g.TX, tx = r % g.TX;
      const int64_t nt = std::min(t1 - t, g.TX - tx);
      f(n, ty, tx, nt, t - t0);
      t += nt;
    }
  }

  template <int MT>
  static void input(AlignedBuffer& ws, const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0,
                    int64_t t1, float* V, int64_t ldv, int64_t ldt) {
    constexpr int A = MT + 2;
    const int64_t plane = g.H * g.W;
    segments(g, t0, t1, [&](int64_t n, int64_t ty, int64_t tx, int64_t nt, int64_t col) {
      const int64_t nv = ceil_div(nt, W);
      // The deinterleave of the last vector reads up to MT*nv*W + MT - 1.
      const int64_t L = round_up(MT * nv * W + MT, W);
      float* hb = ws.get(static_cast<size_t>(A * L));
      const int64_t xs = MT * tx - g.pad_left, ys = MT * ty - g.pad_top;
      for (int64_t c = c0; c < c1; ++c) {
        const float* xc = x + (n * g.C + c) * plane;
        // 1. Vertical transform of the strip (zero outside the image).
        for (int64_t e = 0; e < L; e += W) {
          const int64_t x0 = xs + e;
          const bool full = x0 >= 0 && x0 + W <= g.W;
          const Mk mk = X::range(-x0, g.W - x0);
          R d[A], tt[A];
          STUDIO_UNROLL
          for (int k = 0; k < A; ++k) {
            const int64_t iy = ys + k;
            if (iy < 0 || iy >= g.H) d[k] = X::zero();
            else d[k] = full ? X::load(xc + iy * g.W + x0) : X::load_m(xc + iy * g.W + x0, mk);
          }
          bt<MT>(d, tt);
          STUDIO_UNROLL
          for (int i = 0; i < A; ++i) X::store(hb + i * L + e, tt[i]);
        }
        // 2. Horizontal transform, W tiles per vector, into V.
        float* vc = V + c * ldt + col;
        for (int64_t v = 0; v < nv; ++v) {
          const int64_t lanes = std::min<int64_t>(W, nt - v * W);
          const Mk mk = X::first(lanes);
          STUDIO_UNROLL
          for (int i = 0; i < A; ++i) {
            R d[A], tt[A];
            phases<MT>(hb + i * L + MT * v * W, d);
            bt<MT>(d, tt);
            STUDIO_UNROLL
            for (int j = 0; j < A; ++j) {
              float* p = vc + (i * A + j) * ldv + v * W;
              if (lanes == W) X::store(p, tt[j]);
              else X::store_m(p, mk, tt[j]);
            }
          }
        }
      }
    });
  }

  template <int MT>
  static void output(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                     int64_t t0, int64_t t1, float* y, const Epilogue& ep) {
    constexpr int A = MT + 2;
    const int64_t plane = g.OH * g.OW;
    const R zero = X::zero(), lo = X::set1(ep.clip_min), hi = X::set1(ep.clip_max);
    segments(g, t0, t1, [&](int64_t n, int64_t ty, int64_t tx, int64_t nt, int64_t col) {
      const int64_t nv = ceil_div(nt, W);
      for (int64_t o = m0; o < m1; ++o) {
        const R bias = X::set1(ep.bias ? ep.bias[o] : 0.f);
        float* yo = y + (n * g.M + o) * plane;
        const float* ro = ep.residual ? ep.residual + (n * g.M + o) * plane : nullptr;
        const float* mo = Mt + o * ldt + col;
        for (int64_t v = 0; v < nv; ++v) {
          // Columns past the segment are read (finite or not) but never stored.
          R s[A][MT];
          STUDIO_UNROLL
          for (int i = 0; i < A; ++i) {
            R mm[A];
            STUDIO_UNROLL
            for (int j = 0; j < A; ++j) mm[j] = X::load(mo + (i * A + j) * ldm + v * W);
            at<MT>(mm, s[i]);
          }
          R yv[MT][MT];  // yv[b][a]: output row a, column b of each tile
          STUDIO_UNROLL
          for (int b = 0; b < MT; ++b) {
            R c[A];
            STUDIO_UNROLL
            for (int i = 0; i < A; ++i) c[i] = s[i][b];
            at<MT>(c, yv[b]);
          }
          const int64_t x0 = MT * (tx + v * W);
          const int64_t cnt = std::min(MT * std::min<int64_t>(W, nt - v * W), g.OW - x0);  // pixels per row
          STUDIO_UNROLL
          for (int a = 0; a < MT; ++a) {
            const int64_t oy = MT * ty + a;
            if (oy >= g.OH) break;
            R row[MT], px[MT];
            STUDIO_UNROLL
            for (int b = 0; b < MT; ++b) row[b] = yv[b][a];
            interleave<MT>(row, px);
            float* yp = yo + oy * g.OW + x0;
            const float* rp = ro ? ro + oy * g.OW + x0 : nullptr;
            STUDIO_UNROLL
            for (int u = 0; u < MT; ++u) {
              const int64_t e = int64_t(u) * W;
              if (e >= cnt) break;
              R val = X::add(px[u], bias);
              if (e + W <= cnt) {
                if (rp) val = X::add(val, X::load(rp + e));
                if (ep.act == Activation::Relu) val = X::max(val, zero);
                else if (ep.act == Activation::Clip) val = X::min(X::max(val, lo), hi);
                X::store(yp + e, val);
              } else {
                const Mk mk = X::first(cnt - e);
                if (rp) val = X::add(val, X::load_m(rp + e, mk));
                if (ep.act == Activation::Relu) val = X::max(val, zero);
                else if (ep.act == Activation::Clip) val = X::min(X::max(val, lo), hi);
                X::store_m(yp + e, mk, val);
              }
            }
          }
        }
      }
    });
  }

  // The kernel table's entries (kernels.h winograd_input / winograd_output): g.m picks F(2x2) or
  // F(4x4); `ws` is the calling ISA's thread-local strip.
  static void input_any(AlignedBuffer& ws, const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0,
                        int64_t t1, float* V, int64_t ldv, int64_t ldt) {
    if (g.m == 4) input<4>(ws, g, x, c0, c1, t0, t1, V, ldv, ldt);
    else input<2>(ws, g, x, c0, c1, t0, t1, V, ldv, ldt);
  }
  static void output_any(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                         int64_t t0, int64_t t1, float* y, const Epilogue& ep) {
    if (g.m == 4) output<4>(g, Mt, ldm, ldt, m0, m1, t0, t1, y, ep);
    else output<2>(g, Mt, ldm, ldt, m0, m1, t0, t1, y, ep);
  }
};

}  // namespace
}  // namespace studio
