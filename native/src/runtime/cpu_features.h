// What the CPU can run, as far as both the processor and the operating system agree: an ISA whose
// registers the OS does not save on a context switch (XCR0) is treated as absent.
#pragma once
#include <string>
#include <vector>

namespace studio {

struct CpuFeatures {
  bool sse2 = false;
  bool avx = false;  // CPU has it and the OS saves YMM state
  bool fma = false;
  bool avx2 = false;
  bool avx512f = false;  // CPU has it and the OS saves ZMM/opmask state
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool neon = false;
  /** cpuid vendor string ("AuthenticAMD", "GenuineIntel", ...; "" off x86). */
  std::string vendor;
  /** Display family and model (base + extended fields, as the vendors' manuals combine them). */
  int family = 0, model = 0;
  /** Names of the features present, in a fixed order (the strings `cpu().features` reports). */
  std::vector<std::string> names() const;
};

/** Detected once, on first use. */
const CpuFeatures& cpu_features();

/**
 * How the GEMM kernels are tuned on this CPU, one of
 *   "avx512-full-rate"  two 512-bit FMA pipes (Zen 5 desktop/server, Xeon with 2 FMA units)
 *   "avx512-half-rate"  512-bit FMAs at the 256-bit rate (Zen 4 runs them as two halves)
 *   "avx2", "scalar"    no usable AVX-512
 * Decided once: STUDIO_NATIVE_TUNING (full-rate | half-rate) when set, else AMD family 19h
 * (Zen 4, known half rate), else a ~2 ms calibration comparing zmm and ymm FMA throughput.
 * Describes the CPU, not the ISA path a session runs (STUDIO_NATIVE_ISA=avx2 still reads
 * "avx512-..." here on an AVX-512 machine; dispatch.h's gemm_tuning(isa) says what runs).
 */
const char* cpu_tuning();

/** zmm / ymm FMA FLOP-rate ratio from the calibration (about 2 full rate, 1 half rate); 0 if not run. */
double zmm_ymm_fma_ratio();

}  // namespace studio
