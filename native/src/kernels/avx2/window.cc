// Depthwise convolution and pooling: ../simd/window_impl.h instantiated with V256. Strides
//  above 4 and more than 64 taps (not seen in CNNs) take the scalar kernels.
#include "../scalar/scalar_kernels.h"
#include "../simd/window_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {
namespace {
using Win = SimdWindow<V256>;
thread_local AlignedBuffer tl_ws;  // phase planes + one output plane, reused per channel
}  // namespace

void depthwise_conv2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, const float* w, int kh, int kw,
                      int sh, int sw, int dh, int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y,
                      const Epilogue& ep) {
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::depthwise_conv2d(x, c0, c1, H, W, w, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y, ep);
  Win::depthwise(tl_ws, x, c0, c1, H, W, w, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y, ep);
}

void maxpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh,
               int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y) {
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::maxpool2d(x, c0, c1, H, W, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y);
  Win::maxpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y);
}

void avgpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw,
               int pad_top, int pad_left, int pad_bottom, int pad_right, bool count_include_pad, int64_t OH,
               int64_t OW, float* y) {
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::avgpool2d(x, c0, c1, H, W, kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right,
                             count_include_pad, OH, OW, y);
  Win::avgpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right, count_include_pad,
               OH, OW, y);
}

}  // namespace avx2
}  // namespace studio
