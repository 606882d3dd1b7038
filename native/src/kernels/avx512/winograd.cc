// Winograd transforms: ../simd/winograd_impl.h instantiated with 16-lane zmm vectors.
#include "../simd/winograd_impl.h"
#include "avx512_kernels.h"
#include "simd512.h"

namespace studio {
namespace avx512 {
namespace {
/** V512 plus what the transforms need: subtraction and the two halves of a lane interleave. */
struct X512 : V512 {
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  /** a0 b0 a1 b1 ... a7 b7. */
  static R zip_lo(R a, R b) {
    const __m512i idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    return _mm512_permutex2var_ps(a, idx, b);
  }
  /** a8 b8 ... a15 b15. */
  static R zip_hi(R a, R b) {
    const __m512i idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    return _mm512_permutex2var_ps(a, idx, b);
  }
};
using Wino = SimdWinograd<X512>;
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

}  // namespace avx512
}  // namespace studio
