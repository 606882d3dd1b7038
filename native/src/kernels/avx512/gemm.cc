// AVX-512 packed SGEMM: the generic driver of ../simd/gemm_impl.h with an 8 x 48 zmm tile, the
// narrow-N kernel of gemm_narrow.h for small images, the skinny kernel for N <= 8.
//
// Blocking (L1d 32-48 KiB, L2 1-2 MiB):
//  - MR x NR = 8 x 48: 24 accumulators hide the 4-cycle FMA latency on 2 FMA pipes (8 needed)
//    with 3 B loads + 8 broadcasts per 24 FMAs; M = 64..512 (channel counts) tile exactly. On a
//    full-rate core (Zen 5) this tile reaches 85-93% of the measured peak on ResNet-sized
//    shapes (gemm_bench), so the load ports keep up with two 512-bit FMA pipes.
//  - KC x NC: the A micro-panel (8 x KC x 4 B) stays in L1 across the whole jr loop, the B block
//    (KC x NC x 4 B = 480 KiB, half of a 1 MiB L2) is reused by every MR-row panel of A.
//    Half rate (tuned on Zen 4, 32 KiB L1d): 256 x 480. Full rate (Zen 5, 48 KiB L1d): 512 x 240,
//    half the passes over C for K >= 512 with a 16 KiB A slice (interleaved medians on Zen 5,
//    % of peak, 256x480 vs 512x240: M=2048 K=512 N=196 77 -> 82, K=2304 N=196 73 -> 75,
//    Xception 728x728 N=361 87 -> 90, M=256 K=512 N=1024 90 -> 92, others equal; 512 x 480
//    (a 960 KiB B block) lost 6-10 points at K = 512).
//  - One-vector column panels (N <= 16; N mod 48 <= 16) run 24 x 16 tiles over three row panels
//    (the last template argument): 24 FMA chains instead of 8 (see gemm_impl.h, DESIGN.md).
// The tuning is cpu_tuning() (runtime/cpu_features.h), read once per process.
#include <cstring>

#include "../avx2/simd256.h"  // the skinny kernel's 8-lane vectors (EVEX-encoded here)
#include "../simd/gemm_impl.h"
#include "../simd/small_n_impl.h"
#include "avx512_kernels.h"
#include "gemm_narrow.h"
#include "runtime/cpu_features.h"
#include "simd512.h"

namespace studio {
namespace avx512 {
namespace {
using GHalf = SimdGemm<V512, kMR, 3, 256, 480, 3>;
using GFull = SimdGemm<V512, kMR, 3, 512, 240, 3>;
// Both share the packed-A layout (MR = 8 panels); only the k slicing differs.
static_assert(GHalf::NR == GFull::NR, "one packed layout");
using Packing = GHalf;  // packs A for both (the layout does not depend on KC or NC)
thread_local AlignedBuffer tl_b;

bool full_rate() {
  static const bool full = std::strcmp(cpu_tuning(), "avx512-full-rate") == 0;
  return full;
}

void tile_gemm(bool direct, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
               bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  if (full_rate()) GFull::sgemm(tl_b, direct, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
  else GHalf::sgemm(tl_b, direct, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
}
// Skinny GEMM: one ymm holds a panel's 8 rows. Zen 4 runs zmm FMAs at half the ymm rate, so
// 16-lane vectors over two panels would not be faster there, and need a cross-panel insert per k.
using S = SimdSmallN<V256, kMR, 32>;
// B read in place (no packing) when it is row-major with a moderate row stride: a 48-float tile
// row is 3 cache lines, enough for the prefetchers, and skipping the copy wins where few rows of
// A reuse each packed element -- the M = 64 pointwise b8 GEMM ran at 97% of peak in place vs.
// 90% packed, the K = 576 im2col at 90% vs 76% (gemm_bench, Zen 4). Very long strides (one TLB
// page per k row) and tall A (B reused by > 512 rows) go through the packed panels: the
// separable block's 728 x 728 pointwise GEMM over 19x19 (N = 361, an unaligned row stride, three
// k slices) ran 3.9 ms packed vs 4.8 ms in place (medians of interleaved runs, Zen 4).
bool direct_b(bool trans_b, int64_t ldb, int64_t rows) { return !trans_b && ldb <= 8192 && rows <= 512; }
}  // namespace

size_t packed_a_size(int64_t M, int64_t K) { return Packing::packed_a_size(M, K); }
void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out) {
  Packing::pack_a(A, lda, trans_a, M, K, out);
}
void sgemm(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
           bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  if (n1 - n0 <= kSmallNMax)  // few columns: A streamed once, no padded tiles
    return S::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, false, ep);
  if (NarrowGemm::fits(n1 - n0))  // small images (7x7, 5x5, ...): lanes along M, none padding
    return NarrowGemm::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
  (void)M;
  // A last partial vector of at most 8 columns (14x14 images: 196 = 12 x 16 + 4) goes to the
  // narrow kernel: the tile GEMM would run an 8 x 16 tile (8 FMAs per k, 8 accumulators) for
  // them, the narrow one 32 x 4 (8 FMAs per k for 4x the rows). Zen 5, % of peak, whole vs.
  // split: pointwise 64x152 N=196 82 -> 87, 256x2304 N=196 84 -> 91, 256x1024 N=196 86 -> 94.
  const int64_t tail = (n1 - n0) % 16;
  const int64_t nm = tail > 0 && tail <= 8 ? n1 - tail : n1;
  tile_gemm(direct_b(trans_b, ldb, m1 - m0), packed_a, K, m0, m1, B, ldb, trans_b, n0, nm, C, ldc, ep);
  if (nm < n1) NarrowGemm::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, nm, n1, C, ldc, ep);
}
void sgemm_small_n(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                   bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c, const Epilogue& ep) {
  (void)M;
  S::sgemm(tl_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, trans_c, ep);
}
void sgemm_b_mode(bool direct_b, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                  int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  tile_gemm(direct_b, packed_a, K, m0, m1, B, ldb, trans_b, n0, n1, C, ldc, ep);
}

}  // namespace avx512
}  // namespace studio
