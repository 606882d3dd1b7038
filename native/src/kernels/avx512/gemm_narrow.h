// Narrow-N SGEMM for AVX-512: C[m0:m1, n0:n1] with the vector lanes along M (rows of A) instead
// of N. The tile GEMM puts 16 columns in a zmm, so a 7x7 image (N = 49) fills 4 vectors of
// which the last holds one column: 64 lanes of FMAs for 49 useful ones, and the 1-column tile
// runs 8 FMAs per k for 1/16 of their lanes (ResNet-50's stage 5 at batch 1 ran at 45-50% of
// peak). Rows are channel counts, multiples of 16 in every such network, so here no lane is
// wasted.
//
// Register tile: 32 rows (two zmm, built per k from four 8-row packed-A panels: a ymm load and
// an insert each) x NC <= 14 columns: 28 accumulators, per k 2 vectors of A, NC broadcasts of
// B and 2*NC FMAs. A k slice of B (KC x nb, packed row-major, trans_b resolved there) stays in
// L1/L2 while every 32-row group of A streams through once per column group. Partial sums
// accumulate in a transposed scratch T (column-major: T[j][i], whole zmm stores); one final
// pass transposes T in 16 x 16 register blocks, adds bias and residual, applies the activation
// and writes C row-major.
#pragma once
#include <algorithm>
#include <cstring>

#include "../common.h"
#include "simd512.h"

namespace studio {
namespace {

struct NarrowGemm {
  static constexpr int kPanel = 8;  // rows per packed-A panel (avx512::kMR)
  static constexpr int kMaxCols = 14;
  static constexpr int64_t KC = 512;

  /**
   * When the tile GEMM would spend over 1/8 of its lanes on padding columns (N = 49: 15 of 64).
   * Measured on Zen 5 (% of peak, tile vs. here): N = 49 56 -> 81, N = 56 74 -> 88, N = 81
   * 78 -> 87, N = 98 72 -> 77; at N = 196 (12 of 208 padding) both ~77.
   */
  static bool fits(int64_t n) { return n > 8 && n <= 128 && (round_up(n, 16) - n) * 8 > n; }

  /** 32 x NC tile over kb steps: a[q] is packed panel q's slice (stride as[q] per k, 0 for a zero panel). */
  template <int NC>
  static STUDIO_ALWAYS_INLINE void tile(const float* const a[4], const int64_t as[4], const float* b, int64_t nb,
                                        int64_t kb, float* t, int64_t mt, bool first) {
    __m512 acc0[NC], acc1[NC];
    STUDIO_UNROLL
    for (int c = 0; c < NC; ++c) acc0[c] = acc1[c] = _mm512_setzero_ps();
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    const int64_t s0 = as[0], s1 = as[1], s2 = as[2], s3 = as[3];
    for (int64_t k = 0; k < kb; ++k) {
      const __m512 lo = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(a0)), _mm256_loadu_ps(a1), 1);
      const __m512 hi = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(a2)), _mm256_loadu_ps(a3), 1);
      STUDIO_UNROLL
      for (int c = 0; c < NC; ++c) {
        const __m512 bv = _mm512_set1_ps(b[c]);
        acc0[c] = _mm512_fmadd_ps(lo, bv, acc0[c]);
        acc1[c] = _mm512_fmadd_ps(hi, bv, acc1[c]);
      }
      a0 += s0, a1 += s1, a2 += s2, a3 += s3;
      b += nb;
    }
    STUDIO_UNROLL
    for (int c = 0; c < NC; ++c) {
      float* tc = t + c * mt;
      if (first) {
        _mm512_storeu_ps(tc, acc0[c]);
        _mm512_storeu_ps(tc + 16, acc1[c]);
      } else {
        _mm512_storeu_ps(tc, _mm512_add_ps(_mm512_loadu_ps(tc), acc0[c]));
        _mm512_storeu_ps(tc + 16, _mm512_add_ps(_mm512_loadu_ps(tc + 16), acc1[c]));
      }
    }
  }

  /** In-place 16 x 16 transpose: r[c] lane e becomes r[e] lane c. */
  static STUDIO_ALWAYS_INLINE void transpose16(__m512 r[16]) {
    __m512 t[16];
    STUDIO_UNROLL
    for (int p = 0; p < 16; p += 2) {  // pairs of rows interleaved within 128-bit lanes
      t[p] = _mm512_unpacklo_ps(r[p], r[p + 1]);
      t[p + 1] = _mm512_unpackhi_ps(r[p], r[p + 1]);
    }
    STUDIO_UNROLL
    for (int g = 0; g < 16; g += 4) {  // s[g + c]: element 4L + c of rows g..g+3, per 128-bit lane L
      const __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
      const __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
      r[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
      r[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
      r[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
      r[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    STUDIO_UNROLL
    for (int c = 0; c < 4; ++c) {  // 128-bit lanes: pairs of 4-row groups
      t[c] = _mm512_shuffle_f32x4(r[c], r[c + 4], 0x88);
      t[c + 4] = _mm512_shuffle_f32x4(r[c], r[c + 4], 0xDD);
      t[c + 8] = _mm512_shuffle_f32x4(r[c + 8], r[c + 12], 0x88);
      t[c + 12] = _mm512_shuffle_f32x4(r[c + 8], r[c + 12], 0xDD);
    }
    STUDIO_UNROLL
    for (int c = 0; c < 8; ++c) {
      r[c] = _mm512_shuffle_f32x4(t[c], t[c + 8], 0x88);
      r[c + 8] = _mm512_shuffle_f32x4(t[c], t[c + 8], 0xDD);
    }
  }

  static void run_tile(int nc, const float* const a[4], const int64_t as[4], const float* b, int64_t nb, int64_t kb,
                       float* t, int64_t mt, bool first) {
    switch (nc) {
#define STUDIO_NARROW_CASE(n) \
  case n:                     \
    return tile<n>(a, as, b, nb, kb, t, mt, first);
      STUDIO_NARROW_CASE(1) STUDIO_NARROW_CASE(2) STUDIO_NARROW_CASE(3) STUDIO_NARROW_CASE(4)
      STUDIO_NARROW_CASE(5) STUDIO_NARROW_CASE(6) STUDIO_NARROW_CASE(7) STUDIO_NARROW_CASE(8)
      STUDIO_NARROW_CASE(9) STUDIO_NARROW_CASE(10) STUDIO_NARROW_CASE(11) STUDIO_NARROW_CASE(12)
      STUDIO_NARROW_CASE(13) STUDIO_NARROW_CASE(14)
#undef STUDIO_NARROW_CASE
      default:
        return;
    }
  }

  /** Same contract as the tile GEMM's sgemm (m0 a multiple of 8, packed A in 8-row panels). */
  static void sgemm(AlignedBuffer& ws, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                    int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
    if (m1 <= m0 || n1 <= n0) return;
    const int64_t nb = n1 - n0;
    const int64_t mt = round_up(m1 - m0, 32);  // T's column length: whole 32-row groups
    const int64_t kcb = K > 0 ? ceil_div(K, ceil_div(K, KC)) : 0;  // equal k slices
    float* T = ws.get(static_cast<size_t>(mt * nb + kcb * nb));
    float* bp = T + mt * nb;
    if (K == 0) std::fill(T, T + mt * nb, 0.f);
    // Column groups of equal width (49 -> 13 + 12 + 12 + 12, not 14 * 3 + 7).
    const int64_t groups = ceil_div(nb, kMaxCols);
    alignas(64) static const float kZeros[kPanel] = {};
    for (int64_t pc = 0; pc < K; pc += kcb) {
      const int64_t kb = std::min(kcb, K - pc);
      for (int64_t k = 0; k < kb; ++k) {  // B slice, row-major kb x nb
        if (!trans_b) std::memcpy(bp + k * nb, B + (pc + k) * ldb + n0, static_cast<size_t>(nb) * sizeof(float));
        else
          for (int64_t j = 0; j < nb; ++j) bp[k * nb + j] = B[(n0 + j) * ldb + pc + k];
      }
      for (int64_t i = m0; i < m1; i += 32) {
        const float* a[4];
        int64_t as[4];
        for (int q = 0; q < 4; ++q) {
          const bool real = i + q * kPanel < m1;  // panels past m1 read zeros (stride 0)
          a[q] = real ? packed_a + ((i / kPanel) + q) * K * kPanel + pc * kPanel : kZeros;
          as[q] = real ? kPanel : 0;
        }
        for (int64_t g = 0, j = 0; g < groups; ++g) {
          const int64_t j1 = nb * (g + 1) / groups;
          run_tile(static_cast<int>(j1 - j), a, as, bp + j, nb, kb, T + j * mt + (i - m0), mt, pc == 0);
          j = j1;
        }
      }
    }
    // Epilogue and transposition, 16 x 16 blocks in registers: row i of C from T's column i.
    // (Scalar, this pass cost about a third of the FMA time at K = 160: 5-6 instructions per
    // element against K/16 FMAs.) T holds whole 16-row groups, so the loads stay inside it.
    const __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(ep.clip_min), hi = _mm512_set1_ps(ep.clip_max);
    for (int64_t i = m0; i < m1; i += 16) {
      const int rows = static_cast<int>(std::min<int64_t>(16, m1 - i));
      for (int64_t j = 0; j < nb; j += 16) {
        const int cols = static_cast<int>(std::min<int64_t>(16, nb - j));
        const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
        __m512 r[16];
        STUDIO_UNROLL
        for (int c = 0; c < 16; ++c) r[c] = c < cols ? _mm512_loadu_ps(T + (j + c) * mt + (i - m0)) : zero;
        transpose16(r);
        for (int q = 0; q < rows; ++q) {
          __m512 x = r[q];
          if (ep.bias) x = _mm512_add_ps(x, _mm512_set1_ps(ep.bias[i + q]));
          if (ep.residual) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, ep.residual + (i + q) * ep.ldr + n0 + j));
          if (ep.act == Activation::Relu) x = _mm512_max_ps(x, zero);
          else if (ep.act == Activation::Clip) x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
          _mm512_mask_storeu_ps(C + (i + q) * ldc + n0 + j, mask, x);
        }
      }
    }
  }
};

}  // namespace
}  // namespace studio
