// Transpose: dimensions of size 1 are dropped and adjacent dimensions that stay adjacent are
// merged, so e.g. NCHW -> NHWC is a batch of 2-D transposes; those run in 32x32 blocks (both the
// rows read and the rows written stay in L1). Other permutations walk the output in order.
#include <numeric>

#include "ops/op.h"

namespace studio {
namespace {

class TransposeOp final : public Op {
 public:
  TransposeOp(Shape in_dims, std::vector<int64_t> perm, int64_t total)
      : total_(total) {
    // Output dim j is input dim perm[j]. Drop size-1 dims, merge runs p, p+1 that stay consecutive.
    std::vector<int64_t> keep;
    for (int64_t p : perm)
      if (in_dims[p] != 1) keep.push_back(p);
    std::vector<std::vector<int64_t>> groups;  // groups of input dims, in output order
    for (int64_t p : keep) {
      if (!groups.empty() && groups.back().back() + 1 == p) groups.back().push_back(p);
      else groups.push_back({p});
    }
    // Input strides of the kept dims, then per group: size and input stride (of its last dim).
    std::vector<int64_t> in_stride(in_dims.size());
    for (int64_t d = int64_t(in_dims.size()) - 1, st = 1; d >= 0; --d) in_stride[d] = st, st *= in_dims[d];
    for (const auto& g : groups) {
      int64_t n = 1;
      for (int64_t p : g) n *= in_dims[p];
      dims_.push_back(n);
      strides_.push_back(in_stride[g.back()]);
    }
    if (dims_.empty()) dims_ = {1}, strides_ = {1};
  }
  std::string kernel() const override { return dims_.size() == 1 ? "copy" : "transpose"; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    const float* x = in[0];
    float* y = out[0];
    const size_t r = dims_.size();
    if (r == 1) {
      std::copy(x, x + total_, y);
      return;
    }
    // Output rows: the last output dim; their input stride strides_[r-1].
    const int64_t inner = dims_[r - 1], is = strides_[r - 1];
    const bool tile2d = r >= 2 && strides_[r - 2] == 1 && is != 1;  // a batch of matrix transposes
    if (tile2d) {
      const int64_t rows = dims_[r - 2], batch = total_ / (rows * inner);
      constexpr int64_t B = 32;
      const int64_t rb = ceil_div(rows, B);
      ctx.pool.parallel_for_grain(batch * rb, grain_for(B * inner), [&](int64_t b, int64_t e) {
        for (int64_t it = b; it < e; ++it) {
          const int64_t bi = it / rb, r0 = (it % rb) * B, r1 = std::min(rows, r0 + B);
          const float* xs = x + offset(bi, r - 2);
          float* ys = y + bi * rows * inner;
          for (int64_t c0 = 0; c0 < inner; c0 += B) {
            const int64_t c1 = std::min(inner, c0 + B);
            for (int64_t i = r0; i < r1; ++i)
              for (int64_t j = c0; j < c1; ++j) ys[i * inner + j] = xs[i + j * is];
          }
        }
      });
      return;
    }
    const int64_t outer = total_ / inner;
    ctx.pool.parallel_for_grain(outer, grain_for(inner), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const float* xs = x + offset(o, r - 1);
        float* yo = y + o * inner;
        for (int64_t j = 0; j < inner; ++j) yo[j] = xs[j * is];
      }
    });
  }

 private:
  /** Input offset of the leading `lead` output dims at flat index o. */
  int64_t offset(int64_t o, size_t lead) const {
    int64_t off = 0;
    for (int64_t d = int64_t(lead) - 1; d >= 0; --d) {
      off += (o % dims_[d]) * strides_[d];
      o /= dims_[d];
    }
    return off;
  }
  int64_t total_;
  std::vector<int64_t> dims_, strides_;
};

}  // namespace

OpPtr make_transpose(const BuildCtx& ctx) {
  ctx.arity(1, 1);
  const Shape& s = ctx.input(0).shape;
  const int64_t rank = static_cast<int64_t>(s.size());
  std::vector<int64_t> def(rank);
  for (int64_t i = 0; i < rank; ++i) def[i] = rank - 1 - i;  // ONNX default: reverse
  std::vector<int64_t> perm = ctx.attr_ints("perm", def);
  std::vector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank) ctx.fail("perm must have " + std::to_string(rank) + " entries");
  for (int64_t& p : perm) {
    if (p < 0) p += rank;
    if (p < 0 || p >= rank || seen[p]) ctx.fail("perm is not a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  Shape expect(rank);
  for (int64_t j = 0; j < rank; ++j) expect[j] = s[perm[j]];
  ctx.expect_output_shape(expect);
  return std::make_unique<TransposeOp>(s, perm, ctx.input(0).size);
}

}  // namespace studio
