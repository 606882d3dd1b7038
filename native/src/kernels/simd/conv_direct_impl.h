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

  template <int NT, bool MASKED>
  static STUDIO_ALWAYS_INLINE void tile(const float* a, const float* const* bp, int64_t o, int64_t K, M mlast,
                                        float* y, const float* res, int64_t plane, int mb, const float* bias,
                                        const Epilogue& ep) {
    R acc[MR][NT];
    STUDIO_UNROLL
    for (int r = 0; r < MR; ++r)
      STUDIO_UNROLL
      for (int v = 0; v < NT; ++v) acc[r][v] = V::zero();
    for (int64_t k = 0; k < K; ++k) {
      const float* b = bp[k] + o;
      R bv[NT];
      STUDIO_UNROLL
      for (int v = 0; v < NT; ++v) bv[v] = V::load(b + v * W);  // phase rows are padded: never out of bounds
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
      float* c = y + r * plane + o;
      const float* rr = res ? res + r * plane + o : nullptr;
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
  static void tile_nt(bool masked, const float* a, const float* const* bp, int64_t o, int64_t K, M mlast, float* y,
                      const float* res, int64_t plane, int mb, const float* bias, const Epilogue& ep) {
    if (masked) tile<NT, true>(a, bp, o, K, mlast, y, res, plane, mb, bias, ep);
    else tile<NT, false>(a, bp, o, K, mlast, y, res, plane, mb, bias, ep);
  }

  static void run(AlignedBuffer& ws, const Im2colGeom& g, const float* x, const float* pw, int64_t m0, int64_t m1,
                  int64_t oy0, int64_t oy1, float* y, const Epilogue& ep) {
    const int64_t S = g.sw, K = g.C * g.kh * g.kw, plane = g.OH * g.OW, OW = g.OW;
    // Phase row u holds padded-row column u*S + p; tap j reads it from u = ox + j / S.
    const int64_t jmax = (int64_t(g.kw - 1) * g.dw) / S;
    const int64_t L = round_up(round_up(OW, NR) + jmax, W);
    const int64_t rows = g.C * g.kh * S;
    float* buf = ws.get(static_cast<size_t>((rows + 1) * L + K * 2));  // phase rows, a zero row, tap pointers
    float* zero_row = buf + rows * L;
    std::fill(zero_row, zero_row + L, 0.f);
    const float** bp = reinterpret_cast<const float**>(zero_row + L);
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t iy = oy * g.sh + i * g.dh - g.pad_top;
          const bool inside = iy >= 0 && iy < g.H;
          for (int64_t p = 0; p < S; ++p) {
            float* d = buf + ((c * g.kh + i) * S + p) * L;
            if (inside) {
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
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t t = j * g.dw;
            bp[(c * g.kh + i) * g.kw + j] = inside ? buf + ((c * g.kh + i) * S + t % S) * L + t / S : zero_row;
          }
        }
      for (int64_t m = m0; m < m1; m += MR) {
        const float* a = pw + (m / MR) * K * MR;
        const int mb = static_cast<int>(std::min<int64_t>(MR, m1 - m));
        float* yr = y + m * plane + oy * OW;
        const float* res = ep.residual ? ep.residual + m * plane + oy * OW : nullptr;
        const float* bias = ep.bias ? ep.bias + m : nullptr;
        for (int64_t o = 0; o < OW; o += NR) {
          const int64_t cols = std::min(NR, OW - o);
          const int nt = static_cast<int>(ceil_div(cols, W));
          const int64_t tail = cols - int64_t(nt - 1) * W;
          const M ml = V::first(tail);
#define STUDIO_DIRECT_ARGS tail < W, a, bp, o, K, ml, yr, res, plane, mb, bias, ep
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
