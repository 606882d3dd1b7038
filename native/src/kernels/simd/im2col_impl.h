// im2col (see Im2colGeom in ../kernels.h) over a vector-traits type V, instantiated in each ISA's
// im2col.cc. One column-matrix row is, per output row, a run of taps from one input row:
// row[ox * sw] for the output columns ox whose tap lies inside the image, zeros for the others.
// Each run is written W outputs at a time, the padding folded into the load mask (a masked-off
// lane reads nothing and gives 0, so one store covers zeros and data):
//  - stride 1: one load per vector;
//  - stride 2 (stems, strided 1x1 shortcuts): two loads and an even-lane permute per vector;
//  - other strides: a scalar gather (strides 3-4 are rare in CNNs).
// The scalar code it replaces (one element per iteration through a baseline-compiled loop) took
// ResNet-50's stem expansion (147 rows x 12544 columns, stride 2) about as long as a third of
// its GEMM.
#pragma once
#include <algorithm>

#include "../common.h"

namespace studio {
namespace {

template <class V>
struct SimdIm2col {
  using R = typename V::R;
  using M = typename V::M;
  static constexpr int W = V::W;

  /** d[ox - ox0] = row[ox * S] for ox in [a, z), 0 for the rest of [ox0, ox1) (S = 1 or 2). */
  template <int S>
  static STUDIO_ALWAYS_INLINE void run(float* d, const float* row, int64_t ox0, int64_t ox1, int64_t a, int64_t z) {
    for (int64_t o = ox0; o < ox1; o += W, d += W) {
      const int64_t n = std::min<int64_t>(W, ox1 - o);
      R v;
      if (o >= a && o + W <= z) {  // every lane inside the image
        if constexpr (S == 1) v = V::load(row + o);
        else v = V::even(V::load(row + 2 * o), V::load_m(row + 2 * o + W, V::first(W - 1)));
      } else if constexpr (S == 1) {
        v = V::load_m(row + o, V::range(a - o, z - o));
      } else {  // lanes [a - o, z - o) are elements [2(a - o), 2(z - o) - 1) of the two loads
        const int64_t e0 = 2 * (a - o), e1 = 2 * (z - o) - 1;
        v = V::even(V::load_m(row + 2 * o, V::range(e0, e1)), V::load_m(row + 2 * o + W, V::range(e0 - W, e1 - W)));
      }
      if (n == W) V::store(d, v);
      else V::store_m(d, V::first(n), v);
    }
  }

  // Whole output rows (the common case: tiles are mostly whole rows) of one k row share their
  // masks: computed once per k row for rows up to kMaxChunks vectors wide. Per row then one
  // masked load and store per vector (two loads and a permute at stride 2): at 7x7 this is what
  // makes the vector code faster than a scalar loop over 7 floats (mask arithmetic per row cost
  // more than the copy).
  static constexpr int kMaxChunks = 8;
  struct RowMasks {
    M ld0[kMaxChunks], ld1[kMaxChunks];  // load masks (ld1: the second load at stride 2)
    M st_last{};                         // the last vector's store mask
    int chunks = 0;
  };
  template <int S>
  static void masks(RowMasks& rm, int64_t OW, int64_t a, int64_t z) {
    rm.chunks = static_cast<int>(ceil_div(OW, W));
    for (int q = 0; q < rm.chunks; ++q) {
      const int64_t o = int64_t(q) * W;
      if constexpr (S == 1) {
        rm.ld0[q] = V::range(a - o, z - o);
      } else {
        const int64_t e0 = 2 * (a - o), e1 = 2 * (z - o) - 1;
        rm.ld0[q] = V::range(e0, e1), rm.ld1[q] = V::range(e0 - W, e1 - W);
      }
    }
    rm.st_last = V::first(OW - int64_t(rm.chunks - 1) * W);
  }
  template <int S>
  static STUDIO_ALWAYS_INLINE void run_masked(float* d, const float* row, const RowMasks& rm) {
    for (int q = 0; q < rm.chunks; ++q) {
      const int64_t o = int64_t(q) * W;
      R v;
      if constexpr (S == 1) v = V::load_m(row + o, rm.ld0[q]);
      else v = V::even(V::load_m(row + 2 * o, rm.ld0[q]), V::load_m(row + 2 * o + W, rm.ld1[q]));
      if (q + 1 < rm.chunks) V::store(d + o, v);
      else V::store_m(d + o, rm.st_last, v);
    }
  }

  static void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
                     int64_t ld) {
    const int64_t w = j1 - j0, H = g.H, IW = g.W, OW = g.OW, sw = g.sw;
    const int64_t oy_first = j0 / OW, ox_first = j0 % OW;
    for (int64_t k = k0; k < k1; ++k) {
      const Im2colTap tap = im2col_tap(g, x, k);
      const float* xc = tap.plane;
      const int64_t dy = tap.dy, dx = tap.dx, lo = tap.lo, hi = tap.hi;
      float* d = col + (k - k0) * ld;
      // Whole rows' masks (when they are few vectors and the stride is vectorized).
      RowMasks rm;
      const int64_t fa = std::min(lo, OW), fz = std::max(fa, std::min(hi, OW));
      const bool use_rm = OW <= kMaxChunks * W && (sw == 1 || sw == 2) && fa < fz;
      if (use_rm) {
        if (sw == 1) masks<1>(rm, OW, fa, fz);
        else masks<2>(rm, OW, fa, fz);
      }
      int64_t oy = oy_first, ox0 = ox_first;
      for (int64_t left = w; left > 0; ++oy, ox0 = 0) {
        const int64_t ox1 = std::min(OW, ox0 + left), n = ox1 - ox0;
        const int64_t iy = oy * g.sh + dy;
        const int64_t a = std::max(ox0, std::min(lo, ox1)), z = std::max(a, std::min(hi, ox1));
        if (iy < 0 || iy >= H || a == z) {
          std::fill(d, d + n, 0.f);
        } else {
          const float* row = xc + iy * IW + dx;
          if (use_rm && n == OW) {
            if (sw == 1) run_masked<1>(d, row, rm);
            else run_masked<2>(d, row, rm);
          } else if (sw == 1) {
            run<1>(d, row, ox0, ox1, a, z);
          } else if (sw == 2) {
            run<2>(d, row, ox0, ox1, a, z);
          } else {
            for (int64_t ox = ox0; ox < ox1; ++ox) d[ox - ox0] = ox >= a && ox < z ? row[ox * sw] : 0.f;
          }
        }
        d += n;
        left -= n;
      }
    }
  }
};

}  // namespace
}  // namespace studio
