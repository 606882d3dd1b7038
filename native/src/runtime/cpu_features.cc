// CPU feature detection: cpuid + xgetbv on x86-64, getauxval on Linux/Arm64 (NEON is mandatory
// on AArch64, so the check only guards exotic configurations).
#include "runtime/cpu_features.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define STUDIO_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
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
  cpuid(1, 0, r);
  const unsigned ecx1 = r[2], edx1 = r[3];
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

}  // namespace

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
