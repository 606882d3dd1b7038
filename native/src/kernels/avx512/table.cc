// The AVX-512 kernel table (F/BW/DQ/VL + FMA; the dispatcher checks these features and OS
// support for the zmm state before handing it out).
#include "../simd/vector_impl.h"
#include "avx512_kernels.h"
#include "simd512.h"

namespace studio {
namespace avx512 {
namespace {
using Vec = SimdVector<V512>;
}  // namespace

void relu(const float* x, float* y, int64_t n) { Vec::relu(x, y, n); }
void clip(const float* x, float* y, int64_t n, float lo, float hi) { Vec::clip(x, y, n, lo, hi); }
void add(const float* a, const float* b, float* y, int64_t n) { Vec::add(a, b, y, n); }
void mul(const float* a, const float* b, float* y, int64_t n) { Vec::mul(a, b, y, n); }
void affine(const float* x, float* y, int64_t n, float scale, float shift) { Vec::affine(x, y, n, scale, shift); }
double fma_peak(double seconds) { return Vec::fma_peak(seconds); }
void triad(float* a, const float* b, const float* c, float s, int64_t n, int reps) { Vec::triad(a, b, c, s, n, reps); }

}  // namespace avx512

const KernelTable* kernels_avx512() {
  static const KernelTable table = {
      "avx512",
      avx512::kMR,
      avx512::packed_a_size,
      avx512::pack_a,
      avx512::sgemm,
      avx512::depthwise_conv2d,
      avx512::maxpool2d,
      avx512::avgpool2d,
      avx512::relu,
      avx512::clip,
      avx512::add,
      avx512::mul,
      avx512::affine,
      avx512::fma_peak,
      avx512::triad,
      avx512::kSmallNMax,
      avx512::sgemm_small_n,
      avx512::winograd_input,
      avx512::winograd_output,
      avx512::im2col,
      avx512::conv_direct,
  };
  return &table;
}

}  // namespace studio
