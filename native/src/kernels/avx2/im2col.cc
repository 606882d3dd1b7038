// im2col and the small-C direct convolution (../simd/im2col_impl.h, ../simd/conv_direct_impl.h).
#include "../simd/conv_direct_impl.h"
#include "../simd/im2col_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {
namespace {
thread_local AlignedBuffer tl_direct;  // phase rows and tap pointers
}  // namespace

void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
            int64_t ld) {
  SimdIm2col<V256>::im2col(g, x, j0, j1, k0, k1, col, ld);
}

void conv_direct(const Im2colGeom& g, const float* x, const float* packed_w, int64_t m0, int64_t m1, int64_t oy0,
                 int64_t oy1, float* y, const Epilogue& ep) {
  // The GEMM's register tile: 6 x 16 (12 ymm accumulators).
  SimdConvDirect<V256, kMR, 2>::run(tl_direct, g, x, packed_w, m0, m1, oy0, oy1, y, ep);
}

}  // namespace avx2
}  // namespace studio
