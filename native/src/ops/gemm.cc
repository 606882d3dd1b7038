// Gemm (Y = act(alpha * op(A) * op(B) + beta * C)) and MatMul (numpy semantics).
// Constant right-hand operands (the classifier heads) use WeightGemm: packed once, bias and
// activation fused. Anything else packs its left operand at run time into the workspace.
#include <vector>

#include "ops/gemm_core.h"

namespace studio {
namespace {

Shape bcast(const BuildCtx& ctx, const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t x = i + a.size() >= r ? a[i + a.size() - r] : 1;
    const int64_t y = i + b.size() >= r ? b[i + b.size() - r] : 1;
    if (x != y && x != 1 && y != 1) ctx.fail("batch shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

class GemmOp final : public Op {
 public:
  explicit GemmOp(const BuildCtx& ctx) {
    ctx.arity(2, 3);
    const TensorInfo& A = ctx.input(0);
    const TensorInfo& B = ctx.input(1);
    if (A.shape.size() != 2 || B.shape.size() != 2)
      ctx.fail("A and B must be matrices, got " + shape_str(A.shape) + " and " + shape_str(B.shape));
    ta_ = ctx.attr_int("transA", 0) != 0;
    tb_ = ctx.attr_int("transB", 0) != 0;
    alpha_ = static_cast<float>(ctx.attr_float("alpha", 1.0));
    beta_ = static_cast<float>(ctx.attr_float("beta", 1.0));
    ctx.activation(&act_, &lo_, &hi_);
    M_ = ta_ ? A.shape[1] : A.shape[0];
    K_ = ta_ ? A.shape[0] : A.shape[1];
    N_ = tb_ ? B.shape[0] : B.shape[1];
    if ((tb_ ? B.shape[1] : B.shape[0]) != K_)
      ctx.fail("inner dimensions differ: op(A) is " + std::to_string(M_) + "x" + std::to_string(K_) + ", op(B) is " +
               std::to_string(tb_ ? B.shape[1] : B.shape[0]) + "x" + std::to_string(N_));
    ctx.expect_output_shape({M_, N_});
    if (const TensorInfo* C = ctx.optional(2)) {
      const Shape& s = C->shape;
      if (s.size() > 2) ctx.fail("C must have rank <= 2, got " + shape_str(s));
      cm_ = s.size() == 2 ? s[0] : 1;
      cn_ = s.empty() ? 1 : s.back();
      if ((cm_ != 1 && cm_ != M_) || (cn_ != 1 && cn_ != N_))
        ctx.fail("C of shape " + shape_str(s) + " does not broadcast to [" + std::to_string(M_) + "," + std::to_string(N_) + "]");
      has_c_ = beta_ != 0.f;
    }
    weights_ = B.constant != nullptr;
    packed_a_floats_ = ctx.k.packed_a_size(M_, K_);
    if (weights_) {
      w_.pack(ctx.k, B.constant, tb_, K_, N_, alpha_);
      w_.prepare(ctx.k, M_, ctx.threads);
      // A per-column C is the epilogue's per-row bias of Y^T.
      if (has_c_ && cm_ == 1 && cn_ == N_) {
        fused_bias_ = true;
        const TensorInfo* C = ctx.optional(2);
        if (C->constant || beta_ != 1.f) {
          bias_.reset(static_cast<size_t>(N_));
          if (C->constant)
            for (int64_t n = 0; n < N_; ++n) bias_.data()[n] = beta_ * C->constant[n];
          bias_scaled_ = C->constant != nullptr;  // else scaled at run time
        }
      }
    }
  }
  std::string kernel() const override { return weights_ ? w_.kernel() : "gemm"; }
  size_t owned_bytes() const override { return w_.bytes() + bias_.bytes(); }
  bool reads_input_at_run(size_t i) const override { return !(weights_ && i == 1) && !(i == 2 && bias_scaled_); }
  size_t workspace_floats() const override {
    return weights_ ? w_.workspace_floats() : packed_a_floats_;
  }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    float* y = out[0];
    const float* c = in[2];
    const bool post_c = has_c_ && !fused_bias_;  // C added after the product
    if (weights_) {
      const float* bias = nullptr;
      if (fused_bias_) {
        if (bias_scaled_) {
          bias = bias_.data();
        } else if (beta_ != 1.f) {  // C computed at run time, scaled by beta here
          for (int64_t n = 0; n < N_; ++n) bias_.data()[n] = beta_ * c[n];
          bias = bias_.data();
        } else {
          bias = c;
        }
      }
      w_.run(ctx, in[0], ta_, y, bias, post_c ? Activation::None : act_, lo_, hi_);  // alpha is in the weights
    } else {
      Epilogue ep;
      const bool fuse_act = !post_c && alpha_ == 1.f;
      if (fuse_act) ep.act = act_, ep.clip_min = lo_, ep.clip_max = hi_;
      runtime_gemm(ctx, in[0], ta_, in[1], tb_, M_, K_, N_, y, ctx.workspace, ep);
      if (alpha_ != 1.f)
        for (int64_t i = 0; i < M_ * N_; ++i) y[i] *= alpha_;
      if (!post_c && !fuse_act) post_act(y);
    }
    if (post_c) {
      const int64_t sm = cm_ == 1 ? 0 : cn_, sn = cn_ == 1 ? 0 : 1;
      for (int64_t m = 0; m < M_; ++m)
        for (int64_t n = 0; n < N_; ++n) y[m * N_ + n] += beta_ * c[m * sm + n * sn];
      post_act(y);
    }
  }

 private:
  void post_act(float* y) const {
    for (int64_t i = 0; i < M_ * N_; ++i)
      if (act_ == Activation::Relu)
        y[i] = y[i] > 0.f ? y[i] : 0.f;
      else if (act_ == Activation::Clip)
        y[i] = std::min(std::max(y[i], lo_), hi_);
  }

  bool ta_ = false, tb_ = false, has_c_ = false, weights_ = false, fused_bias_ = false, bias_scaled_ = false;
  float alpha_ = 1.f, beta_ = 1.f, lo_ = 0.f, hi_ = 0.f;
  Activation act_ = Activation::None;
  int64_t M_ = 0, K_ = 0, N_ = 0, cm_ = 1, cn_ = 1;
  size_t packed_a_floats_ = 0;
  WeightGemm w_;
  AlignedFloats bias_;
};

class MatMulOp final : public Op {
 public:
  explicit MatMulOp(const BuildCtx& ctx) : threads_(ctx.threads) {
    ctx.arity(2, 2);
    Shape a = ctx.input(0).shape, b = ctx.input(1).shape;
    if (a.empty() || b.empty()) ctx.fail("operands must have rank >= 1");
    const bool drop_m = a.size() == 1, drop_n = b.size() == 1;
    if (drop_m) a.insert(a.begin(), 1);
    if (drop_n) b.push_back(1);
    M_ = a[a.size() - 2];
    K_ = a.back();
    N_ = b.back();
    if (b[b.size() - 2] != K_)
      ctx.fail("inner dimensions differ: " + shape_str(ctx.input(0).shape) + " x " + shape_str(ctx.input(1).shape));
    const Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    const Shape batch = bcast(ctx, ba, bb);
    Shape expect = batch;
    if (!drop_m) expect.push_back(M_);
    if (!drop_n) expect.push_back(N_);
    ctx.expect_output_shape(expect);
    batches_ = shape_size(batch, "MatMul");
    // Broadcast strides (in matrices) of each operand's batch dimensions.
    const size_t r = batch.size();
    dims_ = batch;
    sa_.assign(r, 0);
    sb_.assign(r, 0);
    for (int64_t i = int64_t(r) - 1, pa = 1, pb = 1; i >= 0; --i) {
      const int64_t ia = i - int64_t(r - ba.size()), ib = i - int64_t(r - bb.size());
      if (ia >= 0) sa_[i] = ba[ia] == 1 ? 0 : pa, pa *= ba[ia];
      if (ib >= 0) sb_[i] = bb[ib] == 1 ? 0 : pb, pb *= bb[ib];
    }
    const bool b_single = shape_size(bb, "MatMul") == 1;
    weights_ = ctx.input(1).constant && b_single && shape_size(ba, "MatMul") == batches_;
    if (weights_) {
      w_.pack(ctx.k, ctx.input(1).constant, false, K_, N_, 1.f);
      w_.prepare(ctx.k, batches_ * M_, ctx.threads);
    }
    packed_floats_ = round_up(static_cast<int64_t>(ctx.k.packed_a_size(M_, K_)), 16);
  }
  std::string kernel() const override { return weights_ ? w_.kernel() : "batched-gemm"; }
  size_t owned_bytes() const override { return w_.bytes(); }
  bool reads_input_at_run(size_t i) const override { return !(weights_ && i == 1); }
  size_t workspace_floats() const override {
    return weights_ ? w_.workspace_floats() : static_cast<size_t>(threads_ * packed_floats_);
  }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    if (weights_) return w_.run(ctx, in[0], false, out[0], nullptr, Activation::None, 0.f, 0.f);
    const float* A = in[0];
    const float* B = in[1];
    float* Y = out[0];
    // Items: (batch, column block); each thread packs the A of its current batch once.
    const int64_t cb = std::max<int64_t>(1, std::min(ceil_div(threads_, batches_), ceil_div(N_, 64)));
    ctx.pool.parallel_for_t(batches_ * cb, [&](int64_t b, int64_t e, int tid) {
      float* packed = ctx.workspace + tid * packed_floats_;
      int64_t packed_batch = -1;
      for (int64_t it = b; it < e; ++it) {
        const int64_t bi = it / cb, j = it % cb;
        int64_t oa = 0, ob = 0;
        for (int64_t d = int64_t(dims_.size()) - 1, rest = bi; d >= 0; --d) {
          const int64_t idx = rest % dims_[d];
          rest /= dims_[d];
          oa += idx * sa_[d];
          ob += idx * sb_[d];
        }
        if (bi != packed_batch) {
          ctx.k.pack_a(A + oa * M_ * K_, K_, false, M_, K_, packed);
          packed_batch = bi;
        }
        const int64_t n0 = std::min(N_, ceil_div(N_, cb) * j), n1 = std::min(N_, ceil_div(N_, cb) * (j + 1));
        ctx.k.sgemm(packed, M_, K_, 0, M_, B + ob * K_ * N_, N_, false, n0, n1, Y + bi * M_ * N_, N_, Epilogue());
      }
    });
  }

 private:
  int threads_;
  bool weights_ = false;
  int64_t M_ = 0, K_ = 0, N_ = 0, batches_ = 1, packed_floats_ = 0;
  Shape dims_;
  std::vector<int64_t> sa_, sb_;
  WeightGemm w_;
};

}  // namespace

OpPtr make_gemm(const BuildCtx& ctx) { return std::make_unique<GemmOp>(ctx); }
OpPtr make_matmul(const BuildCtx& ctx) { return std::make_unique<MatMulOp>(ctx); }

}  // namespace studio
