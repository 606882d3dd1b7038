// CPU feature detection: cpuid + xgetbv on x86-64, getauxval on Linux/Arm64 (NEON is mandatory
// on AArch64, so the check only guards exotic configurations).
#include "runtime/cpu_features.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define STUDIO_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#include <immintrin.h>
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#endif

namespace studio {
namespace {

#if defined(STUDIO_X86)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

/** XCR0: which register states the OS saves. Only valid when cpuid reports OSXSAVE. */
unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  // Encoded as bytes so the baseline build needs no -mxsave.
  unsigned eax = 0, edx = 0;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned r[4] = {0, 0, 0, 0};
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 1) return f;
  char vendor[13] = {0};
  std::memcpy(vendor, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  f.vendor = vendor;
  cpuid(1, 0, r);
  const unsigned ecx1 = r[2], edx1 = r[3];
  // Display family/model: the extended fields count only for base family 15 (and model also 6).
  const unsigned base_family = (r[0] >> 8) & 0xF, base_model = (r[0] >> 4) & 0xF;
  f.family = static_cast<int>(base_family == 0xF ? base_family + ((r[0] >> 20) & 0xFF) : base_family);
  f.model = static_cast<int>((base_family == 0x6 || base_family == 0xF) ? (((r[0] >> 16) & 0xF) << 4) | base_model
                                                                        : base_model);
  f.sse2 = (edx1 >> 26) & 1;
  const bool osxsave = (ecx1 >> 27) & 1;
  const bool cpu_avx = (ecx1 >> 28) & 1;
  const bool cpu_fma = (ecx1 >> 12) & 1;
  unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  f.avx = cpu_avx && os_ymm;
  f.fma = cpu_fma && os_ymm;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    const unsigned ebx7 = r[1];
    f.avx2 = ((ebx7 >> 5) & 1) && os_ymm;
    const bool z = os_zmm;
    f.avx512f = ((ebx7 >> 16) & 1) && z;
    f.avx512dq = ((ebx7 >> 17) & 1) && z;
    f.avx512bw = ((ebx7 >> 30) & 1) && z;
    f.avx512vl = ((ebx7 >> 31) & 1) && z;
  }
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__aarch64__) || defined(_M_ARM64)
#if defined(__linux__)
  f.neon = (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
#else
  f.neon = true;  // AArch64 macOS/Windows: Advanced SIMD is architectural
#endif
#endif
  return f;
}
#endif


#if defined(STUDIO_X86) && (defined(__GNUC__) || defined(__clang__))
#define STUDIO_TARGET(t) __attribute__((target(t)))
#else
#define STUDIO_TARGET(t)
#endif

#if defined(STUDIO_X86)
// Throughput probes: 12 independent FMA chains (enough for 2 pipes x 4-5 cycles of latency),
// `iters` steps each; the seconds they took. Compiled for AVX-512 / AVX2 by function attribute
// only (this file is baseline x86-64) and called only when the CPU and OS support the ISA.
constexpr int kChains = 12;
STUDIO_TARGET("avx512f,fma") double time_zmm(int64_t iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * float(i));
  const __m512 m = _mm512_set1_ps(0.9999f), a = _mm512_set1_ps(1e-3f);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return dt;
}
STUDIO_TARGET("avx2,fma") double time_ymm(int64_t iters) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * float(i));
  const __m256 m = _mm256_set1_ps(0.9999f), a = _mm256_set1_ps(1e-3f);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m256 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return dt;
}

/** zmm/ymm FLOP-rate ratio: best of 7 interleaved ~0.1-0.2 ms runs each (a preempted run only loses). */
double measure_ratio() {
  constexpr int64_t kIters = 1 << 16;  // 12 x 65536 FMAs: ~0.1 ms at 2 per cycle and 4 GHz
  time_zmm(kIters), time_ymm(kIters);  // warm up (AVX-512 power licence, caches)
  double tz = 1e30, ty = 1e30;
  for (int r = 0; r < 7; ++r) {
    tz = std::min(tz, time_zmm(kIters));
    ty = std::min(ty, time_ymm(kIters));
  }
  return tz > 0 ? 2.0 * ty / tz : 0.0;  // (16 lanes / tz) / (8 lanes / ty)
}
#else
double measure_ratio() { return 0.0; }
#endif

struct Tuning {
  const char* name;
  double ratio;
};

Tuning decide_tuning() {
  const CpuFeatures& f = cpu_features();
  const bool avx512 = f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.fma;
  if (!avx512) return {f.avx2 && f.fma ? "avx2" : "scalar", 0.0};
  const char* forced = std::getenv("STUDIO_NATIVE_TUNING");
  if (forced && std::strcmp(forced, "full-rate") == 0) return {"avx512-full-rate", 0.0};
  if (forced && std::strcmp(forced, "half-rate") == 0) return {"avx512-half-rate", 0.0};
  // Zen 4 (AMD family 19h) is the half-rate part whose behaviour is known; no need to measure.
  if (f.vendor == "AuthenticAMD" && f.family == 0x19) return {"avx512-half-rate", 0.0};
  // Others (Zen 5 desktop/server full rate but some mobile Zen 5 half; Xeons with one or two
  // 512-bit FMA units): measure. Half rate gives ~1, full rate 1.6-2 (1.66 on a Zen 5 EPYC VM);
  // 1.35 splits them.
  const double ratio = measure_ratio();
  return {ratio >= 1.35 ? "avx512-full-rate" : "avx512-half-rate", ratio};
}

const Tuning& tuning() {
  static const Tuning t = decide_tuning();
  return t;
}

}  // namespace

const char* cpu_tuning() { return tuning().name; }
double zmm_ymm_fma_ratio() { return tuning().ratio; }

std::vector<std::string> CpuFeatures::names() const {
  std::vector<std::string> out;
  const std::pair<bool, const char*> all[] = {
      {sse2, "sse2"},         {avx, "avx"},           {fma, "fma"},           {avx2, "avx2"},
      {avx512f, "avx512f"},   {avx512bw, "avx512bw"}, {avx512dq, "avx512dq"}, {avx512vl, "avx512vl"},
      {neon, "neon"},
  };
  for (const auto& [present, name] : all)
    if (present) out.emplace_back(name);
  return out;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace studio
