// Skinny GEMM (a GEMV for n = 1): C[M, n] = packedA * B[K, n] for n <= 8 columns, over the SAME
// packed-A layout as the tile GEMM (panels of MR rows, K steps of MR contiguous floats), so the
// weights exist once. Instantiated per ISA over a vector-traits type V with V::W >= MR lanes.
//
// Why a separate kernel: the tile GEMM (gemm_impl.h) computes whole NR-wide register tiles, so a
// fully connected layer at batch 1..8 (Y^T = W * X^T, n = batch) runs 2..16x the useful FMAs
// plus a zero-padded B panel pack per K slice. Here the register tile is the other way round:
// one vector holds the MR rows of a panel at one k, and every column has its own accumulator.
//   per k: 1 load of A (MR floats), n broadcasts of B (memory operands), n FMAs
// A is read exactly once per column group, in address order within each (panel, K slice):
// at small n the product is bound by the bandwidth of A (memory for the 400 MB head-fc weights,
// L3 for the 8 MB head-gap ones); at n = 8 the FMAs come close (8 FMAs per 32 bytes of A).
//
// Latency: an FMA chain per (column, k-unroll slot); U k-steps are unrolled with separate
// accumulators so that n * U >= 8 chains are in flight (4-cycle FMA latency x 2 pipes), and the
// slots are summed at the end, within the register file (16 ymm on AVX2, 32 with AVX-512VL).
//
// B: copied per K slice into rows of n floats (one stream, one cache line per 16/n k steps)
// unless it already is one stream. Read in place with trans_b, n columns are n streams 4*K bytes
// apart; with A streaming from memory that ran head-fc b8 at 60 ms instead of 26 (Zen 4).
//
// K slices: only to bound the B copy (kBBlockFloats per thread). They are long on purpose: each
// (panel, slice) is one contiguous run of A, and short runs starve the hardware prefetchers --
// head-fc b8 took 35 ms with 128 KiB B blocks (A runs of 128 KiB), 26 ms with 1-4 MiB ones.
// Software prefetching of A (1-8 KiB ahead) gained nothing once the runs were long and cost 20%
// on L3-resident weights (head-gap b1), so there is none. C carries the partial sums between
// slices, as in the tile GEMM: bias and residual with the first slice (a residual aliasing C is
// read before it is overwritten), the activation with the last.
//
// MR < W (AVX2: 6 rows in 8 lanes): the A load takes W floats, the last W - MR of them belonging
// to the next k step; those lanes are never stored. Only the very last k step of a panel could
// read past the end of the packed buffer, so that one load is masked.
#pragma once
#include <algorithm>

#include "../common.h"

namespace studio {
namespace {

template <class V, int MR, int REGS>
struct SimdSmallN {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;
  static_assert(MR <= W, "one vector must hold a panel's rows");
  static constexpr int kMaxN = 8;
  static constexpr int64_t kBBlockFloats = 256 * 1024;  // 1 MiB of copied B per K slice (see above)

  /** Accumulator sets (k steps in flight) for n columns: n * U >= 8 chains where registers allow. */
  static constexpr int unroll(int n) {
    if (REGS >= 32) return n >= 5 ? 2 : (8 + n - 1) / n;  // n*U + U <= 18 of 32
    return n >= 7 ? 1 : n >= 4 ? 2 : (8 + n - 1) / n;      // n*U + U + 1 <= 16
  }

  /** How dot() finds B(k, j): b[j*ldb + k] (a lone column, contiguous along k) or b[k*N + j]. */
  enum class BLayout { Column, Rows };

  /**
   * sum[j] = sum over k < kb of a[k*MR + r] * B(k, j), lanes r < MR; a is one panel's slice.
   * mask_last: the last k step's A load is masked to MR lanes (the end of the packed buffer may
   * follow).
   */
  template <int N, BLayout BL>
  static STUDIO_ALWAYS_INLINE void dot(const float* a, const float* b, int64_t ldb, int64_t kb, bool mask_last,
                                       R (&sum)[N]) {
    constexpr int U = unroll(N);
    R acc[U][N];
    STUDIO_UNROLL
    for (int u = 0; u < U; ++u)
      STUDIO_UNROLL
      for (int j = 0; j < N; ++j) acc[u][j] = V::zero();
    auto bval = [&](int j, int64_t k) -> const float& { return BL == BLayout::Column ? b[j * ldb + k] : b[k * N + j]; };
    const int64_t kfull = (MR < W && mask_last) ? kb - 1 : kb;  // steps with a plain A load
    int64_t k = 0;
    for (; k + U <= kfull; k += U) {
      STUDIO_UNROLL
      for (int u = 0; u < U; ++u) {
        const R av = V::load(a + (k + u) * MR);
        STUDIO_UNROLL
        for (int j = 0; j < N; ++j) acc[u][j] = V::fma(av, V::set1(bval(j, k + u)), acc[u][j]);
      }
    }
    for (; k < kb; ++k) {
      const R av = (MR < W && k >= kfull) ? V::load_m(a + k * MR, V::first(MR)) : V::load(a + k * MR);
      STUDIO_UNROLL
      for (int j = 0; j < N; ++j) acc[0][j] = V::fma(av, V::set1(bval(j, k)), acc[0][j]);
    }
    STUDIO_UNROLL
    for (int j = 0; j < N; ++j) {
      R s = acc[0][j];
      STUDIO_UNROLL
      for (int u = 1; u < U; ++u) s = V::add(s, acc[u][j]);
      sum[j] = s;
    }
  }

  /**
   * Stores rows [i, i + mb) of the n columns in sum (column j is C's column n0 + j, already folded
   * into C and ep.residual by the caller's pointers).
   */
  template <int N>
  static STUDIO_ALWAYS_INLINE void store(const R (&sum)[N], float* C, int64_t ldc, bool trans_c, int64_t i, int mb,
                                         bool first, bool last, const Epilogue& ep, const float* res) {
    if (trans_c) {  // C[m][n] at C[n*ldc + m]: the panel's rows are contiguous, one vector per column
      const M m = V::first(mb);
      const R lo = V::set1(ep.clip_min), hi = V::set1(ep.clip_max), zero = V::zero();
      const R bias = ep.bias && first ? V::load_m(ep.bias + i, m) : zero;
      STUDIO_UNROLL
      for (int j = 0; j < N; ++j) {
        float* c = C + j * ldc + i;
        R x = sum[j];
        if (first) {
          x = V::add(x, bias);
          if (res) x = V::add(x, V::load_m(res + j * ep.ldr + i, m));
        } else {
          x = V::add(x, V::load_m(c, m));
        }
        if (last) {
          if (ep.act == Activation::Relu) x = V::max(x, zero);
          else if (ep.act == Activation::Clip) x = V::min(V::max(x, lo), hi);
        }
        V::store_m(c, m, x);
      }
      return;
    }
    // C[m][n] at C[m*ldc + n]: the n values of a row are contiguous, a vector holds a column;
    // transpose through the stack (mb * n scalar stores against K * n FMAs).
    alignas(64) float t[N][W];
    STUDIO_UNROLL
    for (int j = 0; j < N; ++j) V::store(t[j], sum[j]);
    for (int r = 0; r < mb; ++r) {
      float* c = C + (i + r) * ldc;
      const float bias = ep.bias ? ep.bias[i + r] : 0.f;
      const float* rr = res ? res + (i + r) * ep.ldr : nullptr;
      for (int j = 0; j < N; ++j) {
        float x = t[j][r];
        x = first ? x + bias + (rr ? rr[j] : 0.f) : x + c[j];
        c[j] = last ? apply_act(x, ep.act, ep.clip_min, ep.clip_max) : x;
      }
    }
  }

  /**
   * n = N columns starting at B's and C's column 0 (the caller offsets the pointers). B's slice
   * is read in place when it is one contiguous stream already (a single transposed column, or
   * rows of exactly N floats); otherwise it is copied into `ws` as rows of N floats, so that
   * every k step's N values share one cache line instead of N streams (one per column, or one
   * line per k row) competing with A's stream for the prefetchers and the L1.
   */
  template <int N>
  static void columns(AlignedBuffer& ws, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                      int64_t ldb, bool trans_b, float* C, int64_t ldc, bool trans_c, const Epilogue& ep,
                      const float* res) {
    const bool column = N == 1 && trans_b, in_place = column || (!trans_b && ldb == N);
    // Equal K slices (no sliver at the end).
    const int64_t kc_max = std::max<int64_t>(256, kBBlockFloats / N);
    const int64_t kcb = std::max<int64_t>(1, ceil_div(K, std::max<int64_t>(1, ceil_div(K, kc_max))));
    float* bp = in_place ? nullptr : ws.get(static_cast<size_t>(kcb * N));
    for (int64_t pc = 0;; pc += kcb) {
      const int64_t kb = std::max<int64_t>(0, std::min(kcb, K - pc));  // K = 0: one epilogue-only pass
      const bool first = pc == 0, last = pc + kb >= K;
      const float* b = trans_b ? B + pc : B + pc * ldb;
      if (!in_place) {
        for (int64_t k = 0; k < kb; ++k)
          for (int j = 0; j < N; ++j) bp[k * N + j] = trans_b ? b[j * ldb + k] : b[k * ldb + j];
        b = bp;
      }
      for (int64_t i = m0; i < m1; i += MR) {
        R sum[N];
        const float* a = packed_a + (i / MR) * K * MR + pc * MR;
        if (column) dot<N, BLayout::Column>(a, b, ldb, kb, last, sum);
        else dot<N, BLayout::Rows>(a, b, N, kb, last, sum);
        store<N>(sum, C, ldc, trans_c, i, static_cast<int>(std::min<int64_t>(MR, m1 - i)), first, last, ep, res);
      }
      if (last) break;
    }
  }

  static void dispatch(AlignedBuffer& ws, int64_t n, const float* packed_a, int64_t K, int64_t m0, int64_t m1,
                       const float* B, int64_t ldb, bool trans_b, float* C, int64_t ldc, bool trans_c,
                       const Epilogue& ep, const float* res) {
#define STUDIO_COLS(NN) \
  case NN:              \
    return columns<NN>(ws, packed_a, K, m0, m1, B, ldb, trans_b, C, ldc, trans_c, ep, res);
    switch (n) {
      STUDIO_COLS(1)
      STUDIO_COLS(2)
      STUDIO_COLS(3)
      STUDIO_COLS(4)
      STUDIO_COLS(5)
      STUDIO_COLS(6)
      STUDIO_COLS(7)
      STUDIO_COLS(8)
      default:
        break;
    }
#undef STUDIO_COLS
  }

  /** KernelTable::sgemm_small_n. Wider column ranges go in groups of <= 8 (each streams A again). */
  static void sgemm(AlignedBuffer& ws, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                    int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c,
                    const Epilogue& ep) {
    if (m1 <= m0 || n1 <= n0) return;
    const int64_t groups = ceil_div(n1 - n0, kMaxN);
    for (int64_t g = 0; g < groups; ++g) {
      // Equal groups (10 columns: 5 + 5, not 8 + 2).
      const int64_t g0 = n0 + (n1 - n0) * g / groups, g1 = n0 + (n1 - n0) * (g + 1) / groups;
      const float* b = trans_b ? B + g0 * ldb : B + g0;
      float* c = trans_c ? C + g0 * ldc : C + g0;
      const float* res = ep.residual ? (trans_c ? ep.residual + g0 * ep.ldr : ep.residual + g0) : nullptr;
      dispatch(ws, g1 - g0, packed_a, K, m0, m1, b, ldb, trans_b, c, ldc, trans_c, ep, res);
    }
  }
};

}  // namespace
}  // namespace studio
