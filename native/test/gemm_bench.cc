// Single-core GFLOP/s of the packed SGEMM per ISA, against that ISA's fma_peak on one core (best
// of 2 ms bursts, as the GEMM timings are best-of).
//   native/test/build.sh --bench --out /tmp/k && /tmp/k/gemm_bench [seconds-per-shape] [skinny]
// (`skinny`: only the triad and the skinny GEMM.)
// Shapes: the pointwise (1x1) convolution at batch 8 (M=64, K=152, N=8*14*14; the conv runs one
// GEMM per 14x14 image, N=196, the second row) and ResNet-style convolutions as GEMMs
// (M = out channels, K = in channels * kh * kw, N = batch * OH * OW).
// Then the skinny GEMM (fully connected layers at batch 1 and 8) in GB/s of weights streamed,
// beside the triad (its roofline). Pin to one core (taskset -c 1) for stable GEMM numbers; the
// skinny GEMM's all-threads column needs every core. STUDIO_NATIVE_ISA=avx512 runs one table;
// GEMM_BENCH_ONLY=text only the GEMM shapes whose name contains it (e.g. "N=16", "wino", "mnv2").
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "test_util.h"

using namespace studio_test;
using studio::Epilogue;

namespace {

struct Shape {
  const char* name;
  int64_t M, K, N;
  int na = 1;  // distinct A (and B, C) matrices run back to back: 16/36 = a Winograd tile block
};

const Shape kShapes[] = {
    {"pointwise b8 (64x152 * 152x1568)", 64, 152, 1568},
    {"pointwise per image (N=196)", 64, 152, 196},
    {"res2 1x1 64->64 56x56", 64, 64, 3136},
    {"res2 1x1 64->256 56x56", 256, 64, 3136},
    {"res2 1x1 256->64 56x56", 64, 256, 3136},
    {"res2 3x3 64 im2col 56x56", 64, 576, 3136},
    {"res3 3x3 128 im2col 28x28", 128, 1152, 784},
    {"res4 1x1 1024->256 14x14", 256, 1024, 196},
    {"res4 3x3 256 im2col 14x14", 256, 2304, 196},
    {"res5 1x1 512->2048 7x7 b4", 2048, 512, 196},
    {"res3 3x3 128 tile 112 (b1)", 128, 1152, 112},
    {"res4 3x3 256 im2col 14x14 tile 96", 256, 2304, 96},
    {"res5 3x3 512 im2col 7x7 (N=49)", 512, 4608, 49},
    {"res5 1x1 512->2048 7x7 (N=49)", 2048, 512, 49},
    {"res5 3x3 512 7x7 b8 (N=392)", 512, 4608, 392},
    {"xception 728x728 19x19", 728, 728, 361},
    {"pow2 row stride (N=1024)", 256, 512, 1024},
    {"pow2 row stride (N=4096), M=64", 64, 256, 4096},
    // Few columns, moderate K: Winograd GEMMs per tile block (one A per xi), 7x7 and 14x14
    // pointwise layers of MobileNetV2 at batch 1.
    {"wino F4 14x14 256 (N=16)", 256, 256, 16},
    {"wino F4 14x14 256 (N=16) x36", 256, 256, 16, 36},
    {"wino F2 7x7 512 (N=16) x16", 512, 512, 16, 16},
    {"wino F4 56x56 64 (N=48)", 64, 64, 48},
    {"wino F4 56x56 64 (N=48) x36", 64, 64, 48, 36},
    {"wino F4 28x28 128 (N=16) x36", 128, 128, 16, 36},
    {"wino F4 28x28 128 (N=32) x36", 128, 128, 32, 36},
    {"wino F4 28x28 128 (N=48) x36", 128, 128, 48, 36},
    {"mnv2 1x1 160->960 7x7 (N=49)", 960, 160, 49},
    {"mnv2 1x1 960->160 7x7 (N=49)", 160, 960, 49},
    {"mnv2 1x1 320->1280 7x7 (N=49)", 1280, 320, 49},
    {"mnv2 1x1 96->576 14x14 (N=196)", 576, 96, 196},
    {"mnv2 1x1 576->96 14x14 (N=196)", 96, 576, 196},
    {"mnv2 1x1 64->384 14x14 (N=196)", 384, 64, 196},
    {"mnv2 1x1 384->64 14x14 (N=196)", 64, 384, 196},
    {"mnv2 1x1 32->192 28x28 (N=784)", 192, 32, 784},
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
      else t->depthwise_conv2d(x.p, 0, d.C, d.H, d.W, d.H * d.W, w.p, d.k, d.k, d.s, d.s, 1, 1, p, p, OH, OW, y.p, ep);
    });
    std::printf("  %-34s %9.1f %9.1f\n", d.name, g, flops / g * 1e-3);
  }
}

// Fully connected layers at small batch as the weight GEMM runs them: Y^T = W * X^T with
// M = out features, K = in features, N = batch (B read transposed: X is N x K). Head-gap's FC and
// head-fc's flattened FC (400 MB of weights: memory-bound; the triad is its roofline).
struct SkinnyShape {
  const char* name;
  int64_t M, K, N;
};
const SkinnyShape kSkinny[] = {
    {"head-gap FC 2048->1000 b1", 1000, 2048, 1},  {"head-gap FC 2048->1000 b8", 1000, 2048, 8},
    {"head-fc FC 100352->1000 b1", 1000, 100352, 1}, {"head-fc FC 100352->1000 b8", 1000, 100352, 8},
};

/**
 * Packed weights allocated as WeightGemm (ops/gemm_core.cc) allocates them: advised onto
 * transparent huge pages before the first touch where Linux has them (4 KiB pages cost the
 * 400 MB head-fc stream a TLB miss per page).
 */
struct WeightBuf {
  float* p = nullptr;
  explicit WeightBuf(size_t n) {
    constexpr size_t kHuge = size_t(2) << 20;
    const size_t bytes = (n * sizeof(float) + kHuge - 1) / kHuge * kHuge;
    p = static_cast<float*>(std::aligned_alloc(kHuge, bytes));
    if (!p) std::abort();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  }
  ~WeightBuf() { std::free(p); }
  WeightBuf(const WeightBuf&) = delete;
  WeightBuf& operator=(const WeightBuf&) = delete;
};

/** Best-of seconds of fn over about `seconds`. */
template <class F>
double time_best(double seconds, F fn) {
  const double g = time_gflops(1.0, seconds, fn);  // flops / best * 1e-9
  return 1e-9 / g;
}

/** STREAM triad GB/s (3 arrays of 4 M floats: far beyond the caches) on `threads` threads. */
double triad_gbps(const KernelTable* t, int threads, double seconds) {
  const int64_t n = int64_t(1) << 22;
  std::vector<Buf*> bufs;
  for (int i = 0; i < 3 * threads; ++i) bufs.push_back(new Buf(n));
  const double dt = time_best(seconds, [&] {
    std::vector<std::thread> th;
    for (int i = 0; i < threads; ++i)
      th.emplace_back([&, i] { t->triad(bufs[3 * i]->p, bufs[3 * i + 1]->p, bufs[3 * i + 2]->p, 0.5f, n, 1); });
    for (auto& x : th) x.join();
  });
  for (Buf* b : bufs) delete b;
  return 3.0 * 4 * n * threads / dt * 1e-9;
}

/**
 * The skinny shapes through sgemm_small_n (1 thread, then M split in mr-multiples over `threads`
 * std::threads as the Gemm op does) and through the tile GEMM (1 thread). GB/s counts the bytes
 * of packed A (the weights), which every path must read once.
 */
void bench_skinny(const KernelTable* t, double seconds, Rng& rng, int threads) {
  std::printf("  %-28s %9s %9s %9s | %11s %11s | %13s %11s\n", "skinny Y^T = W*X^T (+bias)", "ms", "GB/s",
              "GFLOP/s", "ms (all T)", "GB/s", "ms (tile)", "GB/s");
  const GemmModeFn mode = gemm_mode_fn(t);
  for (const SkinnyShape& s : kSkinny) {
    const size_t pa_n = t->packed_a_size(s.M, s.K);
    WeightBuf pa(pa_n);
    {
      Buf A(s.M * s.K);
      rng.fill(A.p, A.n);
      t->pack_a(A.p, s.K, false, s.M, s.K, pa.p);
    }
    Buf X(s.N * s.K), Y(s.M * s.N), bias(s.M);
    rng.fill(X.p, X.n), rng.fill(bias.p, bias.n);
    Epilogue ep;
    ep.bias = bias.p;
    const double bytes = double(pa_n) * 4, flops = 2.0 * s.M * s.K * s.N;
    const double sec = seconds * (s.K > 10000 ? 2 : 1);
    const double d1 = time_best(sec, [&] {
      t->sgemm_small_n(pa.p, s.M, s.K, 0, s.M, X.p, s.K, true, 0, s.N, Y.p, s.M, true, ep);
    });
    // All threads: persistent threads (spawning per call would cost more than head-gap's GEMM),
    // released together per repetition by a generation counter (yielding spins: the machine may
    // be shared); best-of over the reps.
    const int64_t panels = (s.M + t->mr - 1) / t->mr;
    const int reps = s.K > 10000 ? 20 : 400;
    std::atomic<int> go{0}, done{0};
    std::vector<std::thread> th;
    for (int i = 1; i < threads; ++i)
      th.emplace_back([&, i] {
        const int64_t m0 = panels * i / threads * t->mr, m1 = std::min(s.M, panels * (i + 1) / threads * t->mr);
        for (int r = 1; r <= reps; ++r) {
          while (go.load(std::memory_order_acquire) < r) std::this_thread::yield();
          t->sgemm_small_n(pa.p, s.M, s.K, m0, m1, X.p, s.K, true, 0, s.N, Y.p, s.M, true, ep);
          done.fetch_add(1, std::memory_order_acq_rel);
        }
      });
    double dp = 1e30;
    const int64_t m1 = std::min(s.M, panels / threads * t->mr);
    for (int r = 1; r <= reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      go.store(r, std::memory_order_release);
      t->sgemm_small_n(pa.p, s.M, s.K, 0, m1, X.p, s.K, true, 0, s.N, Y.p, s.M, true, ep);
      while (done.load(std::memory_order_acquire) < r * (threads - 1)) std::this_thread::yield();
      dp = std::min(dp, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    for (auto& x : th) x.join();
    double dt = 0;
    if (mode)
      dt = time_best(sec, [&] { mode(false, pa.p, s.K, 0, s.M, X.p, s.K, true, 0, s.N, Y.p, s.N, ep); });
    std::printf("  %-28s %9.3f %9.1f %9.1f | %11.3f %11.1f", s.name, d1 * 1e3, bytes / d1 * 1e-9, flops / d1 * 1e-9,
                dp * 1e3, bytes / dp * 1e-9);
    if (mode) std::printf(" | %13.3f %11.1f", dt * 1e3, bytes / dt * 1e-9);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  Rng rng(7);
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto tables = usable_tables();
  std::printf("triad (the skinny GEMM's roofline): %.1f GB/s on 1 thread, %.1f GB/s on %d\n",
              triad_gbps(tables.back(), 1, seconds), triad_gbps(tables.back(), threads, seconds), threads);
  const bool skinny_only = argc > 2 && std::string(argv[2]) == "skinny";
  for (const KernelTable* t : tables) {
    if (skinny_only) {
      std::printf("\n[%s]\n", t->isa);
      bench_skinny(t, seconds, rng, threads);
      continue;
    }
    // Best of 200 short bursts: a 1 s mean (what fma_peak(1.0) gives) loses whatever the other
    // processes of a shared machine take, while the GEMMs below are best-of too.
    double peak = 0;
    for (int i = 0; i < 200; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const double ops = t->fma_peak(0.002);
      peak = std::max(peak, ops / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e-9);
    }
    std::printf("\n[%s] fma_peak (1 core, best 2 ms burst): %.1f GFLOP/s\n", t->isa, peak);
    const GemmModeFn mode = gemm_mode_fn(t);
    std::printf("  %-34s %9s %7s", "sgemm M x K * K x N, +bias, relu", "GFLOP/s", "%peak");
    if (mode) std::printf(" %9s %7s %9s %7s", "B packed", "%peak", "B inplace", "%peak");
    std::printf("\n");
    // GEMM_BENCH_ONLY=substring: only the shapes whose name contains it, no depthwise/skinny tables.
    const char* only = std::getenv("GEMM_BENCH_ONLY");
    for (const Shape& s : kShapes) {
      if (only && !std::strstr(s.name, only)) continue;
      Buf A(s.M * s.K), B(s.K * s.N * s.na), C(s.M * s.N * s.na), bias(s.M);
      rng.fill(A.p, A.n), rng.fill(B.p, B.n), rng.fill(bias.p, bias.n);
      const size_t pas = t->packed_a_size(s.M, s.K);
      std::vector<float> pa(pas * s.na);
      for (int q = 0; q < s.na; ++q) t->pack_a(A.p, s.K, false, s.M, s.K, pa.data() + q * pas);
      Epilogue ep;
      ep.bias = bias.p;
      ep.act = studio::Activation::Relu;
      const double flops = 2.0 * s.M * s.K * s.N * s.na;
      const double g = time_gflops(flops, seconds, [&] {
        for (int q = 0; q < s.na; ++q)
          t->sgemm(pa.data() + q * pas, s.M, s.K, 0, s.M, B.p + q * s.K * s.N, s.N, false, 0, s.N,
                   C.p + q * s.M * s.N, s.N, ep);
      });
      std::printf("  %-34s %9.1f %6.1f%%", s.name, g, 100 * g / peak);
      for (int direct = 0; mode && s.na == 1 && direct < 2; ++direct) {
        const double gm = time_gflops(flops, seconds, [&] {
          mode(direct == 1, pa.data(), s.K, 0, s.M, B.p, s.N, false, 0, s.N, C.p, s.N, ep);
        });
        std::printf(" %9.1f %6.1f%%", gm, 100 * gm / peak);
      }
      std::printf("\n");
    }
    if (only) continue;
    bench_window(t, seconds, rng);
    bench_skinny(t, seconds, rng, threads);
  }
  return 0;
}
