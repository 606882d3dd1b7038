// Winograd transforms: ../simd/winograd_impl.h instantiated with 8-lane ymm vectors.
#include "../simd/winograd_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {
namespace {
/** V256 plus what the transforms need: subtraction and the two halves of a lane interleave. */
struct X256 : V256 {
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  /** a0 b0 a1 b1 a2 b2 a3 b3 (unpack works within 128-bit halves; the lane permute joins them). */
  static R zip_lo(R a, R b) {
    return _mm256_permute2f128_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b), 0x20);
  }
  /** a4 b4 ... a7 b7. */
  static R zip_hi(R a, R b) {
    return _mm256_permute2f128_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b), 0x31);
  }
};
using Wino = SimdWinograd<X256>;
thread_local AlignedBuffer tl_strip;  // the input transform's vertically transformed strip
}  // namespace

void winograd_input(const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0, int64_t t1, float* V,
                    int64_t ldv, int64_t ldt) {
  Wino::input_any(tl_strip, g, x, c0, c1, t0, t1, V, ldv, ldt);
}
void winograd_output(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                     int64_t t0, int64_t t1, float* y, const Epilogue& ep) {
  Wino::output_any(g, Mt, ldm, ldt, m0, m1, t0, t1, y, ep);
}

}  // namespace avx2
}  // namespace studio
