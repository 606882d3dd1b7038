// Conv geometry shared by the three convolution paths (conv.cc, conv_im2col.cc).
#pragma once
#include "ops/op.h"
#include "runtime/aligned.h"

namespace studio {

struct ConvGeom {
  int64_t N, C, H, W;  // input (a 1-D convolution is H = 1)
  int64_t M, OH, OW;   // output channels and size
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t group, Cg, Mg;  // channels and filters per group
};

/**
 * Sets g.OH and g.OW from the kernel, strides, dilations and pads (ONNX's floor rule), or fails
 * when the dilated kernel is larger than the padded input. Shared by every op that reads a Conv's
 * attributes (Conv, the fused DepthwisePointwise).
 */
template <class Geom>
void conv_output_plane(const BuildCtx& ctx, Geom& g, const Shape& x_shape) {
  const int64_t eh = (g.kh - 1) * g.dh + 1, ew = (g.kw - 1) * g.dw + 1;
  if (g.H + g.pt + g.pb < eh || g.W + g.pl + g.pr < ew)
    ctx.fail("kernel " + std::to_string(g.kh) + "x" + std::to_string(g.kw) + " (dilated) is larger than the padded input " +
             shape_str(x_shape));
  g.OH = (g.H + g.pt + g.pb - eh) / g.sh + 1;
  g.OW = (g.W + g.pl + g.pr - ew) / g.sw + 1;
}

/** Weights of every group packed once (KernelTable::pack_a), group g's rows at offsets[g]. */
struct PackedGroups {
  AlignedFloats data;
  std::vector<size_t> offsets;
  int64_t rows = 0, depth = 0;  // per group: Mg x K
  void pack(const KernelTable& k, const float* w, int64_t groups, int64_t rows, int64_t depth);
  const float* group(int64_t g) const { return data.data() + offsets[g]; }
};

/**
 * How a set of `units` independent GEMMs (rows x cols each) is cut into items for `threads`
 * threads: row blocks (multiples of mr) and column blocks (multiples of 16), so that the item
 * count is a multiple of the thread count where the sizes allow (no thread idles at the end).
 * Columns are split first: threads sharing columns would each pack the same B panel.
 */
struct GemmSplit {
  int64_t row_blocks = 1, col_blocks = 1;
  int64_t rows = 0, cols = 0, mr = 1;
  void choose(int64_t units, int64_t rows, int64_t cols, int mr, int threads, int64_t min_cols);
  int64_t items(int64_t units) const { return units * row_blocks * col_blocks; }
  /** Row range of row block i (starts at multiples of mr). */
  void row_range(int64_t i, int64_t* m0, int64_t* m1) const;
  void col_range(int64_t j, int64_t* n0, int64_t* n1) const;
};

/** Epilogue fields shared by every call of one conv: bias pointer and activation. */
struct ConvEpilogue {
  Activation act = Activation::None;
  float lo = 0.f, hi = 0.f;
  Epilogue make(const float* bias, const float* residual, int64_t ldr) const {
    Epilogue ep;
    ep.bias = bias;
    ep.residual = residual;
    ep.ldr = ldr;
    ep.act = act;
    ep.clip_min = lo;
    ep.clip_max = hi;
    return ep;
  }
};

/** pointwise: a 1x1, stride 1, unpadded convolution (its column matrix is the image itself). */
OpPtr make_conv_im2col(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, bool pointwise = false);

/**
 * Winograd F(m x m, 3x3) for 3x3, stride 1, dilation 1, group 1 convolutions: the output tile
 * size m (2 or 4) worth using for this shape, or 0 for im2col-gemm. STUDIO_NATIVE_WINOGRAD=
 * off|f2|f4|auto (default auto) overrides the shape rule (conv_winograd.cc, native/DESIGN.md).
 */
int choose_winograd(const BuildCtx& ctx, const ConvGeom& g);
OpPtr make_conv_winograd(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep, int m);

}  // namespace studio
