// Conv: validation, path selection and two of the three paths.
//   conv1x1-gemm  1x1, stride 1, no padding: the input image already is the GEMM's B matrix
//                 (C x H*W), so Y = W * X with no copy; one GEMM per image and group. At batch
//                 > 1 a wide layer over small images instead runs as conv_im2col.cc's tiles
//                 spanning images (same kernel name), see make_conv.
//   depthwise     group == C == M: the kernel table's direct depthwise loop.
//   winograd-f2/f4  3x3 stride 1 where it pays (conv_winograd.cc).
//   im2col-gemm   everything else (conv_im2col.cc).
// Bias, residual and activation are fused into the GEMM/depthwise epilogue.
#include "ops/conv.h"

#include <numeric>

namespace studio {

void PackedGroups::pack(const KernelTable& k, const float* w, int64_t groups, int64_t r, int64_t d) {
  rows = r;
  depth = d;
  const size_t per = k.packed_a_size(r, d);
  // Keep each group's panel 64-byte aligned.
  const size_t stride = (per + 15) / 16 * 16;
  data.reset(stride * static_cast<size_t>(groups));
  offsets.resize(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) {
    offsets[g] = stride * static_cast<size_t>(g);
    k.pack_a(w + g * r * d, d, false, r, d, data.data() + offsets[g]);
  }
}

void GemmSplit::choose(int64_t units, int64_t r, int64_t c, int m, int threads, int64_t min_cols) {
  rows = r;
  cols = c;
  mr = m;
  row_blocks = col_blocks = 1;
  if (threads <= 1 || units <= 0) return;
  const int64_t want = threads / std::gcd<int64_t>(units, threads);  // splits per unit
  if (want <= 1) return;
  const int64_t max_cols = std::max<int64_t>(1, c / std::max<int64_t>(min_cols, 16));
  const int64_t max_rows = ceil_div(r, m);
  col_blocks = std::min(want, max_cols);
  row_blocks = std::min(ceil_div(want, col_blocks), max_rows);
}

void GemmSplit::row_range(int64_t i, int64_t* m0, int64_t* m1) const {
  const int64_t panels = ceil_div(rows, mr);
  *m0 = std::min(rows, panels * i / row_blocks * mr);
  *m1 = std::min(rows, panels * (i + 1) / row_blocks * mr);
}

void GemmSplit::col_range(int64_t j, int64_t* n0, int64_t* n1) const {
  const int64_t vecs = ceil_div(cols, 16);
  *n0 = std::min(cols, vecs * j / col_blocks * 16);
  *n1 = std::min(cols, vecs * (j + 1) / col_blocks * 16);
}

namespace {

class Conv1x1 final : public Op {
 public:
  Conv1x1(const BuildCtx& ctx, const ConvGeom& g, const ConvEpilogue& ep) : g_(g), ep_(ep) {
    w_.pack(ctx.k, ctx.input(1).constant, g.group, g.Mg, g.Cg);
    threads_ = threads_for(g.N * g.M * g.Cg * g.H * g.W, ctx.threads);
    split_.choose(g.N * g.group, g.Mg, g.H * g.W, ctx.k.mr, threads_, 64);
  }
  std::string kernel() const override { return "conv1x1-gemm"; }
  size_t owned_bytes() const override { return w_.data.bytes(); }
  bool reads_input_at_run(size_t i) const override { return i != 1; }
  // The GEMM kernels read each residual element before writing the same output element.
  int inplace_input() const override { return 3; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    run_range(ctx, in, out, 0, g_.N, split_);
  }
  int64_t batch_images() const override { return g_.N; }
  void run_images(const RunCtx& ctx, const float* const* in, float* const* out, int64_t i0, int64_t i1) override {
    if (i0 == 0 && i1 == g_.N) return run_range(ctx, in, out, 0, g_.N, split_);
    GemmSplit split;  // fewer units than the whole batch: the threads may need to split each GEMM
    split.choose((i1 - i0) * g_.group, g_.Mg, g_.H * g_.W, ctx.k.mr, threads_, 64);
    run_range(ctx, in, out, i0, i1, split);
  }

 private:
  void run_range(const RunCtx& ctx, const float* const* in, float* const* out, int64_t i0, int64_t i1,
                 const GemmSplit& sp) {
    const int64_t hw = g_.H * g_.W;
    const int64_t per_unit = sp.row_blocks * sp.col_blocks;
    const float* x = in[0];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    const int64_t unit0 = i0 * g_.group;
    ctx.pool.parallel_for_upto(sp.items((i1 - i0) * g_.group), threads_, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        const int64_t unit = unit0 + it / per_unit, rest = it % per_unit;
        const int64_t n = unit / g_.group, grp = unit % g_.group;
        int64_t m0, m1, n0, n1;
        sp.row_range(rest / sp.col_blocks, &m0, &m1);
        sp.col_range(rest % sp.col_blocks, &n0, &n1);
        const int64_t yoff = (n * g_.M + grp * g_.Mg) * hw;
        const Epilogue ep = ep_.make(bias ? bias + grp * g_.Mg : nullptr, res ? res + yoff : nullptr, hw);
        ctx.k.sgemm(w_.group(grp), g_.Mg, g_.Cg, m0, m1, x + (n * g_.C + grp * g_.Cg) * hw, hw, false, n0, n1,
                    y + yoff, hw, ep);
      }
    });
  }

  ConvGeom g_;
  ConvEpilogue ep_;
  int threads_ = 1;  // worth using for this size (threads_for)
  PackedGroups w_;
  GemmSplit split_;
};

class Depthwise final : public Op {
 public:
  Depthwise(const ConvGeom& g, const ConvEpilogue& ep) : g_(g), ep_(ep) {}
  std::string kernel() const override { return "depthwise"; }
  int inplace_input() const override { return 3; }  // residual read at the index it is written

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override { run_images(ctx, in, out, 0, g_.N); }
  int64_t batch_images() const override { return g_.N; }
  void run_images(const RunCtx& ctx, const float* const* in, float* const* out, int64_t i0, int64_t i1) override {
    const int64_t C = g_.C, in_plane = g_.H * g_.W, out_plane = g_.OH * g_.OW;
    const float* x = in[0];
    const float* w = in[1];
    const float* bias = in[2];
    const float* res = in[3];
    float* y = out[0];
    ctx.pool.parallel_for_grain((i1 - i0) * C, grain_for(out_plane * g_.kh * g_.kw), [&](int64_t b, int64_t e) {
      b += i0 * C;
      e += i0 * C;
      while (b < e) {  // a chunk may span images: one kernel call per image
        const int64_t n = b / C, c0 = b % C, c1 = std::min(C, c0 + (e - b));
        const Epilogue ep = ep_.make(bias, res ? res + n * C * out_plane : nullptr, 0);
        ctx.k.depthwise_conv2d(x + n * C * in_plane, c0, c1, g_.H, g_.W, in_plane, w, int(g_.kh), int(g_.kw), int(g_.sh),
                               int(g_.sw), int(g_.dh), int(g_.dw), int(g_.pt), int(g_.pl), g_.OH, g_.OW,
                               y + n * C * out_plane, ep);
        b += c1 - c0;
      }
    });
  }

 private:
  ConvGeom g_;
  ConvEpilogue ep_;
};

/** Reads spatial attributes for a 1-D (rank 3) or 2-D (rank 4) convolution as 2-D values. */
std::vector<int64_t> spatial(const BuildCtx& ctx, const char* name, size_t dims, int64_t def, bool pads) {
  const size_t n = pads ? 2 * dims : dims;
  std::vector<int64_t> v = ctx.attr_ints(name, std::vector<int64_t>(n, def));
  if (v.size() != n)
    ctx.fail(std::string("attribute '") + name + "' must have " + std::to_string(n) + " values, got " +
             std::to_string(v.size()));
  for (int64_t x : v)
    if (pads ? (x < 0 || x > (1 << 20)) : (x < 1 || x > (1 << 20))) ctx.fail(std::string("attribute '") + name + "' has an invalid value " + std::to_string(x));
  if (dims == 2) return v;
  return pads ? std::vector<int64_t>{0, v[0], 0, v[1]} : std::vector<int64_t>{def, v[0]};
}

}  // namespace

OpPtr make_conv(const BuildCtx& ctx) {
  ctx.arity(2, 4);
  const TensorInfo& X = ctx.input(0);
  const TensorInfo& Wt = ctx.constant(1, "weight");
  const size_t rank = X.shape.size();
  if (rank != 3 && rank != 4) ctx.fail("input must be NCHW (rank 4) or NCW (rank 3), got " + shape_str(X.shape));
  if (Wt.shape.size() != rank) ctx.fail("weight shape " + shape_str(Wt.shape) + " does not match input rank");
  const size_t dims = rank - 2;
  ConvGeom g{};
  g.N = X.shape[0];
  g.C = X.shape[1];
  g.H = dims == 2 ? X.shape[2] : 1;
  g.W = X.shape[rank - 1];
  g.M = Wt.shape[0];
  g.kh = dims == 2 ? Wt.shape[2] : 1;
  g.kw = Wt.shape[rank - 1];
  g.group = ctx.attr_int("group", 1);
  if (g.group < 1 || g.C % g.group || g.M % g.group)
    ctx.fail("group " + std::to_string(g.group) + " must divide both input channels " + std::to_string(g.C) +
             " and output channels " + std::to_string(g.M));
  g.Cg = g.C / g.group;
  g.Mg = g.M / g.group;
  if (Wt.shape[1] != g.Cg)
    ctx.fail("weight shape " + shape_str(Wt.shape) + " needs " + std::to_string(g.Cg) +
             " input channels per group (C=" + std::to_string(g.C) + ", group=" + std::to_string(g.group) + ")");
  if (ctx.has("kernel")) {
    std::vector<int64_t> k = spatial(ctx, "kernel", dims, 1, false);
    if (k[0] != g.kh || k[1] != g.kw) ctx.fail("attribute 'kernel' does not match weight shape " + shape_str(Wt.shape));
  }
  const auto s = spatial(ctx, "strides", dims, 1, false);
  const auto d = spatial(ctx, "dilations", dims, 1, false);
  const auto p = spatial(ctx, "pads", dims, 0, true);
  g.sh = s[0], g.sw = s[1], g.dh = d[0], g.dw = d[1];
  g.pt = p[0], g.pl = p[1], g.pb = p[2], g.pr = p[3];
  conv_output_plane(ctx, g, X.shape);
  ctx.expect_output_shape(dims == 2 ? Shape{g.N, g.M, g.OH, g.OW} : Shape{g.N, g.M, g.OW});
  if (const TensorInfo* B = ctx.optional(2))
    if (B->size != g.M) ctx.fail("bias '" + B->name + "' has shape " + shape_str(B->shape) + ", expected [" + std::to_string(g.M) + "]");
  if (const TensorInfo* R = ctx.optional(3))
    if (R->shape != ctx.output().shape)
      ctx.fail("residual '" + R->name + "' has shape " + shape_str(R->shape) + ", expected the output's " +
               shape_str(ctx.output().shape));
  ConvEpilogue ep;
  ctx.activation(&ep.act, &ep.lo, &ep.hi);

  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.pb == 0 && g.pr == 0) {
    const int64_t hw = g.H * g.W;
    // One GEMM per image wastes the lanes of the last, partial 16-column vector of each image
    // (7x7: 49 columns cost 64, 14x14: 196 cost 208). Tiles spanning images (conv_im2col.cc) avoid
    // that at the price of copying the input in (K floats per column) and the output out (M, and
    // M more for a residual), each float copied costing about 6 multiply-adds (fitted on Zen 4:
    // 160 -> 960 at 7x7, batch 8: 1.39 -> 1.14 ms merged; 96 -> 576 at 14x14: 1.68 -> 1.72 ms).
    const double waste = static_cast<double>(round_up(hw, 16) - hw) / static_cast<double>(hw);
    const double copy = 6.0 * static_cast<double>(g.Cg + g.Mg * (ctx.optional(3) ? 2 : 1)) /
                        (static_cast<double>(g.Mg) * static_cast<double>(g.Cg));
    if (g.N > 1 && waste > copy) return make_conv_im2col(ctx, g, ep, true);
    return std::make_unique<Conv1x1>(ctx, g, ep);
  }
  if (g.group == g.C && g.group == g.M) return std::make_unique<Depthwise>(g, ep);
  if (const int m = choose_winograd(ctx, g)) return make_conv_winograd(ctx, g, ep, m);
  return make_conv_im2col(ctx, g, ep);
}

}  // namespace studio
