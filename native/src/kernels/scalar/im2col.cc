// Portable im2col (see Im2colGeom): one element per iteration; the vector ISAs use
// ../simd/im2col_impl.h. Small images make this a loop over short rows (7 floats at 7x7), so the
// row walk has no divisions and short rows no library calls.
#include <algorithm>

#include "../common.h"
#include "scalar_kernels.h"

namespace studio {
namespace scalar {

void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
            int64_t ld) {
  const int64_t w = j1 - j0, H = g.H, IW = g.W, OW = g.OW, sw = g.sw;
  const int64_t oy_first = j0 / OW, ox_first = j0 % OW;
  for (int64_t k = k0; k < k1; ++k) {
    const Im2colTap tap = im2col_tap(g, x, k);
    const float* xc = tap.plane;
    const int64_t dy = tap.dy, dx = tap.dx, lo = tap.lo, hi = tap.hi;
    float* d = col + (k - k0) * ld;
    int64_t oy = oy_first, ox0 = ox_first;
    for (int64_t left = w; left > 0; ++oy, ox0 = 0) {
      const int64_t ox1 = std::min(OW, ox0 + left), n = ox1 - ox0;
      const int64_t iy = oy * g.sh + dy;
      if (iy < 0 || iy >= H) {
        for (int64_t t = 0; t < n; ++t) d[t] = 0.f;
      } else {
        const float* row = xc + iy * IW + dx;
        const int64_t a = std::max(ox0, std::min(lo, ox1)), z = std::max(a, std::min(hi, ox1));
        float* da = d - ox0;  // da[ox] is column ox of this output row
        for (int64_t ox = ox0; ox < a; ++ox) da[ox] = 0.f;
        for (int64_t ox = a; ox < z; ++ox) da[ox] = row[ox * sw];
        for (int64_t ox = z; ox < ox1; ++ox) da[ox] = 0.f;
      }
      d += n;
      left -= n;
    }
  }
}

}  // namespace scalar
}  // namespace studio
