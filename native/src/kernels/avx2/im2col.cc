// im2col with V256: ../simd/im2col_impl.h (stride 1 and 2 vectorized, padding in the load masks).
#include "../simd/im2col_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {

void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
            int64_t ld) {
  SimdIm2col<V256>::im2col(g, x, j0, j1, k0, k1, col, ld);
}

}  // namespace avx2
}  // namespace studio
