// im2col with V512: ../simd/im2col_impl.h (stride 1 and 2 vectorized, padding in the load masks).
#include "../simd/im2col_impl.h"
#include "avx512_kernels.h"
#include "simd512.h"

namespace studio {
namespace avx512 {

void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
            int64_t ld) {
  SimdIm2col<V512>::im2col(g, x, j0, j1, k0, k1, col, ld);
}

}  // namespace avx512
}  // namespace studio
