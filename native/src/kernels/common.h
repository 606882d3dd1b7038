// Small portable helpers shared by the per-ISA kernel sources.
//
// Everything here lives in an anonymous namespace on purpose: each ISA folder is compiled with its
// own flags (-mavx2, -mavx512f, ...). An ordinary `inline` function would be emitted once per
// translation unit and the linker would keep an arbitrary copy -- possibly one compiled with
// AVX-512 -- for the scalar library too. Internal linkage gives every TU its own copy instead.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#if defined(_WIN32)
#include <malloc.h>
#endif

#include "kernels.h"

#if defined(__GNUC__) || defined(__clang__)
#define STUDIO_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define STUDIO_ALWAYS_INLINE __forceinline
#endif
// Register tiles only stay in registers when their loops are fully unrolled; GCC does not do
// that by itself at -O2 (it kept the accumulators in memory), hence the explicit pragma.
#if defined(__GNUC__) || defined(__clang__)
#define STUDIO_UNROLL _Pragma("GCC unroll 16")
#else
#define STUDIO_UNROLL
#endif

// Software prefetch into all cache levels (a hint: never faults, may be dropped).
#if defined(__GNUC__) || defined(__clang__)
#define STUDIO_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define STUDIO_PREFETCH(p) ((void)(p))
#endif

namespace studio {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
/** floor(a / b) for b > 0 and any sign of a. */
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/**
 * For one kernel tap at input offset `off` (= tap*dilation - pad), the output indices o in
 * [lo, hi) whose input index o*stride + off falls inside [0, size). Lets the inner loops run
 * without bounds checks: the padding is handled once per tap, not once per element.
 */
inline void valid_range(int64_t off, int64_t stride, int64_t size, int64_t out_size, int64_t* lo, int64_t* hi) {
  int64_t l = off >= 0 ? 0 : ceil_div(-off, stride);
  int64_t h = floor_div(size - 1 - off, stride) + 1;
  l = std::min(std::max<int64_t>(l, 0), out_size);
  h = std::min(std::max<int64_t>(h, l), out_size);
  *lo = l;
  *hi = h;
}

/**
 * An average pool's reciprocal divisors, 1 / (rows(oy) * cols(ox)) = inv_rows[oy] * inv_cols[ox]:
 * the window clipped to the padded extent [-pad_begin, size + pad_end) when padding counts (ONNX's
 * count_include_pad), to the image otherwise. inv_cols is filled up to `cols_padded` (whole
 * vectors), the columns past OW with 1s.
 */
inline void avg_divisors(int64_t H, int64_t W, int64_t OH, int64_t OW, int kh, int kw, int sh, int sw, int pt, int pl,
                         int pb, int pr, bool include_pad, int64_t cols_padded, float* inv_rows, float* inv_cols) {
  auto count = [&](int64_t o, int s, int p0, int k, int64_t size, int p1) {
    int64_t b = o * s - p0, e = std::min<int64_t>(b + k, size + p1);
    if (!include_pad) b = std::max<int64_t>(b, 0), e = std::min<int64_t>(e, size);
    return float(std::max<int64_t>(e - b, 0));
  };
  for (int64_t ox = 0; ox < cols_padded; ++ox) inv_cols[ox] = ox < OW ? 1.f / count(ox, sw, pl, kw, W, pr) : 1.f;
  for (int64_t oy = 0; oy < OH; ++oy) inv_rows[oy] = 1.f / count(oy, sh, pt, kh, H, pb);
}

/** A growable, 64-byte aligned float buffer; used as a thread_local workspace (no shared state). */
struct AlignedBuffer {
  float* data = nullptr;
  size_t cap = 0;
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { release(); }
  void release() {
#if defined(_WIN32)
    _aligned_free(data);
#else
    std::free(data);
#endif
    data = nullptr;
    cap = 0;
  }
  float* get(size_t n) {
    if (n > cap) {
      release();
      size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
#if defined(_WIN32)
      data = static_cast<float*>(_aligned_malloc(bytes, 64));
#else
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
#endif
      if (!data) throw std::bad_alloc();
      cap = n;
    }
    return data;
  }
};

inline float apply_act(float v, Activation act, float lo, float hi) {
  if (act == Activation::Relu) return v > 0.f ? v : 0.f;
  if (act == Activation::Clip) return std::min(std::max(v, lo), hi);
  return v;
}

/**
 * Where row k of an im2col column matrix reads (k = (c*kh + i)*kw + j): channel c's plane, the
 * tap's row and column offsets (dy, dx: output (oy, ox) reads input (oy*sh + dy, ox*sw + dx)),
 * and the output columns [lo, hi) whose tap column lies inside the row. One definition for the
 * scalar and SIMD im2col so that their padding can never disagree.
 */
struct Im2colTap {
  const float* plane;
  int64_t dy, dx, lo, hi;
};
inline Im2colTap im2col_tap(const Im2colGeom& g, const float* x, int64_t k) {
  const int64_t taps = int64_t(g.kh) * g.kw;
  const int64_t c = k / taps, i = (k / g.kw) % g.kh, j = k % g.kw;
  Im2colTap t;
  t.plane = x + c * g.H * g.W;
  t.dy = i * g.dh - g.pad_top;
  t.dx = j * g.dw - g.pad_left;
  t.lo = t.dx >= 0 ? 0 : ceil_div(-t.dx, g.sw);
  t.hi = t.dx >= g.W ? 0 : (g.W - 1 - t.dx) / g.sw + 1;
  return t;
}

}  // namespace
}  // namespace studio
