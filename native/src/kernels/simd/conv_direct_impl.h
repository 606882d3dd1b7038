// Direct convolution for few input channels (stems: 7x7 stride 2 over 3 channels), see
// KernelTable::conv_direct. It is the GEMM of im2col-gemm with the column matrix never built:
// per output row, each input row the window touches is split into its column-stride phases
// (stride 2: even and odd columns, zero-padded left and right), so the column-matrix row of tap
// (c, i, j) for that output row is a contiguous run of phase row j % sw from offset j / sw.
// The register tile is the GEMM's (MR packed-A rows x NV vectors of output columns, MR*NV
// accumulators); its B vectors are unaligned loads from the phase rows, which for a stem are
// 3 x 7 x 2 rows of ~120 floats (~20 KiB): they stay in L1 across every output channel, where
// im2col's column tile (147 x ~900 floats) streamed from L2.
// Full K in one pass (K = C*kh*kw is small here), so the epilogue is applied once at the store.
#pragma once
#include <algorithm>

#include "../common.h"
#include "im2col_impl.h"

namespace studio {
namespace {

template <class V, int MR, int NV>
struct SimdConvDirect {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;
  static constexpr int64_t NR = int64_t(W) * NV;

  /**
   * MR rows x NT vectors of consecutive output pixels (several output rows when OW is a multiple
   * of W, so that 112-wide rows fill 3-vector tiles instead of 3 + 3 + 1): vector v takes tap k
   * from bp[v][k] + off[v].
   */
  template <int NT, bool MASKED>
  static STUDIO_ALWAYS_INLINE void tile(const float* a, const float* const* const* bp, const int64_t* off, int64_t K,
                                        M mlast, float* y, const float* res, int64_t plane, int mb,
                                        const float* bias, const Epilogue& ep) {
    R acc[MR][NT];
    STUDIO_UNROLL
    for (int r = 0; r < MR; ++r)
      STUDIO_UNROLL
      for (int v = 0; v < NT; ++v) acc[r][v] = V::zero();
    const float* const* b[NT];
    int64_t o[NT];
    STUDIO_UNROLL
    for (int v = 0; v < NT; ++v) b[v] = bp[v], o[v] = off[v];
    for (int64_t k = 0; k < K; ++k) {
      R bv[NT];
      STUDIO_UNROLL
      for (int v = 0; v < NT; ++v) bv[v] = V::load(b[v][k] + o[v]);  // phase rows are padded: in bounds
      STUDIO_UNROLL
      for (int r = 0; r < MR; ++r) {
        const R av = V::set1(a[r]);
        STUDIO_UNROLL
        for (int v = 0; v < NT; ++v) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
      }
      a += MR;
    }
    const R lo = V::set1(ep.clip_min), hi = V::set1(ep.clip_max), zero = V::zero();
    STUDIO_UNROLL
    for (int r = 0; r < MR; ++r) {
      if (r >= mb) continue;
      float* c = y + r * plane;
      const float* rr = res ? res + r * plane : nullptr;
      const R bb = bias ? V::set1(bias[r]) : zero;
      STUDIO_UNROLL
      for (int v = 0; v < NT; ++v) {
        const bool mv = MASKED && v == NT - 1;
        R x = V::add(acc[r][v], bb);
        if (rr) x = V::add(x, mv ? V::load_m(rr + v * W, mlast) : V::load(rr + v * W));
        if (ep.act == Activation::Relu) x = V::max(x, zero);
        else if (ep.act == Activation::Clip) x = V::min(V::max(x, lo), hi);
        if (mv) V::store_m(c + v * W, mlast, x);
        else V::store(c + v * W, x);
      }
    }
  }

  template <int NT>
  static void tile_nt(bool masked, const float* a, const float* const* const* bp, const int64_t* off, int64_t K,
                      M mlast, float* y, const float* res, int64_t plane, int mb, const float* bias,
                      const Epilogue& ep) {
    if (masked) tile<NT, true>(a, bp, off, K, mlast, y, res, plane, mb, bias, ep);
    else tile<NT, false>(a, bp, off, K, mlast, y, res, plane, mb, bias, ep);
  }

  static void run(AlignedBuffer& ws, const Im2colGeom& g, const float* x, const float* pw, int64_t m0, int64_t m1,
                  int64_t oy0, int64_t oy1, float* y, const Epilogue& ep) {
    const int64_t S = g.sw, K = g.C * g.kh * g.kw, plane = g.OH * g.OW, OW = g.OW;
    // Phase row u of input row iy holds padded-row column u*S + p; tap j reads it from
    // u = ox + j*dw / S. Phase rows are built once per input row of a group of output rows.
    const int64_t jmax = (int64_t(g.kw - 1) * g.dw) / S;
    const int64_t L = round_up(round_up(OW, NR) + jmax, W);
    // Output rows per group: several only when rows are whole vectors, as many as keep the
    // group's phase rows within ~48 KiB (L1/L2 edge). ResNet's stem (7 vectors a row): 3 rows
    // per group, tiles 3+3+3+3+3+3+3 instead of 3+3+1 per row: 1.40 -> 1.20 ms (Zen 5, best of 15);
    // 1 row (32 KiB) or 8 rows (96 KiB) measured slower.
    auto in_rows = [&](int64_t r) { return (r - 1) * g.sh + int64_t(g.kh - 1) * g.dh + 1; };
    int64_t R = 1;
    if (OW % W == 0)
      while (R < 8 && R < oy1 - oy0 && g.C * in_rows(R + 1) * S * L * 4 <= 48 * 1024) ++R;
    const int64_t nin = in_rows(R);
    const int64_t prow = g.C * nin * S * L;
    float* buf = ws.get(static_cast<size_t>(prow + L + 2 * K * R));  // phase rows, a zero row, tap pointers
    float* zero_row = buf + prow;
    std::fill(zero_row, zero_row + L, 0.f);
    const float** taps = reinterpret_cast<const float**>(zero_row + L);
    for (int64_t oa = oy0; oa < oy1; oa += R) {
      const int64_t rows = std::min(R, oy1 - oa), iy0 = oa * g.sh - g.pad_top;
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t q = 0; q < in_rows(rows); ++q) {
          const int64_t iy = iy0 + q;
          if (iy < 0 || iy >= g.H) continue;
          for (int64_t p = 0; p < S; ++p) {
            float* d = buf + ((c * nin + q) * S + p) * L;
            // d[u] = x[c][iy][u*S + p - pad_left], 0 outside the row.
            const int64_t off = p - g.pad_left;
            const int64_t a = std::min(L, off >= 0 ? 0 : ceil_div(-off, S));
            const int64_t z = std::max(a, std::min(L, off >= g.W ? 0 : (g.W - 1 - off) / S + 1));
            const float* row = x + (c * g.H + iy) * g.W + off;
            if (a == z) std::fill(d, d + L, 0.f);
            else if (S == 1) SimdIm2col<V>::template run<1>(d, row, 0, L, a, z);
            else SimdIm2col<V>::template run<2>(d, row, 0, L, a, z);
          }
        }
      for (int64_t rr = 0; rr < rows; ++rr)
        for (int64_t c = 0; c < g.C; ++c)
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t q = rr * g.sh + i * g.dh, iy = iy0 + q;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t t = j * g.dw;
              taps[rr * K + (c * g.kh + i) * g.kw + j] =
                  iy >= 0 && iy < g.H ? buf + ((c * nin + q) * S + t % S) * L + t / S : zero_row;
            }
          }
      // The group's pixels as one sequence: rows * OW, whole vectors unless R == 1.
      const int64_t npix = rows * OW;
      for (int64_t m = m0; m < m1; m += MR) {
        const float* a = pw + (m / MR) * K * MR;
        const int mb = static_cast<int>(std::min<int64_t>(MR, m1 - m));
        const float* bias = ep.bias ? ep.bias + m : nullptr;
        for (int64_t p0 = 0; p0 < npix; p0 += NR) {
          const int64_t cols = std::min(NR, npix - p0);
          const int nt = static_cast<int>(ceil_div(cols, W));
          const int64_t tail = cols - int64_t(nt - 1) * W;
          const M ml = V::first(tail);
          const float* const* bp[NV];
          int64_t off[NV];
          for (int v = 0; v < nt; ++v) {
            const int64_t pix = p0 + int64_t(v) * W;
            bp[v] = taps + (pix / OW) * K, off[v] = pix % OW;
          }
          const int64_t yo = m * plane + oa * OW + p0;
          float* yr = y + yo;
          const float* res = ep.residual ? ep.residual + yo : nullptr;
#define STUDIO_DIRECT_ARGS tail < W, a, bp, off, K, ml, yr, res, plane, mb, bias, ep
          if (nt == 1) tile_nt<1>(STUDIO_DIRECT_ARGS);
          if constexpr (NV >= 2)
            if (nt == 2) tile_nt<2>(STUDIO_DIRECT_ARGS);
          if constexpr (NV >= 3)
            if (nt == 3) tile_nt<3>(STUDIO_DIRECT_ARGS);
#undef STUDIO_DIRECT_ARGS
        }
      }
    }
  }
};

}  // namespace
}  // namespace studio
