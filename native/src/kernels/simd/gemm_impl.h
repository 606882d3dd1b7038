// Packed SGEMM written once over a vector-traits type V (V512 in avx512/, V256 in avx2/) and
// instantiated in each ISA's translation unit (internal linkage, see ../common.h).
//
// Structure (BLIS-like, with the loop order chosen for small M -- conv weights are M x K with
// M = output channels, B is the activation K x N with N = batch*H*W):
//   for jc over N in NC-column blocks (equal)      B block (KC x NC) lives in L2
//     for pc over K in KC-deep slices (equal)
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels, or read B in place (direct_b: the
//       ISA's gemm.cc decides per call; in place skips the copy, which matters when few rows
//       of A reuse each B element)
//       for i over rows in MR panels               A micro-panel (MR x KC) lives in L1
//         for jr over NR-column panels             one register tile MR x NR
// The micro-kernel keeps MR x NV accumulators in registers (NR = NV * V::W): per k step it loads
// NV vectors of B, broadcasts MR values of A and issues MR*NV independent FMAs, so the FMA
// latency is hidden as long as MR*NV >= latency * FMA ports. Edge columns use masked loads and
// stores; edge rows use zero-padded packed A and skip the store of the padding rows.
// The epilogue is fused into the store of the tile: bias and residual with the first k slice
// (so a residual aliasing C is read before it is overwritten), the activation with the last.
#pragma once
#include <algorithm>

#include "../common.h"

// Prefetch into L2 only (prefetcht1): the tall tiles' look-ahead is a whole row group (24-48 KiB
// at K = 256-512), which into L1 would evict the B panel the current tile is reading.
#if defined(__GNUC__) || defined(__clang__)
#define STUDIO_PREFETCH_L2(p) __builtin_prefetch((p), 0, 2)
#else
#define STUDIO_PREFETCH_L2(p) ((void)(p))
#endif

namespace studio {
namespace {

template <class V, int MR, int NVMAX, int64_t KC, int64_t NC, int RP1 = 1>
struct SimdGemm {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;
  static constexpr int64_t NR = int64_t(W) * NVMAX;
  static_assert(NC % NR == 0, "NC must be a multiple of NR");
  static_assert(NVMAX >= 1 && NVMAX <= 4, "tile widths 1..4 vectors");
  static_assert(RP1 >= 1 && RP1 <= 3, "one-vector tiles of 1..3 row panels");

  static size_t packed_a_size(int64_t M_, int64_t K) { return static_cast<size_t>(round_up(M_, MR) * K); }

  /** Panels of MR rows, each K columns of MR contiguous floats; rows past M are zero. */
  static void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M_, int64_t K, float* out) {
    for (int64_t p = 0; p < M_; p += MR) {
      float* dst = out + (p / MR) * K * MR;
      const int rows = static_cast<int>(std::min<int64_t>(MR, M_ - p));
      for (int64_t k = 0; k < K; ++k) {
        float* d = dst + k * MR;
        for (int r = 0; r < MR; ++r) d[r] = r < rows ? (trans_a ? A[k * lda + p + r] : A[(p + r) * lda + k]) : 0.f;
      }
    }
  }

  /** B[pc:pc+kb, jc:jc+nb] into NR-wide panels of kb rows (columns past nb zero). */
  static void pack_b(const float* B, int64_t ldb, bool trans_b, int64_t pc, int64_t kb, int64_t jc, int64_t nb,
                     float* out) {
    for (int64_t jp = 0; jp < nb; jp += NR) {
      const int64_t w = std::min<int64_t>(NR, nb - jp);
      float* dst = out + (jp / NR) * kb * NR;
      if (!trans_b) {
        for (int64_t k = 0; k < kb; ++k) {
          const float* s = B + (pc + k) * ldb + jc + jp;
          float* d = dst + k * NR;
          for (int v = 0; v < NVMAX; ++v) V::store(d + v * W, V::load_m(s + v * W, V::range(0, w - v * W)));
        }
      } else {
        // Reads run along k (contiguous in a transposed B); writes stride NR within the panel.
        for (int64_t j = 0; j < NR; ++j) {
          float* d = dst + j;
          if (j < w) {
            const float* s = B + (jc + jp + j) * ldb + pc;
            for (int64_t k = 0; k < kb; ++k) d[k * NR] = s[k];
          } else {
            for (int64_t k = 0; k < kb; ++k) d[k * NR] = 0.f;
          }
        }
      }
    }
  }

  /**
   * One (RP*MR) x (NV*W) tile over kb steps of k, then the fused epilogue store. Row panel q of
   * the tile is read at a + q*ps (ps: the packed-A panel stride, K*MR). PF: also prefetch the
   * next row group's A slices pf + q*ps (same lengths) as it goes, one line per two k steps.
   */
  template <int NV, int RP, bool MASKED, bool PF>
  static STUDIO_ALWAYS_INLINE void tile(const float* a, int64_t ps, const float* b, int64_t bs, int64_t kb, M mlast,
                                        float* C, int64_t ldc, int64_t i, int64_t j, int mb, bool first, bool last,
                                        const Epilogue& ep, const float* pf) {
    R acc[RP][MR][NV];
    STUDIO_UNROLL
    for (int q = 0; q < RP; ++q)
      STUDIO_UNROLL
      for (int r = 0; r < MR; ++r)
        STUDIO_UNROLL
        for (int v = 0; v < NV; ++v) acc[q][r][v] = V::zero();
    const float* ap[RP];
    STUDIO_UNROLL
    for (int q = 0; q < RP; ++q) ap[q] = a + q * ps;
    for (int64_t k = 0; k < kb; ++k) {
      if constexpr (PF) {
        STUDIO_UNROLL
        for (int q = 0; q < RP; ++q) {  // every other one hits the same line
          if constexpr (RP > 1) STUDIO_PREFETCH_L2(pf + q * ps + k * MR);
          else STUDIO_PREFETCH(pf + q * ps + k * MR);
        }
      }
      R bv[NV];
      STUDIO_UNROLL
      for (int v = 0; v < NV; ++v) bv[v] = (MASKED && v == NV - 1) ? V::load_m(b + v * W, mlast) : V::load(b + v * W);
      STUDIO_UNROLL
      for (int q = 0; q < RP; ++q) {
        STUDIO_UNROLL
        for (int r = 0; r < MR; ++r) {
          const R av = V::set1(ap[q][r]);
          STUDIO_UNROLL
          for (int v = 0; v < NV; ++v) acc[q][r][v] = V::fma(av, bv[v], acc[q][r][v]);
        }
        ap[q] += MR;
      }
      b += bs;
    }
    const R lo = V::set1(ep.clip_min), hi = V::set1(ep.clip_max), zero = V::zero();
    STUDIO_UNROLL
    for (int q = 0; q < RP; ++q) {
      STUDIO_UNROLL
      for (int r = 0; r < MR; ++r) {
        const int row = q * MR + r;
        if (row >= mb) continue;
        float* c = C + (i + row) * ldc + j;
        const float* res = ep.residual ? ep.residual + (i + row) * ep.ldr + j : nullptr;
        const R bias = ep.bias ? V::set1(ep.bias[i + row]) : zero;
        STUDIO_UNROLL
        for (int v = 0; v < NV; ++v) {
          const bool mv = MASKED && v == NV - 1;
          R x = acc[q][r][v];
          if (first) {
            x = V::add(x, bias);
            if (res) x = V::add(x, mv ? V::load_m(res + v * W, mlast) : V::load(res + v * W));
          } else {
            x = V::add(x, mv ? V::load_m(c + v * W, mlast) : V::load(c + v * W));
          }
          if (last) {
            if (ep.act == Activation::Relu) x = V::max(x, zero);
            else if (ep.act == Activation::Clip) x = V::min(V::max(x, lo), hi);
          }
          if (mv) V::store_m(c + v * W, mlast, x);
          else V::store(c + v * W, x);
        }
      }
    }
  }

  template <int NV>
  static void tile_nv(bool masked, const float* a, const float* b, int64_t bs, int64_t kb, M mlast, float* C,
                      int64_t ldc, int64_t i, int64_t j, int mb, bool first, bool last, const Epilogue& ep,
                      const float* pf) {
    if (pf) {
      if (masked) tile<NV, 1, true, true>(a, 0, b, bs, kb, mlast, C, ldc, i, j, mb, first, last, ep, pf);
      else tile<NV, 1, false, true>(a, 0, b, bs, kb, mlast, C, ldc, i, j, mb, first, last, ep, pf);
    } else {
      if (masked) tile<NV, 1, true, false>(a, 0, b, bs, kb, mlast, C, ldc, i, j, mb, first, last, ep, pf);
      else tile<NV, 1, false, false>(a, 0, b, bs, kb, mlast, C, ldc, i, j, mb, first, last, ep, pf);
    }
  }

  /** A one-vector column panel (cols <= W) over rp <= RP1 row panels (rows mb). */
  template <int RP>
  static void tall_rp(bool masked, const float* a, int64_t ps, const float* b, int64_t bs, int64_t kb, M m, float* C,
                      int64_t ldc, int64_t i, int64_t j, int mb, bool first, bool last, const Epilogue& ep,
                      const float* pf) {
    if (pf) {
      if (masked) tile<1, RP, true, true>(a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
      else tile<1, RP, false, true>(a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
    } else {
      if (masked) tile<1, RP, true, false>(a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
      else tile<1, RP, false, false>(a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
    }
  }
  static void run_tall(int rp, int64_t cols, const float* a, int64_t ps, const float* b, int64_t bs, int64_t kb,
                       float* C, int64_t ldc, int64_t i, int64_t j, int mb, bool first, bool last, const Epilogue& ep,
                       const float* pf) {
    const bool masked = cols < W;
    const M m = V::first(cols);
    if constexpr (RP1 >= 3)
      if (rp == 3) return tall_rp<3>(masked, a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
    if constexpr (RP1 >= 2)
      if (rp == 2) return tall_rp<2>(masked, a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
    tall_rp<1>(masked, a, ps, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf);
  }

  static void run_tile(int64_t cols, const float* a, const float* b, int64_t bs, int64_t kb, float* C, int64_t ldc,
                       int64_t i, int64_t j, int mb, bool first, bool last, const Epilogue& ep, const float* pf) {
    const int nv = static_cast<int>(ceil_div(cols, W));
    const int64_t tail = cols - int64_t(nv - 1) * W;
    const bool masked = tail < W;
    const M m = V::first(tail);
#define STUDIO_TILE_ARGS masked, a, b, bs, kb, m, C, ldc, i, j, mb, first, last, ep, pf
    if (nv == 1) return tile_nv<1>(STUDIO_TILE_ARGS);
    if constexpr (NVMAX >= 2)
      if (nv == 2) return tile_nv<2>(STUDIO_TILE_ARGS);
    if constexpr (NVMAX >= 3)
      if (nv == 3) return tile_nv<3>(STUDIO_TILE_ARGS);
    if constexpr (NVMAX >= 4)
      if (nv == 4) return tile_nv<4>(STUDIO_TILE_ARGS);
#undef STUDIO_TILE_ARGS
  }

  static void sgemm(AlignedBuffer& ws, bool direct_b, const float* packed_a, int64_t K, int64_t m0, int64_t m1,
                    const float* B, int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc,
                    const Epilogue& ep) {
    if (m1 <= m0 || n1 <= n0) return;
    const bool direct = direct_b && !trans_b;
    float* bpack = direct ? nullptr : ws.get(static_cast<size_t>(KC * NC));
    // Equal column blocks (multiples of NR) so the last block is not a sliver.
    const int64_t nblocks = ceil_div(n1 - n0, NC);
    const int64_t ncb = std::min<int64_t>(NC, round_up(ceil_div(n1 - n0, nblocks), NR));
    // Equal k slices too (K = 576 -> 3 x 192, not 256 + 256 + 64): fewer passes over C with a
    // short k loop.
    const int64_t kcb = std::max<int64_t>(1, ceil_div(K, std::max<int64_t>(1, ceil_div(K, KC))));
    const bool prefetch_a = (m1 - m0) * K * int64_t(sizeof(float)) > (int64_t(1) << 19);  // > 512 KiB
    const bool prefetch_tall = (m1 - m0) * K * int64_t(sizeof(float)) > (int64_t(1) << 16);
    for (int64_t jc = n0; jc < n1; jc += ncb) {
      const int64_t nb = std::min(ncb, n1 - jc);
      for (int64_t pc = 0;; pc += kcb) {
        const int64_t kb = std::max<int64_t>(0, std::min(kcb, K - pc));  // K = 0: one epilogue-only pass
        const bool first = pc == 0, last = pc + kb >= K;
        if (!direct && kb > 0) pack_b(B, ldb, trans_b, pc, kb, jc, nb, bpack);
        // A last column panel of one vector (N = 16 Winograd blocks, N = 64 = 48 + 16) runs
        // separately, RP1 row panels at once: an MR x W tile has only MR independent FMA
        // chains (8 on AVX-512: just the 4-cycle latency x 2 pipes) and one broadcast per FMA.
        const int64_t nfull = (RP1 > 1 && nb % NR != 0 && nb % NR <= W) ? nb - nb % NR : nb;
        for (int64_t i = m0; i < m1 && nfull > 0; i += MR) {
          const float* ap = packed_a + (i / MR) * K * MR + pc * MR;
          const int mb = static_cast<int>(std::min<int64_t>(MR, m1 - i));
          // The next row panel's slice, prefetched by this panel's first tile when A is big
          // enough to come from beyond L2 (the slice is then read once per column block).
          const float* pf = prefetch_a && i + MR < m1 ? ap + K * MR : nullptr;
          for (int64_t jp = 0; jp < nfull; jp += NR) {
            const float* bp = direct ? B + pc * ldb + jc + jp : bpack + (jp / NR) * kb * NR;
            run_tile(std::min(NR, nfull - jp), ap, bp, direct ? ldb : NR, kb, C, ldc, i, jc + jp, mb, first, last, ep,
                     jp == 0 ? pf : nullptr);
          }
        }
        if (nfull < nb) {
          const float* bp = direct ? B + pc * ldb + jc + nfull : bpack + (nfull / NR) * kb * NR;
          constexpr int64_t RM = int64_t(RP1) * MR;
          for (int64_t i = m0; i < m1; i += RM) {
            const float* ap = packed_a + (i / MR) * K * MR + pc * MR;
            const int64_t rows = std::min<int64_t>(RM, m1 - i);
            const int rp = static_cast<int>(ceil_div(rows, MR));
            const float* pf = prefetch_tall && i + RM < m1 ? ap + RM * K : nullptr;
            run_tall(rp, nb - nfull, ap, K * MR, bp, direct ? ldb : NR, kb, C, ldc, i, jc + nfull,
                     static_cast<int>(rows), first, last, ep, pf);
          }
        }
        if (last) break;
      }
    }
  }
};

}  // namespace
}  // namespace studio
