#include "plan/desc.h"

#include <stdexcept>

namespace studio {

int64_t shape_size(const Shape& s, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) throw std::runtime_error(what + ": negative dimension in shape " + shape_str(s));
    if (d != 0 && n > (int64_t(1) << 40) / d)
      throw std::runtime_error(what + ": shape " + shape_str(s) + " is too large");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace studio
