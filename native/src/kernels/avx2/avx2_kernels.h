// Internal declarations of the AVX2 kernels (namespace studio::avx2).
#pragma once
#include "../kernels.h"

namespace studio {
namespace avx2 {

// 6 x 16 register tile: 12 ymm accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers.
constexpr int kMR = 6;

size_t packed_a_size(int64_t M, int64_t K);
void pack_a(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out);
void sgemm(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
           bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep);
// Skinny kernel's column limit: 8 columns x 1 ymm accumulator + the A vector + a broadcast
// stay within the 16 ymm registers; from 9 columns on the 6 x 16 tile is at least as fast.
constexpr int kSmallNMax = 8;
void sgemm_small_n(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                   bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c, const Epilogue& ep);
/** sgemm with the B strategy forced (packed panels vs. read in place); for the benchmark. */
void sgemm_b_mode(bool direct_b, const float* packed_a, int64_t K, int64_t m0, int64_t m1, const float* B,
                  int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep);

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
void conv_direct(const Im2colGeom& g, const float* x, const float* packed_w, int64_t m0, int64_t m1, int64_t oy0,
                 int64_t oy1, float* y, const Epilogue& ep);

}  // namespace avx2
}  // namespace studio
