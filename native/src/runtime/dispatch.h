// Picks the kernel table: the best ISA path the CPU supports, or the one forced by opts.isa /
// STUDIO_NATIVE_ISA (an error, naming the missing features, when the CPU cannot run it).
#pragma once
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace studio {

/** ISA paths compiled in and runnable here, best first (always ends with "scalar"). */
std::vector<std::string> usable_isas();

/** STUDIO_NATIVE_ISA when set and usable, else the best usable path. Never throws. */
std::string default_isa();

/**
 * The kernel table for `requested` ("" = STUDIO_NATIVE_ISA, else the best). Throws
 * std::runtime_error for an unknown name, a path not built into this addon, or one the CPU lacks.
 */
const KernelTable* select_kernels(const std::string& requested);

/**
 * The GEMM tuning an ISA path runs with here: cpu_tuning() ("avx512-full-rate" or
 * "avx512-half-rate") for avx512, else the path's name ("avx2", "scalar").
 */
std::string gemm_tuning(const std::string& isa);

/** Default thread count: STUDIO_NATIVE_THREADS when a positive integer, else the hardware's. */
int default_threads();

}  // namespace studio
