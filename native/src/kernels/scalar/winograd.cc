// Winograd transforms for the portable table: ../simd/winograd_impl.h over 4-lane float arrays
// (the compiler turns the lane loops into SSE2/NEON), and the plan-time weight transform that
// every table shares.
#include "../simd/winograd_impl.h"
#include "scalar_kernels.h"

namespace studio {

void winograd_weights(int m, const float* w, int64_t M, int64_t C, float* U) {
  // G (alpha x 3) for F(2,3) with points 0, 1, -1 and F(4,3) with 0, -1, 1, 1/2, -2 (and
  // infinity): row j of a finite point p is (1, p, p^2) / prod_{q != p} (p - q).
  static const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static const double g4[6][3] = {{1, 0, 0},
                                  {-1.0 / 3, 1.0 / 3, -1.0 / 3},
                                  {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                  {-16.0 / 15, -8.0 / 15, -4.0 / 15},
                                  {1.0 / 15, -2.0 / 15, 4.0 / 15},
                                  {0, 0, 1}};
  const int A = m + 2;
  auto G = [&](int i, int k) { return m == 4 ? g4[i][k] : g2[i][k]; };
  for (int64_t o = 0; o < M; ++o)
    for (int64_t c = 0; c < C; ++c) {
      const float* f = w + (o * C + c) * 9;
      double t[6][3];  // G f
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < 3; ++j) t[i][j] = G(i, 0) * f[j] + G(i, 1) * f[3 + j] + G(i, 2) * f[6 + j];
      for (int i = 0; i < A; ++i)
        for (int j = 0; j < A; ++j)
          U[((i * A + j) * M + o) * C + c] =
              static_cast<float>(t[i][0] * G(j, 0) + t[i][1] * G(j, 1) + t[i][2] * G(j, 2));
    }
}

namespace scalar {
namespace {
/** Four lanes as a plain array: the generic transforms' vector type for the portable table. */
struct X4 {
  struct R {
    float v[4];
  };
  using M = unsigned;  // lane bits
  static constexpr int W = 4;
  template <class F>
  static R map(F f) {
    R r;
    for (int l = 0; l < W; ++l) r.v[l] = f(l);
    return r;
  }
  static R zero() { return set1(0.f); }
  static R set1(float x) { return map([&](int) { return x; }); }
  static R load(const float* p) { return map([&](int l) { return p[l]; }); }
  static void store(float* p, R a) {
    for (int l = 0; l < W; ++l) p[l] = a.v[l];
  }
  static M range(int64_t lo, int64_t hi) {
    M m = 0;
    for (int l = 0; l < W; ++l) m |= (l >= lo && l < hi) ? (1u << l) : 0u;
    return m;
  }
  static M first(int64_t n) { return range(0, n); }
  static R load_m(const float* p, M m) {
    R r;
    for (int l = 0; l < W; ++l) r.v[l] = (m >> l) & 1 ? p[l] : 0.f;
    return r;
  }
  static void store_m(float* p, M m, R a) {
    for (int l = 0; l < W; ++l)
      if ((m >> l) & 1) p[l] = a.v[l];
  }
  static R add(R a, R b) { return map([&](int l) { return a.v[l] + b.v[l]; }); }
  static R sub(R a, R b) { return map([&](int l) { return a.v[l] - b.v[l]; }); }
  static R mul(R a, R b) { return map([&](int l) { return a.v[l] * b.v[l]; }); }
  static R fma(R a, R b, R c) { return map([&](int l) { return a.v[l] * b.v[l] + c.v[l]; }); }
  static R max(R a, R b) { return map([&](int l) { return a.v[l] > b.v[l] ? a.v[l] : b.v[l]; }); }
  static R min(R a, R b) { return map([&](int l) { return a.v[l] < b.v[l] ? a.v[l] : b.v[l]; }); }
  static R even(R a, R b) { return map([&](int l) { return l < 2 ? a.v[2 * l] : b.v[2 * l - 4]; }); }
  static R odd(R a, R b) { return map([&](int l) { return l < 2 ? a.v[2 * l + 1] : b.v[2 * l - 3]; }); }
  static R zip_lo(R a, R b) { return map([&](int l) { return l % 2 ? b.v[l / 2] : a.v[l / 2]; }); }
  static R zip_hi(R a, R b) { return map([&](int l) { return l % 2 ? b.v[2 + l / 2] : a.v[2 + l / 2]; }); }
};
using Wino = SimdWinograd<X4>;
thread_local AlignedBuffer tl_strip;
}  // namespace

void winograd_input(const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0, int64_t t1, float* V,
                    int64_t ldv, int64_t ldt) {
  Wino::input_any(tl_strip, g, x, c0, c1, t0, t1, V, ldv, ldt);
}
void winograd_output(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                     int64_t t0, int64_t t1, float* y, const Epilogue& ep) {
  Wino::output_any(g, Mt, ldm, ldt, m0, m1, t0, t1, y, ep);
}

}  // namespace scalar
}  // namespace studio
