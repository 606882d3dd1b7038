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
  /** Names of the features present, in a fixed order (the strings `cpu().features` reports). */
  std::vector<std::string> names() const;
};

/** Detected once, on first use. */
const CpuFeatures& cpu_features();

}  // namespace studio
