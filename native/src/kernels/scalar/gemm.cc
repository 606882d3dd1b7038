// Portable packed SGEMM (no intrinsics). Same structure as the AVX kernels -- packed A panels,
// B packed per (KC x NC) block into NR-wide panels, an MR x NR register tile -- written so that
// the compiler can auto-vectorize the NR loop (SSE2 on x64, NEON on arm64).
//
// Packed A layout: panels of kMR rows; panel p holds rows [p*kMR, p*kMR + kMR) as K columns of
// kMR contiguous floats (A[p*kMR + r][k] at out[p*K*kMR + k*kMR + r]); rows past M are zero.
#include <algorithm>
#include <cstring>

#include "../common.h"
#include "scalar_kernels.h"

namespace studio {
namespace scalar {
namespace {

// KC x NC floats of packed B: 256 x 512 x 4 B = 512 KiB, the B block stays in L2 while the
// kMR x KC slice of A (4 KiB) and the current NR panel (8 KiB) stay in L1.
constexpr int64_t KC = 256;
constexpr int64_t NC = 512;
static_assert(NC % kNR == 0, "NC must be a multiple of NR");

thread_local AlignedBuffer tl_b;

/** Packs B[pc:pc+kb, jc:jc+nb] into ceil(nb/kNR) panels of kb x kNR (zero-padded columns). */
void pack_b(const float* B, int64_t ldb, bool trans_b, int64_t pc, int64_t kb, int64_t jc, int64_t nb, float* out) {
  for (int64_t jp = 0; jp < nb; jp += kNR) {
    const int64_t w = std::min<int64_t>(kNR, nb - jp);
    float* dst = out + (jp / kNR) * kb * kNR;
    for (int64_t k = 0; k < kb; ++k) {
      float* d = dst + k * kNR;
      if (!trans_b) {
        const float* s = B + (pc + k) * ldb + jc + jp;
        for (int64_t j = 0; j < w; ++j) d[j] = s[j];
      } else {
        const float* s = B + (jc + jp) * ldb + pc + k;
        for (int64_t j = 0; j < w; ++j) d[j] = s[j * ldb];
      }
      for (int64_t j = w; j < kNR; ++j) d[j] = 0.f;
    }
  }
}

/** acc[kMR][kNR] = a (kb x kMR) * b (kb x kNR). */
void micro_kernel(const float* a, const float* b, int64_t kb, float* acc) {
  float c[kMR][kNR];
  for (int r = 0; r < kMR; ++r)
    for (int j = 0; j < kNR; ++j) c[r][j] = 0.f;
  for (int64_t k = 0; k < kb; ++k) {
    const float* bk = b + k * kNR;
    const float* ak = a + k * kMR;
    for (int r = 0; r < kMR; ++r) {
      const float av = ak[r];
      for (int j = 0; j < kNR; ++j) c[r][j] += av * bk[j];
    }
  }
  std::memcpy(acc, c, sizeof(c));
}

/**
 * Writes an mb x nb tile. Bias and residual are added with the FIRST k block (so a residual that
 * aliases C is read before C is overwritten), the activation after the LAST one.
 */
void store_tile(const float* acc, int64_t i, int64_t j, int64_t mb, int64_t nb, bool first, bool last, float* C,
                int64_t ldc, const Epilogue& ep) {
  for (int64_t r = 0; r < mb; ++r) {
    float* c = C + (i + r) * ldc + j;
    const float* a = acc + r * kNR;
    if (first) {
      const float bias = ep.bias ? ep.bias[i + r] : 0.f;
      const float* res = ep.residual ? ep.residual + (i + r) * ep.ldr + j : nullptr;
      for (int64_t q = 0; q < nb; ++q) c[q] = a[q] + bias + (res ? res[q] : 0.f);
    } else {
      for (int64_t q = 0; q < nb; ++q) c[q] += a[q];
    }
    if (last && ep.act != Activation::None)
      for (int64_t q = 0; q < nb; ++q) c[q] = apply_act(c[q], ep.act, ep.clip_min, ep.clip_max);
  }
}

// ---- small n (see ../simd/small_n_impl.h for the design; this is its portable twin) ----

/** Unrolled k steps so that the n x kMR accumulators form >= 4 independent chains of 128 bits. */
constexpr int small_n_unroll(int n) { return n >= 4 ? 1 : 4 / n; }

#if defined(__GNUC__) || defined(__clang__)
// One panel row (kMR = 4 floats) as a 128-bit vector. Plain loops here got vectorized along k
// by GCC (contiguous for a transposed B) with shuffles per product: 9.6 vs 27 GFLOP/s at n = 8
// (head-gap b8, gemm_bench, Zen 4).
typedef float Row __attribute__((vector_size(kMR * sizeof(float))));
static_assert(kMR == 4, "Row is 4 floats");
inline Row load_row(const float* p) {
  Row v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#endif

/** sum[j][r] = sum over k < kb of a[k*kMR + r] * B(k, j); B(k, j) = b[j*ldb + k] (TB) or b[k*ldb + j]. */
template <int N, bool TB>
void small_n_dot(const float* a, const float* b, int64_t ldb, int64_t kb, float (&sum)[N][kMR]) {
  constexpr int U = small_n_unroll(N);
  auto bval = [&](int j, int64_t k) { return TB ? b[j * ldb + k] : b[k * ldb + j]; };
#if defined(__GNUC__) || defined(__clang__)
  Row acc[U][N];
  for (int u = 0; u < U; ++u)
    for (int j = 0; j < N; ++j) acc[u][j] = Row{};
  int64_t k = 0;
  for (; k + U <= kb; k += U)
    for (int u = 0; u < U; ++u) {
      const Row av = load_row(a + (k + u) * kMR);
      for (int j = 0; j < N; ++j) acc[u][j] += av * bval(j, k + u);
    }
  for (; k < kb; ++k) {
    const Row av = load_row(a + k * kMR);
    for (int j = 0; j < N; ++j) acc[0][j] += av * bval(j, k);
  }
  for (int j = 0; j < N; ++j) {
    for (int u = 1; u < U; ++u) acc[0][j] += acc[u][j];
    std::memcpy(sum[j], &acc[0][j], sizeof(Row));
  }
#else
  float acc[U][N][kMR] = {};
  int64_t k = 0;
  for (; k + U <= kb; k += U)
    for (int u = 0; u < U; ++u)
      for (int j = 0; j < N; ++j)
        for (int r = 0; r < kMR; ++r) acc[u][j][r] += a[(k + u) * kMR + r] * bval(j, k + u);
  for (; k < kb; ++k)
    for (int j = 0; j < N; ++j)
      for (int r = 0; r < kMR; ++r) acc[0][j][r] += a[k * kMR + r] * bval(j, k);
  for (int j = 0; j < N; ++j)
    for (int r = 0; r < kMR; ++r) {
      float s = acc[0][j][r];
      for (int u = 1; u < U; ++u) s += acc[u][j][r];
      sum[j][r] = s;
    }
#endif
}

template <int N, bool TB>
void small_n_columns(const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb, float* C,
                     int64_t ldc, bool trans_c, const Epilogue& ep, const float* res) {
  // K slices as in the SIMD kernels: B's block, re-read once per panel, stays within 1 MiB, and
  // each (panel, slice) is a long contiguous run of A for the prefetchers.
  const int64_t kc_max = std::max<int64_t>(256, 256 * 1024 / N);
  const int64_t kcb = std::max<int64_t>(1, ceil_div(K, std::max<int64_t>(1, ceil_div(K, kc_max))));
  for (int64_t pc = 0;; pc += kcb) {
    const int64_t kb = std::max<int64_t>(0, std::min(kcb, K - pc));  // K = 0: one epilogue-only pass
    const bool first = pc == 0, last = pc + kb >= K;
    for (int64_t i = m0; i < m1; i += kMR) {
      float sum[N][kMR];
      small_n_dot<N, TB>(packed_a + (i / kMR) * K * kMR + pc * kMR, TB ? B + pc : B + pc * ldb, ldb, kb, sum);
      const int64_t mb = std::min<int64_t>(kMR, m1 - i);
      for (int64_t r = 0; r < mb; ++r)
        for (int j = 0; j < N; ++j) {
          const int64_t m = i + r;
          float& c = trans_c ? C[j * ldc + m] : C[m * ldc + j];
          float x = sum[j][r];
          if (first) {
            if (ep.bias) x += ep.bias[m];
            if (res) x += trans_c ? res[j * ep.ldr + m] : res[m * ep.ldr + j];
          } else {
            x += c;
          }
          c = last ? apply_act(x, ep.act, ep.clip_min, ep.clip_max) : x;
        }
    }
    if (last) break;
  }
}

template <bool TB>
void small_n_dispatch(int64_t n, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                      int64_t ldb, float* C, int64_t ldc, bool trans_c, const Epilogue& ep, const float* res) {
  switch (n) {
    case 1: return small_n_columns<1, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 2: return small_n_columns<2, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 3: return small_n_columns<3, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 4: return small_n_columns<4, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 5: return small_n_columns<5, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 6: return small_n_columns<6, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 7: return small_n_columns<7, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    case 8: return small_n_columns<8, TB>(packed_a, K, m0, m1, B, ldb, C, ldc, trans_c, ep, res);
    default: return;
  }
}

}  // namespace

void sgemm_small_n(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                   bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c, const Epilogue& ep) {
  (void)M;
  if (m1 <= m0 || n1 <= n0) return;
  const int64_t groups = ceil_div(n1 - n0, kSmallNMax);
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t g0 = n0 + (n1 - n0) * g / groups, g1 = n0 + (n1 - n0) * (g + 1) / groups;
    const float* b = trans_b ? B + g0 * ldb : B + g0;
    float* c = trans_c ? C + g0 * ldc : C + g0;
    const float* res = ep.residual ? (trans_c ? ep.residual + g0 * ep.ldr : ep.residual + g0) : nullptr;
    if (trans_b) small_n_dispatch<true>(g1 - g0, packed_a, K, m0, m1, b, ldb, c, ldc, trans_c, ep, res);
    else small_n_dispatch<false>(g1 - g0, packed_a, K, m0, m1, b, ldb, c, ldc, trans_c, ep, res);
  }
}

size_t packed_a_size(int64_t M, int64_t K) { return static_cast<size_t>(round_up(M, kMR) * K); }

void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out) {
  for (int64_t p = 0; p < M; p += kMR) {
    float* dst = out + (p / kMR) * K * kMR;
    for (int64_t k = 0; k < K; ++k)
      for (int r = 0; r < kMR; ++r) {
        const int64_t m = p + r;
        dst[k * kMR + r] = m < M ? (trans_a ? A[k * lda + m] : A[m * lda + k]) : 0.f;
      }
  }
}

void sgemm(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
           bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  if (m1 <= m0 || n1 <= n0) return;
  // Few columns: the skinny kernel streams A once instead of padding them to kNR-wide tiles.
  if (n1 - n0 <= kSmallNMax) return sgemm_small_n(packed_a, M, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, false, ep);
  alignas(64) float acc[kMR * kNR];
  if (K <= 0) {  // C = epilogue(0)
    std::fill(acc, acc + kMR * kNR, 0.f);
    for (int64_t i = m0; i < m1; i += kMR)
      for (int64_t j = n0; j < n1; j += kNR)
        store_tile(acc, i, j, std::min<int64_t>(kMR, m1 - i), std::min<int64_t>(kNR, n1 - j), true, true, C, ldc,
                   ep);
    return;
  }
  float* bpack = tl_b.get(static_cast<size_t>(KC * NC));
  for (int64_t jc = n0; jc < n1; jc += NC) {
    const int64_t nb = std::min(NC, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kb = std::min(KC, K - pc);
      const bool first = pc == 0, last = pc + kb == K;
      pack_b(B, ldb, trans_b, pc, kb, jc, nb, bpack);
      for (int64_t i = m0; i < m1; i += kMR) {
        const float* ap = packed_a + (i / kMR) * K * kMR + pc * kMR;
        const int64_t mb = std::min<int64_t>(kMR, m1 - i);
        for (int64_t jp = 0; jp < nb; jp += kNR) {
          micro_kernel(ap, bpack + (jp / kNR) * kb * kNR, kb, acc);
          store_tile(acc, i, jc + jp, mb, std::min<int64_t>(kNR, nb - jp), first, last, C, ldc, ep);
        }
      }
    }
  }
}

}  // namespace scalar
}  // namespace studio
