// Internal declarations of the portable kernels (namespace studio::scalar). The AVX tables reuse
// a few of them for rare shapes (e.g. pooling with unusual strides) where a vector path would
// not pay off.
#pragma once
#include "../kernels.h"

namespace studio {
namespace scalar {

constexpr int kMR = 4;   // rows of A per micro-kernel
// 4 x 8 tile: 8 accumulators of 128 bits after auto-vectorization, which fits the 16 SSE2
// registers; GCC -O3 spilled and shuffled a 4 x 16 tile (6 vs 25 GFLOP/s on the pointwise GEMM).
constexpr int kNR = 8;  // columns of B per micro-kernel

size_t packed_a_size(int64_t M, int64_t K);
void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out);
void sgemm(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
           bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep);
// The skinny kernel's column limit: up to 8 columns the tile kernel (kNR = 8 wide) would not be
// faster, and 8 accumulator sets of kMR floats fill the 16 SSE2 registers.
constexpr int kSmallNMax = 8;
void sgemm_small_n(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                   bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c, const Epilogue& ep);

void depthwise_conv2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t xcs, const float* w, int kh, int kw,
                      int sh, int sw, int dh, int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y,
                      const Epilogue& ep);
void maxpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh,
               int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y);
void avgpool2d(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw,
               int pad_top, int pad_left, int pad_bottom, int pad_right, bool count_include_pad, int64_t OH,
               int64_t OW, float* y);

void relu(const float* x, float* y, int64_t n);
void clip(const float* x, float* y, int64_t n, float lo, float hi);
void add(const float* a, const float* b, float* y, int64_t n);
void mul(const float* a, const float* b, float* y, int64_t n);
void affine(const float* x, float* y, int64_t n, float scale, float shift);
double fma_peak(double seconds);
void triad(float* a, const float* b, const float* c, float s, int64_t n, int reps);

void winograd_input(const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0, int64_t t1, float* V,
                    int64_t ldv, int64_t ldt);
void winograd_output(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                     int64_t t0, int64_t t1, float* y, const Epilogue& ep);

void im2col(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
            int64_t ld);

}  // namespace scalar
}  // namespace studio
