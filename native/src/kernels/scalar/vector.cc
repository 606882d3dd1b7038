// Portable elementwise loops and roofline probes. Plain loops the compiler auto-vectorizes.
#include <algorithm>
#include <chrono>

#include "../common.h"
#include "scalar_kernels.h"

namespace studio {
namespace scalar {

void relu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
void clip(const float* x, float* y, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
}
void add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
void mul(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}
void affine(const float* x, float* y, int64_t n, float scale, float shift) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

double fma_peak(double seconds) {
  // 32 independent multiply-add chains: enough to hide the add latency once the compiler turns
  // them into vectors (8 x 128-bit on SSE2/NEON). acc converges to 1e-3 / (1 - m): no overflow,
  // no denormals.
  constexpr int kChains = 32;
  constexpr int64_t kInner = 4096;
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = static_cast<float>(i) * 0.001f;
  const float m = 0.9999f, a = 1e-3f;
  const auto t0 = std::chrono::steady_clock::now();
  double ops = 0;
  for (;;) {
    for (int64_t it = 0; it < kInner; ++it)
      for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * m + a;
    ops += 2.0 * kChains * kInner;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= seconds) break;
  }
  float s = 0.f;
  for (int i = 0; i < kChains; ++i) s += acc[i];
  volatile float sink = s;
  (void)sink;
  return ops;
}

void triad(float* a, const float* b, const float* c, float s, int64_t n, int reps) {
  for (int r = 0; r < reps; ++r) {
    for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
    // Keeps the compiler from collapsing the repetitions into one pass.
#if defined(__GNUC__) || defined(__clang__)
    __asm__ __volatile__("" : : "r"(a) : "memory");
#endif
  }
}

}  // namespace scalar
}  // namespace studio
