// Helpers shared by the standalone kernel test and benchmark: which kernel tables this CPU can
// run, a seeded RNG, and aligned buffers.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#if defined(STUDIO_HAVE_X86_KERNELS)
#include "kernels/avx2/avx2_kernels.h"
#include "kernels/avx512/avx512_kernels.h"
#endif

namespace studio_test {

using studio::KernelTable;

/** Tables the CPU can run, best last; STUDIO_NATIVE_ISA=name restricts to one. */
inline std::vector<const KernelTable*> usable_tables() {
  std::vector<const KernelTable*> out;
  out.push_back(studio::kernels_scalar());
#if defined(STUDIO_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(studio::kernels_avx2());
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
    out.push_back(studio::kernels_avx512());
#endif
  const char* only = std::getenv("STUDIO_NATIVE_ISA");
  if (only && *only) {
    std::vector<const KernelTable*> f;
    for (auto* t : out)
      if (std::string(t->isa) == only) f.push_back(t);
    if (f.empty()) {
      std::fprintf(stderr, "STUDIO_NATIVE_ISA=%s is not usable on this CPU\n", only);
      std::exit(2);
    }
    return f;
  }
  return out;
}

/** The ISA's sgemm with its B strategy forced (packed panels or read in place); null for scalar. */
using GemmModeFn = void (*)(bool, const float*, int64_t, int64_t, int64_t, const float*, int64_t, bool, int64_t,
                            int64_t, float*, int64_t, const studio::Epilogue&);
inline GemmModeFn gemm_mode_fn(const KernelTable* t) {
#if defined(STUDIO_HAVE_X86_KERNELS)
  if (std::string(t->isa) == "avx2") return studio::avx2::sgemm_b_mode;
  if (std::string(t->isa) == "avx512") return studio::avx512::sgemm_b_mode;
#endif
  (void)t;
  return nullptr;
}

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); }  // [lo, hi]
  bool coin() { return uniform(0, 1) == 1; }
  float value() { return std::uniform_real_distribution<float>(-1.f, 1.f)(g); }
  void fill(float* p, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = value();
  }
};

/** A 64-byte aligned float array (kernels get unaligned views of it where the test wants that). */
struct Buf {
  float* p = nullptr;
  size_t n = 0;
  explicit Buf(size_t count) : n(count) {
    size_t bytes = ((count * sizeof(float) + 64 + 63) / 64) * 64;
    p = static_cast<float*>(std::aligned_alloc(64, bytes));
    std::memset(p, 0, bytes);
  }
  ~Buf() { std::free(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  float& operator[](size_t i) { return p[i]; }
};

}  // namespace studio_test
