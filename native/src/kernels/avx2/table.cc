// The AVX2 kernel table (AVX2 + FMA; the dispatcher checks these features and OS
// support for the ymm state before handing it out).
#include "../simd/vector_impl.h"
#include "avx2_kernels.h"
#include "simd256.h"

namespace studio {
namespace avx2 {
namespace {
using Vec = SimdVector<V256>;
}  // namespace

void relu(const float* x, float* y, int64_t n) { Vec::relu(x, y, n); }
void clip(const float* x, float* y, int64_t n, float lo, float hi) { Vec::clip(x, y, n, lo, hi); }
void add(const float* a, const float* b, float* y, int64_t n) { Vec::add(a, b, y, n); }
void mul(const float* a, const float* b, float* y, int64_t n) { Vec::mul(a, b, y, n); }
void affine(const float* x, float* y, int64_t n, float scale, float shift) { Vec::affine(x, y, n, scale, shift); }
double fma_peak(double seconds) { return Vec::fma_peak(seconds); }
void triad(float* a, const float* b, const float* c, float s, int64_t n, int reps) { Vec::triad(a, b, c, s, n, reps); }

}  // namespace avx2

const KernelTable* kernels_avx2() {
  static const KernelTable table = {
      "avx2",
      avx2::kMR,
      avx2::packed_a_size,
      avx2::pack_a,
      avx2::sgemm,
      avx2::depthwise_conv2d,
      avx2::maxpool2d,
      avx2::avgpool2d,
      avx2::relu,
      avx2::clip,
      avx2::add,
      avx2::mul,
      avx2::affine,
      avx2::fma_peak,
      avx2::triad,
      avx2::kSmallNMax,
      avx2::sgemm_small_n,
      avx2::winograd_input,
      avx2::winograd_output,
      avx2::im2col,
      avx2::conv_direct,
  };
  return &table;
}

}  // namespace studio
