// Depthwise convolution and pooling with V512: 3x3 depthwise convolutions of stride 1 or 2 take
// ../simd/depthwise_impl.h (straight from the input rows); the pools take ../simd/pool_impl.h
// (column stride 1 or 2, which is every CNN's); the rest ../simd/window_impl.h (any stride up to
// 4), then the scalar kernels (strides above 4, more than 64 taps: not seen in CNNs).
#include "../scalar/scalar_kernels.h"
#include "../simd/depthwise_impl.h"
#include "../simd/pool_impl.h"
#include "../simd/window_impl.h"
#include "avx512_kernels.h"
#include "simd512.h"

namespace studio {
namespace avx512 {
namespace {
using Win = SimdWindow<V512>;
using Pool = SimdPool<V512>;
using Dw = SimdDepthwise<V512>;
thread_local AlignedBuffer tl_ws;  // phase planes/rows (+ one output plane), reused per channel
}  // namespace

void depthwise_conv2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t xcs, const float* w, int kh, int kw,
                      int sh, int sw, int dh, int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y,
                      const Epilogue& ep) {
  if (Dw::supported(kh, kw, sh, sw, dh, dw, pad_left, OW))  // 3x3, stride 1 or 2: no padded copy
    return Dw::depthwise(x, c0, c1, H, W, xcs, w, sh, pad_top, pad_left, OH, OW, y, ep);
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::depthwise_conv2d(x, c0, c1, H, W, xcs, w, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y, ep);
  Win::depthwise(tl_ws, x, c0, c1, H, W, xcs, w, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y, ep);
}

void maxpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh,
               int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y) {
  if (Pool::is_global(H, W, kh, kw, dh, dw, pad_top, pad_left, OH, OW) ||
      (Pool::supported(W, OW, kh, kw, sw, dw, pad_left) && !Pool::window_faster(kh, kw, sh, sw, dh, dw)))
    return Pool::maxpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y);
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::maxpool2d(x, c0, c1, H, W, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y);
  Win::maxpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, dh, dw, pad_top, pad_left, OH, OW, y);
}

void avgpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw,
               int pad_top, int pad_left, int pad_bottom, int pad_right, bool count_include_pad, int64_t OH,
               int64_t OW, float* y) {
  if ((Pool::is_global(H, W, kh, kw, 1, 1, pad_top, pad_left, OH, OW) && pad_bottom == 0 && pad_right == 0) ||
      Pool::supported(W, OW, kh, kw, sw, 1, pad_left))
    return Pool::avgpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right,
                         count_include_pad, OH, OW, y);
  if (!Win::supported(kh, kw, sh, sw))
    return scalar::avgpool2d(x, c0, c1, H, W, kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right,
                             count_include_pad, OH, OW, y);
  Win::avgpool(tl_ws, x, c0, c1, H, W, kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right, count_include_pad,
               OH, OW, y);
}

}  // namespace avx512
}  // namespace studio
