// The 256-bit (AVX2 + FMA) vector traits the generic SIMD kernels (../simd/*.h) are instantiated
// with. Compiled only in this folder, with -mavx2 -mfma.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace studio {
namespace {

struct V256 {
  using R = __m256;
  using M = __m256i;  // lane mask: all-ones lanes are active (vmaskmovps semantics)
  static constexpr int W = 8;

  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float v) { return _mm256_set1_ps(v); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  /** Lanes [lo, hi); values outside [0, W) simply select nothing there. */
  static M range(int64_t lo, int64_t hi) {
    lo = lo < -1 ? -1 : (lo > W ? W : lo);
    hi = hi < -1 ? -1 : (hi > W ? W : hi);
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i ge_lo = _mm256_cmpgt_epi32(iota, _mm256_set1_epi32(static_cast<int>(lo) - 1));
    const __m256i lt_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(hi)), iota);
    return _mm256_and_si256(ge_lo, lt_hi);
  }
  static M first(int64_t n) { return range(0, n); }
  // vmaskmovps does not fault on masked-off lanes, so p may point outside the buffer there.
  static R load_m(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static R load_m(const float* p, M m, R fill) {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_m(float* p, M m, R v) { _mm256_maskstore_ps(p, m, v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
  /** Elements 0, 2, 4, ... of the 2W floats lo:hi. */
  static R even(R lo, R hi) {
    // shuffle_ps gives [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; the 64-bit permute restores order.
    const __m256 s = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  /** Elements 1, 3, 5, ... of lo:hi. */
  static R odd(R lo, R hi) {
    const __m256 s = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static void stream(float* p, R v) { _mm256_stream_ps(p, v); }
  // No cross-lane align on AVX2: shifted windows are plain unaligned loads (2 per cycle).
  static constexpr bool kAlignr = false;
};

}  // namespace
}  // namespace studio
