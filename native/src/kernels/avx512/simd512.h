// The 512-bit vector traits the generic SIMD kernels (../simd/*.h) are instantiated with.
// Compiled only in this folder, with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma.
#pragma once
#include <immintrin.h>

// GCC 12 warns about the _mm512_undefined_ps() inside its own max/min intrinsics (GCC PR 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <cstdint>

namespace studio {
namespace {

struct V512 {
  using R = __m512;
  using M = __mmask16;
  static constexpr int W = 16;

  static R zero() { return _mm512_setzero_ps(); }
  static R set1(float v) { return _mm512_set1_ps(v); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  /** Lanes [lo, hi) (clamped to [0, W)); an empty range gives an empty mask. */
  static M range(int64_t lo, int64_t hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > W ? W : hi;
    if (hi <= lo) return 0;
    return static_cast<M>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  }
  static M first(int64_t n) { return range(0, n); }
  // Masked loads never fault on masked-off lanes, so p may point outside the buffer there.
  static R load_m(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static R load_m(const float* p, M m, R fill) { return _mm512_mask_loadu_ps(fill, m, p); }
  static void store_m(float* p, M m, R v) { _mm512_mask_storeu_ps(p, m, v); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  /** Elements 0, 2, 4, ... of the 2W floats lo:hi (a stride-2 gather from two loads). */
  static R even(R lo, R hi) {
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
  /** Elements 1, 3, 5, ... of lo:hi. */
  static R odd(R lo, R hi) {
    const __m512i idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
  static void stream(float* p, R v) { _mm512_stream_ps(p, v); }
  /** Lanes J..J+W-1 of the 2W floats lo:hi (valignd): the window shifted by J, no load needed. */
  static constexpr bool kAlignr = true;
  template <int J>
  static R shift(R lo, R hi) {
    return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), J));
  }
};

}  // namespace
}  // namespace studio
