// Portable depthwise convolution and pooling. Padding is resolved once per kernel tap
// (valid_range), so the inner loop over output columns is branch-free and, for stride 1,
// auto-vectorizable. Output rows are accumulated in place in y.
#include <algorithm>
#include <limits>

#include "../common.h"
#include "scalar_kernels.h"

namespace studio {
namespace scalar {
namespace {
thread_local AlignedBuffer tl_div;

/** Whether the window is the whole unpadded plane with one output (GlobalAveragePool/MaxPool). */
bool is_global(int64_t H, int64_t W, int kh, int kw, int dh, int dw, int pad_top, int pad_left, int64_t OH,
               int64_t OW) {
  return OH == 1 && OW == 1 && kh == H && kw == W && pad_top == 0 && pad_left == 0 && (dh == 1 || kh == 1) &&
         (dw == 1 || kw == 1);
}

/** y[c] = max or mean of plane c (S floats) for c in [c0, c1). */
template <bool kMax>
void global_pool(const float* x, int64_t c0, int64_t c1, int64_t S, float* y) {
  for (int64_t c = c0; c < c1; ++c) {
    const float* v = x + c * S;
    // Eight independent accumulators: the compiler vectorizes them without -ffast-math.
    float acc[8];
    for (float& a : acc) a = kMax ? -std::numeric_limits<float>::infinity() : 0.f;
    int64_t i = 0;
    for (; i + 8 <= S; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] = kMax ? std::max(acc[j], v[i + j]) : acc[j] + v[i + j];
    for (int j = 0; i < S; ++i, ++j) acc[j] = kMax ? std::max(acc[j], v[i]) : acc[j] + v[i];
    float r = acc[0];
    for (int j = 1; j < 8; ++j) r = kMax ? std::max(r, acc[j]) : r + acc[j];
    y[c] = kMax ? r : r / static_cast<float>(S);
  }
}
}  // namespace

void depthwise_conv2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t xcs, const float* w, int kh, int kw,
                      int sh, int sw, int dh, int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y,
                      const Epilogue& ep) {
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * xcs;
    const float* wc = w + c * kh * kw;
    float* yc = y + c * OH * OW;
    const float* rc = ep.residual ? ep.residual + c * OH * OW : nullptr;
    const float bias = ep.bias ? ep.bias[c] : 0.f;
    for (int64_t oy = 0; oy < OH; ++oy) {
      float* yr = yc + oy * OW;
      // Residual folded into the initial value: read before the row is overwritten (alias-safe).
      if (rc) {
        const float* rr = rc + oy * OW;
        for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = bias + rr[ox];
      } else {
        for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = bias;
      }
      for (int i = 0; i < kh; ++i) {
        const int64_t iy = oy * sh - pad_top + static_cast<int64_t>(i) * dh;
        if (iy < 0 || iy >= H) continue;
        const float* xr = xc + iy * W;
        for (int j = 0; j < kw; ++j) {
          const int64_t off = static_cast<int64_t>(j) * dw - pad_left;
          int64_t lo, hi;
          valid_range(off, sw, W, OW, &lo, &hi);
          const float wv = wc[i * kw + j];
          if (sw == 1) {
            const float* xs = xr + off;
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xs[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xr[ox * sw + off];
          }
        }
      }
      if (ep.act != Activation::None)
        for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = apply_act(yr[ox], ep.act, ep.clip_min, ep.clip_max);
    }
  }
}

void maxpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh,
               int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y) {
  if (is_global(H, W, kh, kw, dh, dw, pad_top, pad_left, OH, OW)) return global_pool<true>(x, c0, c1, H * W, y);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    float* yc = y + c * OH * OW;
    for (int64_t oy = 0; oy < OH; ++oy) {
      float* yr = yc + oy * OW;
      for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = ninf;
      for (int i = 0; i < kh; ++i) {
        const int64_t iy = oy * sh - pad_top + static_cast<int64_t>(i) * dh;
        if (iy < 0 || iy >= H) continue;
        const float* xr = xc + iy * W;
        for (int j = 0; j < kw; ++j) {
          const int64_t off = static_cast<int64_t>(j) * dw - pad_left;
          int64_t lo, hi;
          valid_range(off, sw, W, OW, &lo, &hi);
          for (int64_t ox = lo; ox < hi; ++ox) yr[ox] = std::max(yr[ox], xr[ox * sw + off]);
        }
      }
    }
  }
}

void avgpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw,
               int pad_top, int pad_left, int pad_bottom, int pad_right, bool count_include_pad, int64_t OH,
               int64_t OW, float* y) {
  if (is_global(H, W, kh, kw, 1, 1, pad_top, pad_left, OH, OW) && pad_bottom == 0 && pad_right == 0)
    return global_pool<false>(x, c0, c1, H * W, y);
  // Per-column window widths (the divisor is rows(oy) * cols(ox)), computed once per call.
  float* wcount = tl_div.get(static_cast<size_t>(std::max<int64_t>(OW, 1)));
  for (int64_t ox = 0; ox < OW; ++ox) {
    int64_t ws = ox * sw - pad_left, we = std::min<int64_t>(ws + kw, W + pad_right);
    if (!count_include_pad) ws = std::max<int64_t>(ws, 0), we = std::min<int64_t>(we, W);
    wcount[ox] = static_cast<float>(std::max<int64_t>(we - ws, 0));
  }
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    float* yc = y + c * OH * OW;
    for (int64_t oy = 0; oy < OH; ++oy) {
      float* yr = yc + oy * OW;
      int64_t hs = oy * sh - pad_top, he = std::min<int64_t>(hs + kh, H + pad_bottom);
      const int64_t rows_pad = he - hs;
      hs = std::max<int64_t>(hs, 0);
      he = std::min<int64_t>(he, H);
      const float rows = static_cast<float>(count_include_pad ? rows_pad : std::max<int64_t>(he - hs, 0));
      for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = 0.f;
      for (int64_t iy = hs; iy < he; ++iy) {
        const float* xr = xc + iy * W;
        for (int j = 0; j < kw; ++j) {
          const int64_t off = static_cast<int64_t>(j) - pad_left;
          int64_t lo, hi;
          valid_range(off, sw, W, OW, &lo, &hi);
          for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += xr[ox * sw + off];
        }
      }
      for (int64_t ox = 0; ox < OW; ++ox) yr[ox] /= rows * wcount[ox];
    }
  }
}

}  // namespace scalar
}  // namespace studio
