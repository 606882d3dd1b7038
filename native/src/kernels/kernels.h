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

/**
 * Geometry of a Winograd F(m x m, 3x3) convolution (stride 1, dilation 1) as its transforms see
 * it. Output tiles are numbered across the batch in row-major order: tile t is image
 * t / (TY*TX), tile row (t / TX) % TY, tile column t % TX; it covers output rows [m*ty, m*ty+m)
 * and columns [m*tx, m*tx+m) (clipped to OH x OW) and reads the alpha x alpha input patch whose
 * top-left is (m*ty - pad_top, m*tx - pad_left), alpha = m + 2 (zero outside the image).
 * The alpha^2 transformed matrices are indexed xi = i*alpha + j.
 */
struct WinogradGeom {
  int m = 4;                    // 2: F(2x2,3x3), alpha 4; 4: F(4x4,3x3), alpha 6
  int64_t C = 0, H = 0, W = 0;  // input channels and plane (images C*H*W floats apart)
  int64_t M = 0, OH = 0, OW = 0;  // output channels and plane (images M*OH*OW floats apart)
  int64_t pad_top = 0, pad_left = 0;
  int64_t TY = 0, TX = 0;  // tiles per output column and row: ceil(OH/m), ceil(OW/m)
};

/**
 * U[xi][o][c] = (G g G^T)[xi] for filters w [M][C][3][3], computed in double and rounded once
 * (alpha^2 * M * C floats). Plan-time only; one portable implementation (scalar/winograd.cc).
 */
void winograd_weights(int m, const float* w, int64_t M, int64_t C, float* U);

/**
 * Geometry of an im2col expansion (one image, one group): input planes C x H x W (channel c at
 * x + c*H*W), a kh x kw window with strides, dilations and top/left padding, output OH x OW.
 * Column-matrix row k = (c*kh + i)*kw + j holds tap (i, j) of channel c for every output pixel.
 */
struct Im2colGeom {
  int64_t C = 0, H = 0, W = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pad_top = 0, pad_left = 0;
  int64_t OH = 0, OW = 0;
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
   * Channels [c0, c1) of one image: x channel c at x + c*xcs (xcs >= H*W: H rows of W floats
   * each; a band of rows of a larger image passes that image's plane), y channel c at
   * y + c*OH*OW, residual (if any) laid out like y, weights w[c*kh*kw + i*kw + j], bias[c] via
   * ep.bias[c].
   */
  void (*depthwise_conv2d)(const float* x, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t xcs, const float* w, int kh, int kw,
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

  // ---- Winograd F(2x2,3x3) / F(4x4,3x3), see WinogradGeom (vectorized over tiles) ----
  /**
   * Input transform V = B^T d B of channels [c0, c1) for tiles [t0, t1) of image batch x:
   * V[xi*ldv + c*ldt + (t - t0)]. ldt >= t1 - t0; columns past t1 - t0 are not written.
   */
  void (*winograd_input)(const WinogradGeom& g, const float* x, int64_t c0, int64_t c1, int64_t t0, int64_t t1,
                         float* V, int64_t ldv, int64_t ldt);
  /**
   * Output transform Y = A^T Mt A of output channels [m0, m1) for tiles [t0, t1), read from
   * Mt[xi*ldm + o*ldt + (t - t0)], with the epilogue (bias[o], residual laid out like y: ldr is
   * ignored; it may alias y, each element is read before it is written) scattered into y (NCHW).
   */
  void (*winograd_output)(const WinogradGeom& g, const float* Mt, int64_t ldm, int64_t ldt, int64_t m0, int64_t m1,
                          int64_t t0, int64_t t1, float* y, const Epilogue& ep);

  // ---- im2col, see Im2colGeom ----
  /**
   * Rows [k0, k1) of the column matrix for output pixels [j0, j1) (pixel p = oy*OW + ox):
   * col[(k - k0)*ld + (p - j0)]; taps in the padding are 0. Columns past j1 - j0 are not written.
   */
  void (*im2col)(const Im2colGeom& g, const float* x, int64_t j0, int64_t j1, int64_t k0, int64_t k1, float* col,
                 int64_t ld);
  /**
   * Direct convolution of one image for few input channels (stems), column stride 1 or 2, any
   * row stride, dilations and padding: output rows [oy0, oy1) of channels [m0, m1) (m0 a
   * multiple of mr), y channel m at y + m*OH*OW; packed_w = pack_a of the M x K weights
   * (K = C*kh*kw, rows as im2col's). Epilogue as sgemm's with the residual laid out like y (ldr
   * ignored; it may alias y). Null where the ISA has none (scalar: the op uses im2col-gemm).
   */
  void (*conv_direct)(const Im2colGeom& g, const float* x, const float* packed_w, int64_t m0, int64_t m1, int64_t oy0,
                      int64_t oy1, float* y, const Epilogue& ep);
};

const KernelTable* kernels_scalar();
#if defined(STUDIO_HAVE_X86_KERNELS)
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512();
#endif

}  // namespace studio
