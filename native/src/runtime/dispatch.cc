#include "runtime/dispatch.h"

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "runtime/cpu_features.h"

namespace studio {
namespace {

/** Features each path needs (the flags its library is compiled with). */
std::vector<std::string> missing_features(const std::string& isa) {
  const CpuFeatures& f = cpu_features();
  std::vector<std::pair<bool, const char*>> need;
  if (isa == "avx2") need = {{f.avx, "avx"}, {f.avx2, "avx2"}, {f.fma, "fma"}};
  if (isa == "avx512")
    need = {{f.avx512f, "avx512f"}, {f.avx512bw, "avx512bw"}, {f.avx512dq, "avx512dq"},
            {f.avx512vl, "avx512vl"}, {f.fma, "fma"}};
  std::vector<std::string> out;
  for (const auto& [ok, name] : need)
    if (!ok) out.emplace_back(name);
  return out;
}

bool built_in(const std::string& isa) {
#if defined(STUDIO_HAVE_X86_KERNELS)
  return isa == "scalar" || isa == "avx2" || isa == "avx512";
#else
  return isa == "scalar";
#endif
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

std::vector<std::string> usable_isas() {
  std::vector<std::string> out;
  for (const char* isa : {"avx512", "avx2"})
    if (built_in(isa) && missing_features(isa).empty()) out.emplace_back(isa);
  out.emplace_back("scalar");
  return out;
}

std::string default_isa() {
  const std::string forced = env("STUDIO_NATIVE_ISA");
  if (!forced.empty() && built_in(forced) && missing_features(forced).empty()) return forced;
  return usable_isas().front();
}

const KernelTable* select_kernels(const std::string& requested) {
  std::string isa = requested;
  const char* source = "isa option";
  if (isa.empty()) {
    isa = env("STUDIO_NATIVE_ISA");
    source = "STUDIO_NATIVE_ISA";
  }
  if (isa.empty()) isa = usable_isas().front();
  if (isa != "scalar" && isa != "avx2" && isa != "avx512")
    throw std::runtime_error(std::string(source) + ": unknown ISA path '" + isa +
                             "' (expected scalar, avx2 or avx512)");
  if (!built_in(isa))
    throw std::runtime_error(std::string(source) + ": ISA path '" + isa +
                             "' is not built into this addon (x86-64 only); usable here: scalar");
  const std::vector<std::string> missing = missing_features(isa);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw std::runtime_error(std::string(source) + ": ISA path '" + isa +
                             "' cannot run on this CPU: missing " + list +
                             " (absent, or its register state not enabled by the OS)");
  }
#if defined(STUDIO_HAVE_X86_KERNELS)
  if (isa == "avx512") return kernels_avx512();
  if (isa == "avx2") return kernels_avx2();
#endif
  return kernels_scalar();
}

std::string gemm_tuning(const std::string& isa) { return isa == "avx512" ? cpu_tuning() : isa; }

int default_threads() {
  const std::string v = env("STUDIO_NATIVE_THREADS");
  if (!v.empty()) {
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (end && *end == '\0' && n > 0 && n <= 1024) return static_cast<int>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

}  // namespace studio
