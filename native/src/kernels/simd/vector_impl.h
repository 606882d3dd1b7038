// Elementwise loops and roofline probes over a vector-traits type V (see ../avx512/simd512.h).
// Main loops handle 4 vectors per iteration (independent loads/stores in flight), then single
// vectors, then one masked vector for the n % W tail -- no scalar remainder loop.
#pragma once
#include <chrono>

#include "../common.h"

namespace studio {
namespace {

template <class V>
struct SimdVector {
  using R = typename V::R;
  static constexpr int W = V::W;

  /** y[i] = f(x[i]) for unary f over vectors. */
  template <class F>
  static STUDIO_ALWAYS_INLINE void map1(const float* x, float* y, int64_t n, F f) {
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
      const R a0 = V::load(x + i), a1 = V::load(x + i + W), a2 = V::load(x + i + 2 * W), a3 = V::load(x + i + 3 * W);
      V::store(y + i, f(a0)), V::store(y + i + W, f(a1)), V::store(y + i + 2 * W, f(a2)), V::store(y + i + 3 * W, f(a3));
    }
    for (; i + W <= n; i += W) V::store(y + i, f(V::load(x + i)));
    if (i < n) {
      const auto m = V::first(n - i);
      V::store_m(y + i, m, f(V::load_m(x + i, m)));
    }
  }
  template <class F>
  static STUDIO_ALWAYS_INLINE void map2(const float* a, const float* b, float* y, int64_t n, F f) {
    int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      const R a0 = V::load(a + i), a1 = V::load(a + i + W), b0 = V::load(b + i), b1 = V::load(b + i + W);
      V::store(y + i, f(a0, b0)), V::store(y + i + W, f(a1, b1));
    }
    for (; i + W <= n; i += W) V::store(y + i, f(V::load(a + i), V::load(b + i)));
    if (i < n) {
      const auto m = V::first(n - i);
      V::store_m(y + i, m, f(V::load_m(a + i, m), V::load_m(b + i, m)));
    }
  }

  static void relu(const float* x, float* y, int64_t n) {
    const R z = V::zero();
    map1(x, y, n, [z](R v) { return V::max(v, z); });
  }
  static void clip(const float* x, float* y, int64_t n, float lo, float hi) {
    const R l = V::set1(lo), h = V::set1(hi);
    map1(x, y, n, [l, h](R v) { return V::min(V::max(v, l), h); });
  }
  static void add(const float* a, const float* b, float* y, int64_t n) {
    map2(a, b, y, n, [](R p, R q) { return V::add(p, q); });
  }
  static void mul(const float* a, const float* b, float* y, int64_t n) {
    map2(a, b, y, n, [](R p, R q) { return V::mul(p, q); });
  }
  static void affine(const float* x, float* y, int64_t n, float scale, float shift) {
    const R s = V::set1(scale), t = V::set1(shift);
    map1(x, y, n, [s, t](R v) { return V::fma(v, s, t); });
  }
  static void triad(float* a, const float* b, const float* c, float s, int64_t n, int reps) {
    const R sv = V::set1(s);
    for (int r = 0; r < reps; ++r) {
      map2(c, b, a, n, [sv](R cv, R bv) { return V::fma(sv, cv, bv); });
#if defined(__GNUC__) || defined(__clang__)
      __asm__ __volatile__("" : : "r"(a) : "memory");
#endif
    }
  }

  /**
   * kChains independent FMA chains: the FMA latency (4 cycles) times the FMA issue rate (2 per
   * cycle for ymm, 1 zmm or 2 on cores with two 512-bit pipes) must not exceed the number of
   * chains, or the probe measures latency instead of throughput. 12 covers every current x86
   * core and leaves registers for the two operands (16 ymm registers on AVX2).
   */
  static double fma_peak(double seconds) {
    constexpr int kChains = 12;
    constexpr int64_t kInner = 1 << 14;
    R acc[kChains];
    STUDIO_UNROLL
    for (int i = 0; i < kChains; ++i) acc[i] = V::set1(0.001f * float(i));
    const R m = V::set1(0.9999f), a = V::set1(1e-3f);  // acc -> 10: no overflow, no denormals
    const auto t0 = std::chrono::steady_clock::now();
    double ops = 0;
    for (;;) {
      for (int64_t it = 0; it < kInner; ++it) {
        STUDIO_UNROLL
        for (int i = 0; i < kChains; ++i) acc[i] = V::fma(acc[i], m, a);
      }
      ops += 2.0 * W * kChains * kInner;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= seconds) break;
    }
    R s = V::zero();
    for (int i = 0; i < kChains; ++i) s = V::add(s, acc[i]);
    alignas(64) float out[W];
    V::store(out, s);
    volatile float sink = out[0];
    (void)sink;
    return ops;
  }
};

}  // namespace
}  // namespace studio
