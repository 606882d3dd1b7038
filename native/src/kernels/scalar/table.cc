// The portable kernel table: runs on any 64-bit CPU (x64 baseline SSE2, arm64, ...).
#include "scalar_kernels.h"

namespace studio {

const KernelTable* kernels_scalar() {
  static const KernelTable table = {
      "scalar",
      scalar::kMR,
      scalar::packed_a_size,
      scalar::pack_a,
      scalar::sgemm,
      scalar::depthwise_conv2d,
      scalar::maxpool2d,
      scalar::avgpool2d,
      scalar::relu,
      scalar::clip,
      scalar::add,
      scalar::mul,
      scalar::affine,
      scalar::fma_peak,
      scalar::triad,
      scalar::kSmallNMax,
      scalar::sgemm_small_n,
      scalar::winograd_input,
      scalar::winograd_output,
      scalar::im2col,
      nullptr,
  };
  return &table;
}

}  // namespace studio
