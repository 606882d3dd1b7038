// AVX2 + FMA packed SGEMM: the generic driver of ../simd/gemm_impl.h with a 6 x 16 ymm tile.
//
//  - MR x NR = 6 x 16: 12 accumulators (FMA latency 4-5 x 2 pipes needs 8-10 in flight), 2 B
//    loads + 6 broadcasts per 12 FMAs; 15 of the 16 ymm registers.
//  - KC = 256: the A micro-panel (6 x 256 x 4 B = 6 KiB) stays in L1 across the jr loop.
//  - NC = 512: the packed B block (256 x 512 x 4 B = 512 KiB) stays in a 1 MiB+ L2; on 256 KiB
//    L2 parts (Haswell..Skylake client) it spills to L3, which these loads tolerate (1 B vector
//    per 6 FMAs).
#include "../simd/gemm_impl.h"
#include "../simd/small_n_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {
namespace {
using G = SimdGemm<V256, kMR, 2, 256, 512>;
thread_local AlignedBuffer tl_b;
// Skinny GEMM: one ymm holds a panel's 6 rows (2 lanes idle; see small_n_impl.h).
using S = SimdSmallN<V256, kMR, 16>;
// B read in place (no packing) only for short A (<= 128 rows, e.g. the M = 64 pointwise
// convolutions: 91% of peak in place vs. 88% packed on Zen 4) and strides that are not a
// multiple of 1 KiB: a 16-float tile row is a single cache line, and with power-of-two strides
// all k rows of a tile land in the same L1 sets (66% vs. 82% packed at N = 4096).
bool direct_b(bool trans_b, int64_t ldb, int64_t rows) {
  return !trans_b && ldb <= 8192 && ldb % 256 != 0 && rows <= 128;
}
}  // namespace

size_t packed_a_size(int64_t M, int64_t K) { return G::packed_a_size(M, K); }
void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out) {
  G::pack_a(A, lda, trans_a, M, K, out);
}
void sgemm(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
           bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  if (n1 - n0 <= kSmallNMax)  // few columns: A streamed once, no padded tiles
    return S::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, false, ep);
  (void)M;
  G::sgemm(tl_b, direct_b(trans_b, ldb, m1 - m0), packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
}
void sgemm_small_n(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                   bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c, const Epilogue& ep) {
  (void)M;
  S::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, trans_c, ep);
}
void sgemm_b_mode(bool direct_b, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                  int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  G::sgemm(tl_b, direct_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
}

}  // namespace avx2
}  // namespace studio
