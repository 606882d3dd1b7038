// The contract between operators (native/src/ops) and kernels (native/src/kernels/<isa>/):
// one KernelTable per ISA, filled by kernels_scalar(), kernels_avx2(), kernels_avx512().
// Kernels are single-threaded; operators split work across the thread pool and call a kernel
// on each part. All tensors are float32; all sizes are element counts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace studio {

enum class Activation : int { None = 0, Relu = 1, Clip = 2 };

/** Applied to every output element, in this order: + bias[row], + residual, activation. */
struct Epilogue {
  const float* bias = nullptr;      // one value per output row (per output channel); nullable
  const float* residual = nullptr;  // same layout as the output (leading dimension ldr); nullable
  int64_t ldr = 0;
  Activation act = Activation::None;
  float clip_min = 0.f;
  float clip_max = 0.f;
};

struct KernelTable {
  const char* isa;  // "scalar", "avx2", "avx512"

  // ---- SGEMM: C[M,N] = A[M,K] * B[K,N], then the epilogue. A is packed once (weights) ----
  /** Rows of A handled by one micro-kernel call; sub-blocks of packed A start at multiples of mr. */
  int mr;
  /** Floats needed for packed A (M x K). */
  size_t (*packed_a_size)(int64_t M, int64_t K);
  /** Packs A (row-major with leading dimension lda; transposed when trans_a) into `out`. */
  void (*pack_a)(const float* A, int64_t lda, bool trans_a, int64_t M, int64_t K, float* out);
  /**
   * Rows [m0, m1) and columns [n0, n1) of C = packedA * B (+ epilogue). m0 is a multiple of mr.
   * B is row-major K x N with leading dimension ldb (B[k][n] at B[k*ldb + n]); when trans_b it is
   * N x K (B[k][n] at B[n*ldb + k]). C[m][n] at C[m*ldc + n]. Packing of B panels happens inside,
   * in a thread-local workspace. The epilogue's residual is indexed like C with ldr.
   * Column ranges of at most small_n_max go to sgemm_small_n (A streamed once; the rounding differs).
   */
  void (*sgemm)(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B, int64_t ldb,
                bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep);

  // ---- Depthwise 2-D convolution (one filter per channel, depth multiplier 1) ----
  /**
   * Channels [c0, c1) of one image: x channel c at x + c*H*W, y channel c at y + c*OH*OW,
   * residual (if any) laid out like y, weights w[c*kh*kw + i*kw + j], bias[c] via ep.bias[c].
   */
  void (*depthwise_conv2d)(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, const float* w, int kh, int kw,
                           int sh, int sw, int dh, int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y,
                           const Epilogue& ep);

  // ---- Pooling, channels [c0, c1) of one image, NCHW planes as above ----
  void (*maxpool2d)(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int dh,
                    int dw, int pad_top, int pad_left, int64_t OH, int64_t OW, float* y);
  /** Divisor: the whole window when count_include_pad (padding counted, as ONNX defines it, clipped
   *  to the padded extent [pad_top, H + pad_bottom)), else only the in-bounds elements. */
  void (*avgpool2d)(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int kh, int kw, int sh, int sw,
                    int pad_top, int pad_left, int pad_bottom, int pad_right, bool count_include_pad, int64_t OH,
                    int64_t OW, float* y);

  // ---- Vector loops over n contiguous elements ----
  void (*relu)(const float* x, float* y, int64_t n);
  void (*clip)(const float* x, float* y, int64_t n, float lo, float hi);
  void (*add)(const float* a, const float* b, float* y, int64_t n);
  void (*mul)(const float* a, const float* b, float* y, int64_t n);
  /** y = x * scale + shift (one channel plane). */
  void (*affine)(const float* x, float* y, int64_t n, float scale, float shift);

  // ---- Roofline probes (single thread; the caller runs one per pool thread) ----
  /** Runs independent FMA chains for about `seconds`; returns the floating-point operations done. */
  double (*fma_peak)(double seconds);
  /** a[i] = b[i] + s * c[i] over n elements, `reps` times; returns nothing (the caller times it). */
  void (*triad)(float* a, const float* b, const float* c, float s, int64_t n, int reps);

  // ---- Skinny SGEMM / GEMV: few columns of B (fully connected layers at small batch) ----
  /** Widest column range sgemm_small_n handles in one pass over A (wider ranges: one pass per group). */
  int small_n_max;
  /**
   * Like sgemm over the same packed A, for few columns: A is streamed once per group of
   * small_n_max columns, with every column's accumulators in registers (no B packing, no
   * zero-padded tiles). When trans_c, C[m][n] is at C[n*ldc + m] (and the residual at
   * residual[n*ldr + m]): a weight GEMM Y^T = W * X^T then writes Y itself, no transpose.
   */
  void (*sgemm_small_n)(const float* packed_a, int64_t M, int64_t K, int64_t m0, int64_t m1, const float* B,
                        int64_t ldb, bool trans_b, int64_t n0, int64_t n1, float* C, int64_t ldc, bool trans_c,
                        const Epilogue& ep);
};

const KernelTable* kernels_scalar();
#if defined(STUDIO_HAVE_X86_KERNELS)
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512();
#endif

}  // namespace studio
