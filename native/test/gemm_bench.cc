// Single-core GFLOP/s of the packed SGEMM per ISA, against that ISA's fma_peak on one core.
//   native/test/build.sh --bench --out /tmp/k && /tmp/k/gemm_bench [seconds-per-shape]
// Shapes: the pointwise (1x1) convolution at batch 8 (M=64, K=152, N=8*14*14) and ResNet-style
// convolutions as GEMMs (M = out channels, K = in channels * kh * kw, N = batch * OH * OW).
// Pin it to one core (taskset -c 1) for stable numbers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_util.h"

using namespace studio_test;
using studio::Epilogue;

namespace {

struct Shape {
  const char* name;
  int64_t M, K, N;
};

const Shape kShapes[] = {
    {"pointwise b8 (64x152 * 152x1568)", 64, 152, 1568},
    {"res2 1x1 64->64 56x56", 64, 64, 3136},
    {"res2 1x1 64->256 56x56", 256, 64, 3136},
    {"res2 1x1 256->64 56x56", 64, 256, 3136},
    {"res2 3x3 64 im2col 56x56", 64, 576, 3136},
    {"res3 3x3 128 im2col 28x28", 128, 1152, 784},
    {"res4 1x1 1024->256 14x14", 256, 1024, 196},
    {"res4 3x3 256 im2col 14x14", 256, 2304, 196},
    {"res5 1x1 512->2048 7x7 b4", 2048, 512, 196},
    {"pow2 row stride (N=1024)", 256, 512, 1024},
    {"pow2 row stride (N=4096), M=64", 64, 256, 4096},
};

/** Best-of GFLOP/s of fn over about `seconds`. */
template <class F>
double time_gflops(double flops, double seconds, F fn) {
  fn();  // warm the caches and the thread-local workspace
  double best = 1e30;
  const auto start = std::chrono::steady_clock::now();
  int reps = 0;
  do {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, dt);
    ++reps;
  } while (reps < 3 || std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
  return flops / best * 1e-9;
}

struct DwShape {
  const char* name;
  int64_t C, H, W;
  int k, s;
};
// MobileNetV2 / Xception-style depthwise layers (pad k/2), batch 1.
const DwShape kDw[] = {
    {"dw 3x3 s1 C=144 56x56", 144, 56, 56, 3, 1}, {"dw 3x3 s2 C=96 112x112", 96, 112, 112, 3, 2},
    {"dw 3x3 s1 C=384 14x14", 384, 14, 14, 3, 1}, {"dw 3x3 s1 C=960 7x7", 960, 7, 7, 3, 1},
    {"dw 5x5 s1 C=240 14x14", 240, 14, 14, 5, 1}, {"maxpool 3x3 s2 C=64 112x112", 64, 112, 112, 3, 2},
};

void bench_window(const KernelTable* t, double seconds, Rng& rng) {
  std::printf("  %-34s %9s %9s\n", "depthwise / pool (batch 1)", "GFLOP/s", "us");
  for (const DwShape& d : kDw) {
    const int p = d.k / 2;
    const int64_t OH = (d.H + 2 * p - d.k) / d.s + 1, OW = (d.W + 2 * p - d.k) / d.s + 1;
    Buf x(d.C * d.H * d.W), w(d.C * d.k * d.k), y(d.C * OH * OW), bias(d.C);
    rng.fill(x.p, x.n), rng.fill(w.p, w.n), rng.fill(bias.p, bias.n);
    Epilogue ep;
    ep.bias = bias.p;
    ep.act = studio::Activation::Clip, ep.clip_min = 0, ep.clip_max = 6;
    const bool pool = std::string(d.name).rfind("maxpool", 0) == 0;
    const double flops = 2.0 * d.C * OH * OW * d.k * d.k;
    const double g = time_gflops(flops, seconds, [&] {
      if (pool) t->maxpool2d(x.p, 0, d.C, d.H, d.W, d.k, d.k, d.s, d.s, 1, 1, p, p, OH, OW, y.p);
      else t->depthwise_conv2d(x.p, 0, d.C, d.H, d.W, w.p, d.k, d.k, d.s, d.s, 1, 1, p, p, OH, OW, y.p, ep);
    });
    std::printf("  %-34s %9.1f %9.1f\n", d.name, g, flops / g * 1e-3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  Rng rng(7);
  for (const KernelTable* t : usable_tables()) {
    const auto t0 = std::chrono::steady_clock::now();
    const double ops = t->fma_peak(1.0);
    const double peak = ops / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e-9;
    std::printf("\n[%s] fma_peak (1 core): %.1f GFLOP/s\n", t->isa, peak);
    const GemmModeFn mode = gemm_mode_fn(t);
    std::printf("  %-34s %9s %7s", "sgemm M x K * K x N, +bias, relu", "GFLOP/s", "%peak");
    if (mode) std::printf(" %9s %7s %9s %7s", "B packed", "%peak", "B inplace", "%peak");
    std::printf("\n");
    for (const Shape& s : kShapes) {
      Buf A(s.M * s.K), B(s.K * s.N), C(s.M * s.N), bias(s.M);
      rng.fill(A.p, A.n), rng.fill(B.p, B.n), rng.fill(bias.p, bias.n);
      std::vector<float> pa(t->packed_a_size(s.M, s.K));
      t->pack_a(A.p, s.K, false, s.M, s.K, pa.data());
      Epilogue ep;
      ep.bias = bias.p;
      ep.act = studio::Activation::Relu;
      const double flops = 2.0 * s.M * s.K * s.N;
      const double g = time_gflops(flops, seconds, [&] {
        t->sgemm(pa.data(), s.M, s.K, 0, s.M, B.p, s.N, false, 0, s.N, C.p, s.N, ep);
      });
      std::printf("  %-34s %9.1f %6.1f%%", s.name, g, 100 * g / peak);
      for (int direct = 0; mode && direct < 2; ++direct) {
        const double gm = time_gflops(flops, seconds, [&] {
          mode(direct == 1, pa.data(), s.K, 0, s.M, B.p, s.N, false, 0, s.N, C.p, s.N, ep);
        });
        std::printf(" %9.1f %6.1f%%", gm, 100 * gm / peak);
      }
      std::printf("\n");
    }
    bench_window(t, seconds, rng);
  }
  return 0;
}
