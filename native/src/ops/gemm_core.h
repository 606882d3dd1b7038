// Two ways to run a matrix product on the kernel table, shared by Gemm and MatMul.
#pragma once
#include "ops/conv.h"

namespace studio {

/**
 * Y[R, N] = X[R, K] * W (+ bias[N], activation) with W constant. The kernels pack the left operand
 * once, so the weights are stored transposed, P = W^T [N, K], and the product computed as
 * Y^T = P * X^T: weights are never re-packed per run.
 * Few rows (R <= small_n_max: a classifier at small batch) take the skinny kernel, which streams
 * P once and writes Y directly (its transposed C); the threads split P's rows, so each streams a
 * disjoint part of the weights. Otherwise the tile GEMM writes Y^T to the workspace, transposed
 * afterwards (R*N moves against R*N*K multiply-adds).
 */
class WeightGemm {
 public:
  /** w is K x N (w_is_nk false) or N x K (w_is_nk true); scaled by alpha while packing. */
  void pack(const KernelTable& k, const float* w, bool w_is_nk, int64_t K, int64_t N, float alpha);
  /** Sets the row count R, the kernel and the thread split; call once at plan time. */
  void prepare(const KernelTable& k, int64_t R, int threads);
  size_t workspace_floats() const {
    return R_ > 1 && !skinny_ ? static_cast<size_t>(round_up(R_ * N_, 16)) : 0;
  }
  size_t bytes() const { return packed_.bytes(); }
  /** The plan's name for the kernel taken (session.plan()). */
  const char* kernel() const { return skinny_ ? "gemm-packed-weights-skinny" : "gemm-packed-weights"; }
  /** x is R x K (x_is_kr false) or K x R (x_is_kr true); y is R x N. */
  void run(const RunCtx& ctx, const float* x, bool x_is_kr, float* y, const float* bias, Activation act, float lo,
           float hi) const;

 private:
  AlignedFloats packed_;
  int64_t K_ = 0, N_ = 0, R_ = 0;
  bool skinny_ = false;  // sgemm_small_n, Y written directly
  GemmSplit split_;
};

/** Y[M, N] = op(A)[M, K] * op(B)[K, N], both computed at run time: A is packed into `packed`. */
void runtime_gemm(const RunCtx& ctx, const float* A, bool trans_a, const float* B, bool trans_b, int64_t M,
                  int64_t K, int64_t N, float* Y, float* packed, const Epilogue& ep);

/** Y[r*N + n] = Yt[n*R + r], in parallel. */
void transpose_2d(const RunCtx& ctx, const float* Yt, int64_t N, int64_t R, float* Y);

}  // namespace studio
