// Standalone randomized test of every kernel of every ISA table this CPU supports, against naive
// double-precision references. Build and run with native/test/build.sh (see there).
// Exit status 0 when everything matches; otherwise prints the first mismatches per case.
//   kernels_test [seed]      STUDIO_NATIVE_ISA=avx2 restricts to one table; KT_TRACE=1 prints
//                            each depthwise geometry before the call (to find a crashing case).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "test_util.h"

using namespace studio_test;
using studio::Activation;
using studio::Epilogue;

namespace {

int g_failures = 0;
int g_checks = 0;

double act_ref(double v, Activation a, double lo, double hi) {
  if (a == Activation::Relu) return v > 0 ? v : 0;
  if (a == Activation::Clip) return std::min(std::max(v, lo), hi);
  return v;
}

/** |got - ref| <= atol + rtol*|ref| + 1e-6*mag, mag = the sum of |terms| (fp32 rounding bound). */
bool close(float got, double ref, double mag) {
  if (std::isinf(ref)) return got == ref;
  const double tol = 1e-5 + 1e-4 * std::fabs(ref) + 1e-6 * mag;
  return std::fabs(static_cast<double>(got) - ref) <= tol;
}

bool report(const char* what, const char* isa, const std::string& cfg, int64_t idx, float got, double ref) {
  ++g_failures;
  if (g_failures <= 20)
    std::printf("MISMATCH %s [%s] %s at %lld: got %.8g want %.8g\n", what, isa, cfg.c_str(), (long long)idx, got, ref);
  return false;
}

Epilogue random_epilogue(Rng& r, const float* bias, const float* res, int64_t ldr) {
  Epilogue ep;
  ep.bias = r.coin() ? bias : nullptr;
  ep.residual = r.coin() ? res : nullptr;
  ep.ldr = ldr;
  ep.act = static_cast<Activation>(r.uniform(0, 2));
  ep.clip_min = -0.3f;
  ep.clip_max = 0.5f;
  return ep;
}

std::string ep_str(const Epilogue& ep) {
  char b[96];
  std::snprintf(b, sizeof b, " bias=%d res=%d act=%d", ep.bias != nullptr, ep.residual != nullptr, (int)ep.act);
  return b;
}

// ---------------------------------------------------------------------------------------------
void test_gemm(const KernelTable* t, Rng& r, int64_t M, int64_t N, int64_t K) {
  const bool ta = r.coin(), tb = r.coin();
  const int64_t lda = (ta ? M : K) + r.uniform(0, 3), ldb = (tb ? K : N) + r.uniform(0, 3);
  const int64_t ldc = N + r.uniform(0, 5);
  Buf A((ta ? K : M) * lda + 1), B((tb ? N : K) * ldb + 1), C(M * ldc + 1), bias(M), res(M * ldc + 1);
  r.fill(A.p, A.n), r.fill(B.p, B.n), r.fill(bias.p, M), r.fill(res.p, res.n);
  // m0 is a multiple of mr; blocks sometimes cover everything.
  int64_t m0 = 0, m1 = M, n0 = 0, n1 = N;
  if (r.coin()) {
    m0 = r.uniform(0, (M - 1) / t->mr) * t->mr;
    m1 = r.uniform(m0 + 1, M);
    n0 = r.uniform(0, N - 1);
    n1 = r.uniform(n0 + 1, N);
  }
  const float sentinel = 1234.5f;
  for (size_t i = 0; i < C.n; ++i) C[i] = sentinel;
  Epilogue ep = random_epilogue(r, bias.p, res.p, ldc);
  const bool alias = ep.residual && r.uniform(0, 3) == 0;  // in-place residual: C holds it already
  if (alias) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t n = n0; n < n1; ++n) C[m * ldc + n] = res[m * ldc + n];
    ep.residual = C.p;
  }
  std::vector<float> packed(t->packed_a_size(M, K) + 1, -7.f);
  t->pack_a(A.p, lda, ta, M, K, packed.data());
  // Default strategy, or B packing / B in place forced (the default picks per shape).
  const int mode = gemm_mode_fn(t) ? int(r.uniform(0, 2)) : 0;
  if (mode == 0) t->sgemm(packed.data(), M, K, m0, m1, B.p, ldb, tb, n0, n1, C.p, ldc, ep);
  else gemm_mode_fn(t)(mode == 2, packed.data(), K, m0, m1, B.p, ldb, tb, n0, n1, C.p, ldc, ep);
  char cfg[160];
  std::snprintf(cfg, sizeof cfg, "M=%lld N=%lld K=%lld ta=%d tb=%d m=[%lld,%lld) n=[%lld,%lld) alias=%d mode=%d", (long long)M,
                (long long)N, (long long)K, ta, tb, (long long)m0, (long long)m1, (long long)n0, (long long)n1, alias,
                mode);
  const std::string c = std::string(cfg) + ep_str(ep);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      const int64_t idx = m * ldc + n;
      ++g_checks;
      if (m < m0 || m >= m1 || n < n0 || n >= n1) {
        if (C[idx] != sentinel) return (void)report("sgemm (wrote outside block)", t->isa, c, idx, C[idx], sentinel);
        continue;
      }
      double s = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[k * lda + m] : A[m * lda + k];
        const double b = tb ? B[n * ldb + k] : B[k * ldb + n];
        s += a * b, mag += std::fabs(a * b);
      }
      if (ep.bias) s += bias[m];
      if (ep.residual) s += res[idx];
      s = act_ref(s, ep.act, ep.clip_min, ep.clip_max);
      if (!close(C[idx], s, mag)) return (void)report("sgemm", t->isa, c, idx, C[idx], s);
    }
}

// ---------------------------------------------------------------------------------------------
/**
 * sgemm_small_n against the reference: C (trans_c: stored transposed, C[n*ldc + m]) for rows
 * [m0, m1) and columns [n0, n1), with the epilogue `ep_kind` (bit 0 bias, bit 1 residual, bits
 * 2-3 activation) and, when `alias`, the residual already in C (updated in place).
 */
void test_small_n(const KernelTable* t, Rng& r, int64_t M, int64_t N, int64_t K, int64_t m0, int64_t m1, int64_t n0,
                  int64_t n1, bool tb, bool tc, int ep_kind, bool alias) {
  const int64_t ldb = (tb ? K : N) + r.uniform(0, 3);
  const int64_t rows = tc ? N : M, cols = tc ? M : N;  // C's storage
  const int64_t ldc = cols + r.uniform(0, 5);
  Buf A(M * K + 1), B((tb ? N : K) * ldb + 1), C(rows * ldc + 1), bias(M), res(rows * ldc + 1);
  r.fill(A.p, A.n), r.fill(B.p, B.n), r.fill(bias.p, M), r.fill(res.p, res.n);
  auto at = [&](int64_t m, int64_t n) { return tc ? n * ldc + m : m * ldc + n; };
  const float sentinel = 1234.5f;
  for (size_t i = 0; i < C.n; ++i) C[i] = sentinel;
  Epilogue ep;
  ep.bias = ep_kind & 1 ? bias.p : nullptr;
  ep.residual = ep_kind & 2 ? res.p : nullptr;
  ep.ldr = ldc;
  ep.act = static_cast<Activation>((ep_kind >> 2) % 3);
  ep.clip_min = -0.3f;
  ep.clip_max = 0.5f;
  if (alias && ep.residual) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t n = n0; n < n1; ++n) C[at(m, n)] = res[at(m, n)];
    ep.residual = C.p;
  }
  // Packed exactly to size (no slack after it): an over-read at the end would be caught by ASan.
  std::vector<float> packed(t->packed_a_size(M, K));
  t->pack_a(A.p, K, false, M, K, packed.data());
  t->sgemm_small_n(packed.data(), M, K, m0, m1, B.p, ldb, tb, n0, n1, C.p, ldc, tc, ep);
  char cfg[160];
  std::snprintf(cfg, sizeof cfg, "M=%lld N=%lld K=%lld tb=%d tc=%d m=[%lld,%lld) n=[%lld,%lld) alias=%d",
                (long long)M, (long long)N, (long long)K, tb, tc, (long long)m0, (long long)m1, (long long)n0,
                (long long)n1, alias);
  const std::string c = std::string(cfg) + ep_str(ep);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      const int64_t idx = at(m, n);
      ++g_checks;
      if (m < m0 || m >= m1 || n < n0 || n >= n1) {
        if (C[idx] != sentinel)
          return (void)report("sgemm_small_n (wrote outside block)", t->isa, c, idx, C[idx], sentinel);
        continue;
      }
      double s = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double p = (double)A[m * K + k] * (tb ? B[n * ldb + k] : B[k * ldb + n]);
        s += p, mag += std::fabs(p);
      }
      if (ep.bias) s += bias[m];
      if (ep.residual) s += res[idx];
      s = act_ref(s, ep.act, ep.clip_min, ep.clip_max);
      if (!close(C[idx], s, mag)) return (void)report("sgemm_small_n", t->isa, c, idx, C[idx], s);
    }
}

void test_small_n_all(const KernelTable* t, Rng& r) {
  const int64_t nmax = t->small_n_max;
  // Every column count up to the limit (and past it: groups), every epilogue, both B and C layouts.
  for (int64_t n = 1; n <= nmax + 3; ++n)
    for (int ep_kind = 0; ep_kind < 12; ++ep_kind) {
      const int64_t M = 2 * r.uniform(0, 20) + 1, K = 2 * r.uniform(0, 60) + 1;  // odd: partial panels, k tails
      int64_t m0 = 0, m1 = M, n0 = 0, n1 = n, N = n;
      if (r.coin()) {  // a sub-block: m0 on a panel boundary, columns inside a wider B / C
        m0 = r.uniform(0, (M - 1) / t->mr) * t->mr;
        m1 = r.uniform(m0 + 1, M);
        N = n + r.uniform(0, 3);
        n0 = r.uniform(0, N - n);
        n1 = n0 + n;
      }
      test_small_n(t, r, M, N, K, m0, m1, n0, n1, r.coin(), r.coin(), ep_kind, r.uniform(0, 2) == 0);
    }
  // Long K, one panel and a few; the last length exceeds a K slice (the kernels copy at most
  // 256 Ki floats of B per slice), so partial sums are carried in C between slices.
  for (int64_t n : {1, 3, 8})
    for (int64_t K : {int64_t(4099), int64_t(40001), 262144 / n + 1001}) {
      const int64_t M = 2 * r.uniform(1, 6) + 1;
      test_small_n(t, r, M, n, K, 0, M, 0, n, r.coin(), r.coin(), (int)r.uniform(0, 11), r.coin());
    }
  for (int64_t n = 1; n <= nmax; ++n) {  // whole matrices
    const int64_t M = 1 + r.uniform(0, 40), K = r.uniform(1, 300);
    test_small_n(t, r, M, n, K, 0, M, 0, n, r.coin(), r.coin(), (int)r.uniform(0, 11), r.coin());
  }
  test_small_n(t, r, 7, 3, 0, 0, 7, 0, 3, false, true, 3, false);  // K = 0: epilogue only
  test_small_n(t, r, 1, 1, 1, 0, 1, 0, 1, true, false, 5, false);
}

// ---------------------------------------------------------------------------------------------
struct Geo {
  int64_t C, H, W, OH, OW;
  int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

std::string geo_str(const Geo& g) {
  char b[200];
  std::snprintf(b, sizeof b, "C=%lld H=%lld W=%lld k=%dx%d s=%d,%d d=%d,%d pads=%d,%d,%d,%d out=%lldx%lld",
                (long long)g.C, (long long)g.H, (long long)g.W, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.pb,
                g.pr, (long long)g.OH, (long long)g.OW);
  return b;
}

/** Random geometry; ceil_mode picks PyTorch/ONNX ceil output sizes (last window starts in bounds). */
bool random_geo(Rng& r, Geo& g, int kmax, bool dil, bool ceil_mode) {
  g.C = r.uniform(1, 6), g.H = r.uniform(1, 20), g.W = r.coin() ? r.uniform(1, 40) : r.uniform(40, 160);
  g.kh = (int)r.uniform(1, kmax), g.kw = (int)r.uniform(1, kmax);
  g.sh = (int)r.uniform(1, 3), g.sw = (int)r.uniform(1, 3);
  g.dh = dil ? (int)r.uniform(1, 2) : 1, g.dw = dil ? (int)r.uniform(1, 2) : 1;
  g.pt = (int)r.uniform(0, g.kh - 1), g.pb = (int)r.uniform(0, g.kh - 1);
  g.pl = (int)r.uniform(0, g.kw - 1), g.pr = (int)r.uniform(0, g.kw - 1);
  auto out = [&](int64_t in, int p0, int p1, int k, int s, int d) {
    const int64_t span = in + p0 + p1 - (int64_t)d * (k - 1) - 1;
    if (span < 0) return (int64_t)0;
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + p0) --o;
    return o;
  };
  g.OH = out(g.H, g.pt, g.pb, g.kh, g.sh, g.dh), g.OW = out(g.W, g.pl, g.pr, g.kw, g.sw, g.dw);
  return g.OH > 0 && g.OW > 0;
}

void test_depthwise(const KernelTable* t, Rng& r, const Geo& g) {
  const int64_t plane = g.OH * g.OW;
  // Sometimes the channels lie further apart than their H x W rows (a band of a larger image).
  const int64_t xcs = g.H * g.W + (r.coin() ? 0 : r.uniform(1, 3 * g.W + 5));
  Buf x(g.C * xcs + 1), w(g.C * g.kh * g.kw), y(g.C * plane + 1), bias(g.C), res(g.C * plane + 1);
  r.fill(x.p, x.n), r.fill(w.p, w.n), r.fill(bias.p, bias.n), r.fill(res.p, res.n);
  const int64_t c0 = r.uniform(0, g.C - 1), c1 = r.coin() ? g.C : r.uniform(c0 + 1, g.C);
  for (size_t i = 0; i < y.n; ++i) y[i] = 1234.5f;
  Epilogue ep = random_epilogue(r, bias.p, res.p, g.OW);
  const bool alias = ep.residual && r.uniform(0, 3) == 0;
  if (alias) {
    std::copy(res.p + c0 * plane, res.p + c1 * plane, y.p + c0 * plane);
    ep.residual = y.p;
  }
  if (std::getenv("KT_TRACE")) std::fprintf(stderr, "dw %s %s\n", t->isa, geo_str(g).c_str());
  t->depthwise_conv2d(x.p, c0, c1, g.H, g.W, xcs, w.p, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.OH, g.OW, y.p, ep);
  const std::string cfg = geo_str(g) + ep_str(ep) + (alias ? " alias" : "") + " xcs=" + std::to_string(xcs);
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t oy = 0; oy < g.OH; ++oy)
      for (int64_t ox = 0; ox < g.OW; ++ox) {
        const int64_t idx = c * plane + oy * g.OW + ox;
        ++g_checks;
        if (c < c0 || c >= c1) {
          if (y[idx] != 1234.5f) return (void)report("depthwise (wrote outside)", t->isa, cfg, idx, y[idx], 1234.5);
          continue;
        }
        double s = 0, mag = 0;
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int64_t iy = oy * g.sh - g.pt + i * g.dh, ix = ox * g.sw - g.pl + j * g.dw;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const double p = (double)w[c * g.kh * g.kw + i * g.kw + j] * x[c * xcs + iy * g.W + ix];
            s += p, mag += std::fabs(p);
          }
        if (ep.bias) s += bias[c];
        if (ep.residual) s += res[idx];
        s = act_ref(s, ep.act, ep.clip_min, ep.clip_max);
        if (!close(y[idx], s, mag)) return (void)report("depthwise", t->isa, cfg, idx, y[idx], s);
      }
}

void test_pool(const KernelTable* t, Rng& r, const Geo& g, bool is_max) {
  const int64_t plane = g.OH * g.OW;
  Buf x(g.C * g.H * g.W + 1), y(g.C * plane + 1);
  r.fill(x.p, x.n);
  for (size_t i = 0; i < y.n; ++i) y[i] = 1234.5f;
  const int64_t c0 = r.uniform(0, g.C - 1), c1 = r.coin() ? g.C : r.uniform(c0 + 1, g.C);
  const bool cip = r.coin();
  if (is_max)
    t->maxpool2d(x.p, c0, c1, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.OH, g.OW, y.p);
  else
    t->avgpool2d(x.p, c0, c1, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.pb, g.pr, cip, g.OH, g.OW, y.p);
  const std::string cfg = geo_str(g) + (is_max ? "" : cip ? " count_include_pad" : " exclude_pad");
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t oy = 0; oy < g.OH; ++oy)
      for (int64_t ox = 0; ox < g.OW; ++ox) {
        const int64_t idx = c * plane + oy * g.OW + ox;
        ++g_checks;
        if (c < c0 || c >= c1) {
          if (y[idx] != 1234.5f) return (void)report("pool (wrote outside)", t->isa, cfg, idx, y[idx], 1234.5);
          continue;
        }
        double m = -std::numeric_limits<double>::infinity(), s = 0, cnt = 0;
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int64_t iy = oy * g.sh - g.pt + i * g.dh, ix = ox * g.sw - g.pl + j * g.dw;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const double v = x[c * g.H * g.W + iy * g.W + ix];
            m = std::max(m, v), s += v, cnt += 1;
          }
        double ref = m;
        if (!is_max) {
          if (cip) {  // ONNX: the window clipped to the padded extent
            const int64_t hs = oy * g.sh - g.pt, ws = ox * g.sw - g.pl;
            const int64_t he = std::min<int64_t>(hs + g.kh, g.H + g.pb), we = std::min<int64_t>(ws + g.kw, g.W + g.pr);
            cnt = double(he - hs) * double(we - ws);
          }
          ref = s / cnt;
        }
        if (!close(y[idx], ref, std::fabs(s))) return (void)report(is_max ? "maxpool" : "avgpool", t->isa, cfg, idx, y[idx], ref);
      }
}

// ---- pools: the row-direct path (kernels/simd/pool_impl.h), its fallbacks and global pooling ----

/** A geometry with ONNX output sizes (ceil_mode: the last window starts inside input + begin pad). */
Geo pool_geo(int64_t C, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int pb,
             int pr, bool ceil_mode) {
  auto out = [&](int64_t in, int p0, int p1, int k, int s, int d) {
    const int64_t span = in + p0 + p1 - (int64_t)d * (k - 1) - 1;
    if (span < 0) return (int64_t)0;
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + p0) --o;
    return o;
  };
  return Geo{C, H, W, out(H, pt, pb, kh, sh, dh), out(W, pl, pr, kw, sw, dw), kh, kw, sh, sw, dh, dw, pt, pl, pb, pr};
}

/** Both pools (max with the given dilation, average without) when the geometry has outputs. */
void test_pool_pair(const KernelTable* t, Rng& r, const Geo& g) {
  if (g.OH < 1 || g.OW < 1) return;
  test_pool(t, r, g, true);
  if (g.dh == 1 && g.dw == 1) test_pool(t, r, g, false);
}

/** GlobalAveragePool / GlobalMaxPool as ops/pool.cc passes them: one row of S floats per channel. */
void test_global_pools(const KernelTable* t, Rng& r) {
  for (int64_t S : {1, 2, 7, 15, 16, 17, 31, 49, 64, 65, 196, 1000})
    for (int64_t C : {1, 3, 16, 17, 40}) test_pool_pair(t, r, pool_geo(C, 1, S, 1, (int)S, 1, 1, 1, 1, 0, 0, 0, 0, false));
  for (int it = 0; it < 40; ++it) {  // 2-D planes: kernel = the whole plane
    const int64_t H = r.uniform(1, 12), W = r.uniform(1, 12);
    test_pool_pair(t, r, pool_geo(r.uniform(1, 50), H, W, (int)H, (int)W, 1, 1, 1, 1, 0, 0, 0, 0, false));
  }
}

void test_pools(const KernelTable* t, Rng& r) {
  test_global_pools(t, r);
  // The CNN shapes: ResNet's 3x3/2 pad 1, Inception's 3x3/2 pad 0, 2x2/2, 3x3/1 pad 1, odd sizes.
  for (int64_t n : {1, 2, 3, 7, 8, 14, 15, 33, 56, 57, 112, 113})
    for (int k : {2, 3})
      for (int s : {1, 2})
        for (int p = 0; p < k; ++p)
          for (bool ceil_mode : {false, true}) test_pool_pair(t, r, pool_geo(2, n, n, k, k, s, s, 1, 1, p, p, p, p, ceil_mode));
  for (int it = 0; it < 300; ++it) {  // random rectangles: strides 1-3, dilations, asymmetric pads
    const int kh = (int)r.uniform(1, 7), kw = (int)r.uniform(1, 7), dh = (int)r.uniform(1, 3), dw = (int)r.uniform(1, 3);
    test_pool_pair(t, r, pool_geo(r.uniform(1, 4), r.uniform(1, 30), r.uniform(1, 70), kh, kw, (int)r.uniform(1, 3),
                                  (int)r.uniform(1, 3), r.coin() ? 1 : dh, r.coin() ? 1 : dw,
                                  (int)r.uniform(0, kh - 1), (int)r.uniform(0, kw - 1), (int)r.uniform(0, kh - 1),
                                  (int)r.uniform(0, kw - 1), r.coin()));
  }
  // Windows wholly in the padding (dilated, ceil mode): max over nothing is -inf.
  test_pool(t, r, pool_geo(3, 1, 9, 2, 2, 1, 1, 5, 1, 4, 1, 4, 0, false), true);
  test_pool(t, r, pool_geo(2, 2, 3, 2, 2, 2, 2, 4, 4, 3, 3, 3, 3, true), true);
  // 1x1 planes and kernels; rows wider than the row-direct path's chunk limit (the fallbacks);
  // kernels taller than its tap limit.
  test_pool_pair(t, r, pool_geo(5, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false));
  test_pool_pair(t, r, pool_geo(3, 5, 9, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, true));
  test_pool_pair(t, r, pool_geo(2, 3, 2100, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false));
  test_pool_pair(t, r, pool_geo(2, 3, 2100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true));
  test_pool_pair(t, r, pool_geo(2, 40, 9, 35, 3, 1, 1, 1, 1, 2, 1, 2, 1, false));
  test_pool_pair(t, r, pool_geo(2, 9, 40, 2, 33, 1, 3, 1, 1, 1, 16, 1, 16, false));
}

// ---------------------------------------------------------------------------------------------
// im2col: every tap of random geometries (odd channels, strides 1-4, dilations, asymmetric and
// large pads, 1x1 planes), expanded for random column ranges and k ranges; the values are copies,
// so they must match the reference exactly, padding taps are 0, and nothing past each row's
// width or outside the requested rows is written.
void test_im2col(const KernelTable* t, Rng& r, const Geo& g) {
  studio::Im2colGeom ig;
  ig.C = g.C, ig.H = g.H, ig.W = g.W, ig.kh = g.kh, ig.kw = g.kw, ig.sh = g.sh, ig.sw = g.sw, ig.dh = g.dh;
  ig.dw = g.dw, ig.pad_top = g.pt, ig.pad_left = g.pl, ig.OH = g.OH, ig.OW = g.OW;
  std::vector<float> x(static_cast<size_t>(g.C * g.H * g.W));
  r.fill(x.data(), x.size());
  const int64_t K = g.C * g.kh * g.kw, P = g.OH * g.OW;
  const int64_t j0 = r.coin() ? 0 : r.uniform(0, P - 1), j1 = r.coin() ? P : r.uniform(j0 + 1, P);
  const int64_t k0 = r.coin() ? 0 : r.uniform(0, K - 1), k1 = r.coin() ? K : r.uniform(k0 + 1, K);
  const int64_t ld = (j1 - j0) + r.uniform(0, 5);
  const float guard = 12345.f;
  std::vector<float> col(static_cast<size_t>((k1 - k0) * ld + 3), guard);
  t->im2col(ig, x.data(), j0, j1, k0, k1, col.data(), ld);
  ++g_checks;
  for (int64_t k = k0; k < k1; ++k) {
    const int64_t c = k / (g.kh * g.kw), i = (k / g.kw) % g.kh, j = k % g.kw;
    for (int64_t q = 0; q < ld; ++q) {
      const float got = col[(k - k0) * ld + q];
      double want = guard;
      if (q < j1 - j0) {
        const int64_t p = j0 + q, oy = p / g.OW, ox = p % g.OW;
        const int64_t iy = oy * g.sh + i * g.dh - g.pt, ix = ox * g.sw + j * g.dw - g.pl;
        want = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? x[(c * g.H + iy) * g.W + ix] : 0.0;
      }
      if (got != want) {
        report("im2col", t->isa, geo_str(g) + " rows " + std::to_string(k), q, got, want);
        return;
      }
    }
  }
  for (size_t e = static_cast<size_t>((k1 - k0) * ld); e < col.size(); ++e)
    if (col[e] != guard) {
      report("im2col", t->isa, geo_str(g) + " wrote past the last row", (int64_t)e, col[e], guard);
      return;
    }
}

// The small-C direct convolution against a double-precision reference: random geometries
// (1-4 channels, kernels up to 7, column strides 1-2, row strides 1-4, dilations, asymmetric
// pads, 1x1 planes, rows wider than a register tile), random output-channel and row ranges,
// random epilogues (the residual may alias y).
void test_conv_direct(const KernelTable* t, Rng& r, const Geo& g, int64_t M) {
  if (!t->conv_direct) return;
  studio::Im2colGeom ig;
  ig.C = g.C, ig.H = g.H, ig.W = g.W, ig.kh = g.kh, ig.kw = g.kw, ig.sh = g.sh, ig.sw = g.sw, ig.dh = g.dh;
  ig.dw = g.dw, ig.pad_top = g.pt, ig.pad_left = g.pl, ig.OH = g.OH, ig.OW = g.OW;
  const int64_t K = g.C * g.kh * g.kw, P = g.OH * g.OW;
  std::vector<float> x(static_cast<size_t>(g.C * g.H * g.W)), w(static_cast<size_t>(M * K)), bias(M);
  r.fill(x.data(), x.size()), r.fill(w.data(), w.size()), r.fill(bias.data(), bias.size());
  std::vector<float> pw(t->packed_a_size(M, K));
  t->pack_a(w.data(), K, false, M, K, pw.data());
  std::vector<float> res(static_cast<size_t>(M * P)), y(static_cast<size_t>(M * P), 777.f);
  r.fill(res.data(), res.size());
  const bool alias = r.coin();
  if (alias) y = res;
  Epilogue ep = random_epilogue(r, bias.data(), alias ? y.data() : res.data(), P);
  const int64_t m0 = r.coin() ? 0 : r.uniform(0, (M - 1) / t->mr) * t->mr, m1 = r.coin() ? M : r.uniform(m0 + 1, M);
  const int64_t oy0 = r.coin() ? 0 : r.uniform(0, g.OH - 1), oy1 = r.coin() ? g.OH : r.uniform(oy0 + 1, g.OH);
  const std::vector<float> before = y;
  t->conv_direct(ig, x.data(), pw.data(), m0, m1, oy0, oy1, y.data(), ep);
  ++g_checks;
  const std::string cfg = geo_str(g) + " M=" + std::to_string(M) + ep_str(ep);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t p = 0; p < P; ++p) {
      const int64_t oy = p / g.OW, ox = p % g.OW, e = m * P + p;
      if (m < m0 || m >= m1 || oy < oy0 || oy >= oy1) {
        if (y[e] != before[e]) {
          report("conv_direct wrote outside its range", t->isa, cfg, e, y[e], before[e]);
          return;
        }
        continue;
      }
      double acc = 0, mag = 0;
      for (int64_t c = 0; c < g.C; ++c)
        for (int i = 0; i < g.kh; ++i)
          for (int j = 0; j < g.kw; ++j) {
            const int64_t iy = oy * g.sh + i * g.dh - g.pt, ix = ox * g.sw + j * g.dw - g.pl;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const double term = (double)w[(m * g.C + c) * g.kh * g.kw + i * g.kw + j] * x[(c * g.H + iy) * g.W + ix];
            acc += term, mag += std::fabs(term);
          }
      if (ep.bias) acc += ep.bias[m], mag += std::fabs(ep.bias[m]);
      if (ep.residual) acc += res[e], mag += std::fabs(res[e]);  // an aliased y held res
      const double want = act_ref(acc, ep.act, ep.clip_min, ep.clip_max);
      if (!close(y[e], want, mag)) {
        report("conv_direct", t->isa, cfg, e, y[e], want);
        return;
      }
    }
}

void test_im2col_all(const KernelTable* t, Rng& r) {
  Geo g;
  for (int it = 0; it < 600; ++it) {
    if (!random_geo(r, g, 7, true, false)) continue;
    g.sh = (int)r.uniform(1, 4), g.sw = (int)r.uniform(1, 4);  // strides 1-4, pads up to k - 1
    g.OH = (g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.OW = (g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    if (g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1 < 0 || g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1 < 0) continue;
    test_im2col(t, r, g);
  }
  // The CNN shapes at odd sizes: ResNet stems (7x7/2 pad 3 over 3 channels), strided 1x1
  // shortcuts, 3x3/1 and 4x4 'same' (pads 1,1,2,2), 1x1 planes with padding.
  for (int64_t s : {1, 2, 7, 15, 33, 57}) {
    test_im2col(t, r, Geo{3, s, s + 1, (s + 6 - 7) / 2 + 1, (s + 7 - 7) / 2 + 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3});
    test_im2col(t, r, Geo{5, s, s, (s - 1) / 2 + 1, (s - 1) / 2 + 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0});
    test_im2col(t, r, Geo{3, s, s, s, s, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1});
    test_im2col(t, r, Geo{3, s, s, s, s, 4, 4, 1, 1, 1, 1, 1, 1, 2, 2});
  }
  test_im2col(t, r, Geo{1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1});
  test_im2col(t, r, Geo{2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});  // 1x1 window, all padding around
  for (int it = 0; it < 300; ++it) {
    if (!random_geo(r, g, 7, true, false)) continue;
    g.C = r.uniform(1, 4), g.sh = (int)r.uniform(1, 4), g.sw = (int)r.uniform(1, 2);
    g.OH = (g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.OW = (g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    if (g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1 < 0 || g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1 < 0) continue;
    test_conv_direct(t, r, g, r.uniform(1, 40));
  }
  // ResNet's stem at a reduced size, Inception's (3x3/2 valid), 1x1 planes.
  test_conv_direct(t, r, Geo{3, 37, 41, 19, 21, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, 64);
  // Rows of whole vectors (OW = 32, 16, 112): tiles spanning several output rows.
  test_conv_direct(t, r, Geo{3, 40, 63, 20, 32, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, 64);
  test_conv_direct(t, r, Geo{2, 9, 16, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 24);
  test_conv_direct(t, r, Geo{3, 224, 224, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, 64);
  test_conv_direct(t, r, Geo{3, 35, 35, 17, 17, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0}, 32);
  test_conv_direct(t, r, Geo{1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 9);
  test_conv_direct(t, r, Geo{2, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, 17);
}

// ---------------------------------------------------------------------------------------------
void test_vector(const KernelTable* t, Rng& r, int64_t n) {
  const int64_t off = r.uniform(0, 3);  // unaligned starts
  Buf a(n + 8), b(n + 8), y(n + 8);
  r.fill(a.p, a.n), r.fill(b.p, b.n);
  const float* pa = a.p + off;
  const float* pb = b.p + off;
  float* py = y.p + off;
  const float lo = -0.25f, hi = 0.6f, sc = 1.7f, sh = -0.2f;
  char cfg[48];
  std::snprintf(cfg, sizeof cfg, "n=%lld off=%lld", (long long)n, (long long)off);
  auto check = [&](const char* what, auto ref) {
    for (int64_t i = 0; i < n; ++i) {
      ++g_checks;
      if (!close(py[i], ref(i), 2.0)) return (void)report(what, t->isa, cfg, i, py[i], ref(i));
    }
    ++g_checks;
    if (py[n] != 0.f) report(what, t->isa, std::string(cfg) + " (wrote past n)", n, py[n], 0);
  };
  t->relu(pa, py, n);
  check("relu", [&](int64_t i) { return std::max<double>(pa[i], 0); });
  t->clip(pa, py, n, lo, hi);
  check("clip", [&](int64_t i) { return std::min<double>(std::max<double>(pa[i], lo), hi); });
  t->add(pa, pb, py, n);
  check("add", [&](int64_t i) { return (double)pa[i] + pb[i]; });
  t->mul(pa, pb, py, n);
  check("mul", [&](int64_t i) { return (double)pa[i] * pb[i]; });
  t->affine(pa, py, n, sc, sh);
  check("affine", [&](int64_t i) { return (double)pa[i] * sc + sh; });
  t->triad(py, pa, pb, 0.5f, n, 2);
  check("triad", [&](int64_t i) { return (double)pa[i] + 0.5 * pb[i]; });
}


// ---------------------------------------------------------------------------------------------
// Winograd F(2x2,3x3) / F(4x4,3x3): the whole convolution through the table (winograd_weights,
// pack_a per xi, winograd_input, sgemm, winograd_output) against a double-precision direct
// convolution, with tiles cut into random blocks (segments across tile rows and images), the
// input transform's channels and the output transform's channels split in two calls.
struct WinoStats {
  double max_rel_rms = 0;  // max |err| / RMS of the output before the activation
  double max_rel_mag = 0;  // max |err| / (sum of |terms|) of that element
  double max_rel_mag16 = 0;  // the same over layers with C >= 16 (what auto sends to Winograd)
};
WinoStats g_wino_stats[2][3];  // [m == 4][table]

// nonneg: inputs in [0, 1] (post-ReLU activations: a nonzero mean makes the transforms cancel more).
void test_winograd(const KernelTable* t, int ti, Rng& r, int m, int64_t N, int64_t C, int64_t M, int64_t H, int64_t W,
                   int pt, int pl, int pb, int pr, bool nonneg = false) {
  studio::WinogradGeom g;
  g.m = m, g.C = C, g.H = H, g.W = W, g.M = M, g.pad_top = pt, g.pad_left = pl;
  g.OH = H + pt + pb - 2, g.OW = W + pl + pr - 2;
  if (g.OH < 1 || g.OW < 1) return;
  g.TY = (g.OH + m - 1) / m, g.TX = (g.OW + m - 1) / m;
  const int A = m + 2, A2 = A * A;
  const int64_t tiles = N * g.TY * g.TX, plane = g.OH * g.OW;
  Buf x(N * C * H * W), w(M * C * 9), bias(M), res(N * M * plane), y(N * M * plane), U(A2 * M * C);
  r.fill(x.p, x.n), r.fill(w.p, w.n), r.fill(bias.p, bias.n), r.fill(res.p, res.n);
  if (nonneg)
    for (size_t i = 0; i < x.n; ++i) x[i] = std::fabs(x[i]);
  const float sentinel = 1234.5f;
  for (size_t i = 0; i < y.n; ++i) y[i] = sentinel;
  Epilogue ep = random_epilogue(r, bias.p, res.p, 0);
  const bool alias = ep.residual && r.coin();
  if (alias) {
    std::copy(res.p, res.p + res.n, y.p);
    ep.residual = y.p;
  }
  studio::winograd_weights(m, w.p, M, C, U.p);
  const size_t per = t->packed_a_size(M, C);
  std::vector<float> packed(per * A2);
  for (int xi = 0; xi < A2; ++xi) t->pack_a(U.p + xi * M * C, C, false, M, C, packed.data() + per * xi);
  for (int64_t t0 = 0; t0 < tiles;) {
    const int64_t t1 = std::min(tiles, t0 + r.uniform(1, 70));
    const int64_t nt = t1 - t0, ldt = nt + r.uniform(0, 20);
    Buf V(A2 * C * ldt), Mt(A2 * M * ldt + 16);
    const int64_t cs = r.uniform(0, C), ms = r.uniform(0, M);
    t->winograd_input(g, x.p, 0, cs, t0, t1, V.p, C * ldt, ldt);
    t->winograd_input(g, x.p, cs, C, t0, t1, V.p, C * ldt, ldt);
    for (int xi = 0; xi < A2; ++xi)
      t->sgemm(packed.data() + per * xi, M, C, 0, M, V.p + xi * C * ldt, ldt, false, 0, nt, Mt.p + xi * M * ldt, ldt,
               Epilogue{});
    t->winograd_output(g, Mt.p, M * ldt, ldt, 0, ms, t0, t1, y.p, ep);
    t->winograd_output(g, Mt.p, M * ldt, ldt, ms, M, t0, t1, y.p, ep);
    t0 = t1;
  }
  char cfg[200];
  std::snprintf(cfg, sizeof cfg, "F(%d) N=%lld C=%lld M=%lld H=%lld W=%lld pads=%d,%d,%d,%d alias=%d nonneg=%d", m,
                (long long)N, (long long)C, (long long)M, (long long)H, (long long)W, pt, pl, pb, pr, alias, nonneg);
  const std::string c = std::string(cfg) + ep_str(ep);
  std::vector<double> ref(y.n), mag(y.n);
  double ss = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < M; ++o)
      for (int64_t oy = 0; oy < g.OH; ++oy)
        for (int64_t ox = 0; ox < g.OW; ++ox) {
          double s = 0, a = 0;
          for (int64_t ci = 0; ci < C; ++ci)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                const int64_t iy = oy + i - pt, ix = ox + j - pl;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const double p = (double)w[(o * C + ci) * 9 + i * 3 + j] * x[((n * C + ci) * H + iy) * W + ix];
                s += p, a += std::fabs(p);
              }
          const int64_t idx = (n * M + o) * plane + oy * g.OW + ox;
          if (ep.bias) s += bias[o];
          if (ep.residual) s += res[idx];
          ss += s * s;  // the RMS before the activation (a clip would shrink it, not the error)
          s = act_ref(s, ep.act, ep.clip_min, ep.clip_max);
          ref[idx] = s, mag[idx] = a;
        }
  const double rms = std::sqrt(ss / (double)y.n) + 1e-30;
  WinoStats& st = g_wino_stats[m == 4][ti];
  for (size_t i = 0; i < y.n; ++i) {
    ++g_checks;
    const double err = std::fabs((double)y[i] - ref[i]);
    if (!(err == err)) return (void)report("winograd (NaN)", t->isa, c, (int64_t)i, y[i], ref[i]);
    st.max_rel_rms = std::max(st.max_rel_rms, err / rms);
    if (mag[i] > 0) st.max_rel_mag = std::max(st.max_rel_mag, err / mag[i]);
    if (mag[i] > 0 && C >= 16) st.max_rel_mag16 = std::max(st.max_rel_mag16, err / mag[i]);
    // fp32 rounding of the direct sum is ~1e-7 to 3e-7 of the terms' magnitude; the transforms add
    // a few times that: measured up to 4.5e-7 (F(2x2)) and 2.8e-6 (F(4x4), points 0, -1, 1, 1/2,
    // -2; 8.9e-6 with 0, +-1, +-2), the bound native/DESIGN.md "Winograd" documents.
    const double tol = 1e-5 + 1e-4 * std::fabs(ref[i]) + (m == 4 ? 6e-6 : 2e-6) * mag[i];
    if (err > tol) return (void)report("winograd", t->isa, c, (int64_t)i, y[i], ref[i]);
  }
}

void test_winograd_all(const KernelTable* t, int ti, Rng& r) {
  for (int m : {2, 4}) {
    // Tiny and odd shapes: 1x1 and 2x2 images (padding only), partial tiles, asymmetric pads.
    for (int it = 0; it < 60; ++it) {
      const int pt = (int)r.uniform(0, 1), pl = (int)r.uniform(0, 1), pb = (int)r.uniform(0, 1), pr = (int)r.uniform(0, 1);
      test_winograd(t, ti, r, m, r.uniform(1, 3), r.uniform(1, 19), r.uniform(1, 21), r.uniform(1, 15),
                    r.uniform(1, 40), pt, pl, pb, pr);
    }
    test_winograd(t, ti, r, m, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    test_winograd(t, ti, r, m, 2, 64, 64, 7, 7, 1, 1, 1, 1);
    test_winograd(t, ti, r, m, 1, 256, 32, 13, 13, 1, 1, 1, 1);
    test_winograd(t, ti, r, m, 1, 512, 8, 7, 7, 1, 1, 1, 1);
    test_winograd(t, ti, r, m, 1, 16, 16, 56, 56, 1, 1, 1, 1);
    // ResNet-like layers on post-ReLU (nonnegative) inputs, odd channel counts and batch.
    test_winograd(t, ti, r, m, 1, 64, 48, 28, 28, 1, 1, 1, 1, true);
    test_winograd(t, ti, r, m, 1, 256, 40, 14, 14, 1, 1, 1, 1, true);
    test_winograd(t, ti, r, m, 2, 131, 37, 9, 11, 1, 0, 1, 1, true);
    for (int it = 0; it < 10; ++it)
      test_winograd(t, ti, r, m, r.uniform(1, 2), r.uniform(1, 70), r.uniform(1, 40), r.uniform(1, 12), r.uniform(1, 12),
                    (int)r.uniform(0, 1), (int)r.uniform(0, 1), (int)r.uniform(0, 1), (int)r.uniform(0, 1), true);
  }
}

void test_table(const KernelTable* t, uint64_t seed, int ti) {
  Rng r(seed);
  const int before = g_failures;
  for (int it = 0; it < 400; ++it) test_gemm(t, r, r.uniform(1, 100), r.uniform(1, 100), r.uniform(1, 100));
  // Several K / N blocks, large M: exercises the cache-blocking loops and accumulation into C.
  for (int it = 0; it < 6; ++it) test_gemm(t, r, r.uniform(60, 140), r.uniform(500, 1300), r.uniform(250, 900));
  test_gemm(t, r, 64, 1568, 152);
  // Narrow N (small images: the AVX-512 lanes-along-M kernel) over several k slices.
  for (int it = 0; it < 8; ++it) test_gemm(t, r, r.uniform(1, 140), r.uniform(9, 130), r.uniform(500, 1200));
  test_gemm(t, r, 512, 49, 1100);
  test_gemm(t, r, 64, 196, 152);  // 12 vectors + 4 columns: the tail split off to the narrow kernel
  test_gemm(t, r, 40, 49, 0);  // K = 0 on the narrow path
  // Small N, moderate K (Winograd tile blocks, 7x7 / 14x14 pointwise layers): the AVX-512
  // one-vector column panels run as 24-row tiles (1..3 row panels at the edge of M), the narrow
  // kernel's 16 x 16 transposition with row and column remainders. Odd M on purpose.
  for (int it = 0; it < 60; ++it)
    test_gemm(t, r, r.uniform(1, 90) * 2 + 1, r.uniform(1, 64), r.uniform(1, 1000));
  for (int64_t n : {15, 16, 32, 48, 49, 64, 112}) test_gemm(t, r, r.uniform(1, 300), n, r.uniform(1, 700));
  test_gemm(t, r, 256, 16, 256);
  test_gemm(t, r, 131, 16, 600);  // last row group: 3 panels, 3 rows of the last one
  test_gemm(t, r, 1, 1, 1);
  test_gemm(t, r, 7, 5, 0);  // K = 0: epilogue only
  test_small_n_all(t, r);
  Geo g;
  for (int it = 0; it < 400; ++it)
    if (random_geo(r, g, 7, true, false)) test_depthwise(t, r, g);
  // The specialized 3x3 paths (stride 1 and 2, pad 0/1) over many widths.
  for (int it = 0; it < 200; ++it) {
    g = Geo{r.uniform(1, 5), r.uniform(1, 20), r.uniform(1, 120), 0, 0, 3, 3, 0, 0, 1, 1, 0, 0, 0, 0};
    g.sh = g.sw = (int)r.uniform(1, 2);
    g.pt = g.pl = g.pb = g.pr = (int)r.uniform(0, 1);
    g.OH = (g.H + g.pt + g.pb - 3) / g.sh + 1, g.OW = (g.W + g.pl + g.pr - 3) / g.sw + 1;
    if (g.H + g.pt + g.pb >= 3 && g.W + g.pl + g.pr >= 3) test_depthwise(t, r, g);
  }
  // The row-direct 3x3 kernel (simd/depthwise_impl.h): asymmetric pads up to 2, rows from one
  // partial vector to past its widest (32 vectors: wider rows fall back), several row blocks.
  for (int it = 0; it < 300; ++it) {
    g = Geo{r.uniform(1, 4), r.uniform(1, 13), r.coin() ? r.uniform(1, 70) : r.uniform(70, 600), 0, 0, 3, 3, 0, 0,
            1, 1, 0, 0, 0, 0};
    g.sh = g.sw = (int)r.uniform(1, 2);
    g.pt = (int)r.uniform(0, 2), g.pl = (int)r.uniform(0, 2), g.pb = (int)r.uniform(0, 2), g.pr = (int)r.uniform(0, 2);
    if (g.H + g.pt + g.pb < 3 || g.W + g.pl + g.pr < 3) continue;
    g.OH = (g.H + g.pt + g.pb - 3) / g.sh + 1, g.OW = (g.W + g.pl + g.pr - 3) / g.sw + 1;
    test_depthwise(t, r, g);
  }
  for (int it = 0; it < 300; ++it)
    if (random_geo(r, g, 5, true, r.coin())) test_pool(t, r, g, true);
  for (int it = 0; it < 300; ++it)
    if (random_geo(r, g, 5, false, r.coin())) test_pool(t, r, g, false);
  test_pools(t, r);
  test_im2col_all(t, r);
  for (int64_t n = 0; n <= 100; ++n) test_vector(t, r, n);
  for (int64_t n : {1000, 1023, 4099}) test_vector(t, r, n);
  test_winograd_all(t, ti, r);
  const double ops = t->fma_peak(0.01);
  if (!(ops > 0)) report("fma_peak", t->isa, "returned no work", 0, (float)ops, 1);
  std::printf("%-7s %s\n", t->isa, g_failures == before ? "ok" : "FAILED");
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20240601ull;
  int ti = 0;
  for (const KernelTable* t : usable_tables()) {
    test_table(t, seed, ti);
    for (int m : {2, 4})
      std::printf("  winograd F(%dx%d,3x3) %s: max |err| / output RMS %.2e, max |err| / sum|terms| %.2e (C >= 16: %.2e)\n",
                  m, m, t->isa, g_wino_stats[m == 4][ti].max_rel_rms, g_wino_stats[m == 4][ti].max_rel_mag,
                  g_wino_stats[m == 4][ti].max_rel_mag16);
    ++ti;
  }
  std::printf("%d checks, %d failures (seed %llu)\n", g_checks, g_failures, (unsigned long long)seed);
  return g_failures ? 1 : 0;
}
