// Add/Sub/Mul/Div/Max/Min and n-ary Sum (= Add) with numpy broadcasting. The output is built by
// folding: y = in0 (op) in1, then y = y (op) in2, ... Each step collapses the broadcast into at
// most a few dimensions and an inner contiguous loop of one of three forms: vector-vector
// (same shape; Add and Mul use the kernel table), vector-scalar or scalar-vector (per-channel
// and scalar operands: the inner loop is one channel plane).
#include <algorithm>

#include "ops/op.h"

namespace studio {
namespace {

enum class BinKind { Add, Sub, Mul, Div, Max, Min };

template <BinKind K>
inline float apply(float a, float b) {
  if constexpr (K == BinKind::Add) return a + b;
  if constexpr (K == BinKind::Sub) return a - b;
  if constexpr (K == BinKind::Mul) return a * b;
  if constexpr (K == BinKind::Div) return a / b;
  // A NaN in either operand propagates (a NaN a is returned; a NaN b fails the comparison).
  if constexpr (K == BinKind::Max) return a > b || a != a ? a : b;
  if constexpr (K == BinKind::Min) return a < b || a != a ? a : b;
}

/** One folding step, dimensions collapsed. */
struct Step {
  std::vector<int64_t> dims;      // collapsed output dims, last = inner
  std::vector<int64_t> sa, sb;    // element strides of a and b per dim (0 = broadcast)
  int input = 0;                  // index of b (a is input 0 for the first step, else y)
};

template <BinKind K>
void inner(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float s = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i], s);
  } else if (sa == 0 && sb == 1) {
    const float s = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<K>(s, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<K>(a[i * sa], b[i * sb]);
  }
}

class BinaryOp final : public Op {
 public:
  BinaryOp(const BuildCtx& ctx, BinKind kind) : kind_(kind) {
    const size_t n = ctx.in.size();
    const bool nary = ctx.node.op == "Sum" || ctx.node.op == "Max" || ctx.node.op == "Min";
    if (n < 1 || (!nary && n != 2))
      ctx.fail(std::string("expects ") + (nary ? "1 or more" : "2") + " inputs, got " + std::to_string(n));
    if (ctx.out.size() != 1) ctx.fail("expects 1 output");
    const Shape& ys = ctx.output().shape;
    Shape expect;
    for (size_t i = 0; i < n; ++i) {
      const Shape& s = ctx.input(i).shape;
      if (s.size() > ys.size()) ctx.fail("input '" + ctx.input(i).name + "' has more dimensions than the output");
      Shape padded(ys.size() - s.size(), 1);
      padded.insert(padded.end(), s.begin(), s.end());
      if (expect.empty()) expect.assign(ys.size(), 1);
      for (size_t d = 0; d < ys.size(); ++d) {
        if (padded[d] != 1 && expect[d] != 1 && padded[d] != expect[d])
          ctx.fail("shapes do not broadcast: '" + ctx.input(i).name + "' " + shape_str(s));
        expect[d] = std::max(expect[d], padded[d]);
      }
      shapes_.push_back(padded);
    }
    ctx.expect_output_shape(expect);
    total_ = ctx.output().size;
    out_dims_ = ys;
    for (size_t i = 1; i < n; ++i) steps_.push_back(make_step(i == 1 ? shapes_[0] : ys, shapes_[i], int(i)));
    same_shape_ = std::all_of(shapes_.begin(), shapes_.end(), [&](const Shape& s) { return s == ys; });
  }
  std::string kernel() const override { return same_shape_ ? "eltwise" : "eltwise-broadcast"; }
  // Safe: each step reads a[i] and b[i] (or broadcast values) before writing y[i] at the same index.
  int inplace_input() const override { return shapes_[0] == out_dims_ ? 0 : -1; }

  void run(const RunCtx& ctx, const float* const* in, float* const* out) override {
    float* y = out[0];
    if (steps_.empty()) {  // a one-input Sum/Max/Min is a copy
      if (y != in[0]) std::copy(in[0], in[0] + total_, y);
      return;
    }
    for (size_t s = 0; s < steps_.size(); ++s) {
      const float* a = s == 0 ? in[0] : y;
      const float* b = in[steps_[s].input];
      switch (kind_) {
        case BinKind::Add: exec<BinKind::Add>(ctx, steps_[s], a, b, y); break;
        case BinKind::Sub: exec<BinKind::Sub>(ctx, steps_[s], a, b, y); break;
        case BinKind::Mul: exec<BinKind::Mul>(ctx, steps_[s], a, b, y); break;
        case BinKind::Div: exec<BinKind::Div>(ctx, steps_[s], a, b, y); break;
        case BinKind::Max: exec<BinKind::Max>(ctx, steps_[s], a, b, y); break;
        case BinKind::Min: exec<BinKind::Min>(ctx, steps_[s], a, b, y); break;
      }
    }
  }

 private:
  /** Strides of a (padded shape sa) and b over the output dims, then adjacent dims merged. */
  Step make_step(const Shape& as, const Shape& bs, int input) const {
    const size_t r = out_dims_.size();
    std::vector<int64_t> dims, sa, sb;
    std::vector<int64_t> fa(r), fb(r);
    for (int64_t d = int64_t(r) - 1, pa = 1, pb = 1; d >= 0; --d) {
      fa[d] = as[d] == 1 ? 0 : pa;
      fb[d] = bs[d] == 1 ? 0 : pb;
      pa *= as[d];
      pb *= bs[d];
    }
    for (size_t d = 0; d < r; ++d) {
      if (out_dims_[d] == 1) continue;
      if (!dims.empty()) {
        // Merge into the previous dim when both operands continue contiguously (or both broadcast).
        const int64_t n = out_dims_[d];
        if (sa.back() == fa[d] * n && sb.back() == fb[d] * n) {
          dims.back() *= n;
          sa.back() = fa[d];
          sb.back() = fb[d];
          continue;
        }
      }
      dims.push_back(out_dims_[d]);
      sa.push_back(fa[d]);
      sb.push_back(fb[d]);
    }
    if (dims.empty()) dims = {1}, sa = {0}, sb = {0};
    return Step{dims, sa, sb, input};
  }

  template <BinKind K>
  void exec(const RunCtx& ctx, const Step& st, const float* a, const float* b, float* y) const {
    const int64_t inner_n = st.dims.back(), isa = st.sa.back(), isb = st.sb.back();
    if (st.dims.size() == 1 && isa == 1 && isb == 1 && (K == BinKind::Add || K == BinKind::Mul)) {
      const int64_t chunks = std::min<int64_t>(ctx.pool.size(), std::max<int64_t>(1, total_ / 16384));
      ctx.pool.parallel_for(chunks, [&](int64_t c0, int64_t c1) {
        const int64_t b0 = total_ * c0 / chunks, b1 = total_ * c1 / chunks;
        if (K == BinKind::Add) ctx.k.add(a + b0, b + b0, y + b0, b1 - b0);
        else ctx.k.mul(a + b0, b + b0, y + b0, b1 - b0);
      });
      return;
    }
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(inner_n, 1));
    const int64_t outer = total_ / inner_n;
    const int64_t chunks = std::min<int64_t>(ctx.pool.size(), std::max<int64_t>(1, outer / grain));
    const size_t r = st.dims.size();
    ctx.pool.parallel_for(chunks, [&](int64_t c0, int64_t c1) {
      const int64_t o0 = outer * c0 / chunks, o1 = outer * c1 / chunks;
      for (int64_t o = o0; o < o1; ++o) {
        int64_t oa = 0, ob = 0;
        for (int64_t d = int64_t(r) - 2, rest = o; d >= 0; --d) {
          const int64_t idx = rest % st.dims[d];
          rest /= st.dims[d];
          oa += idx * st.sa[d];
          ob += idx * st.sb[d];
        }
        inner<K>(a + oa, isa, b + ob, isb, y + o * inner_n, inner_n);
      }
    });
  }

  BinKind kind_;
  std::vector<Shape> shapes_;  // inputs padded to the output rank
  Shape out_dims_;
  std::vector<Step> steps_;
  int64_t total_ = 0;
  bool same_shape_ = false;
};

}  // namespace

OpPtr make_binary(const BuildCtx& ctx) {
  const std::string& op = ctx.node.op;
  const BinKind k = op == "Add" || op == "Sum" ? BinKind::Add
                    : op == "Sub"              ? BinKind::Sub
                    : op == "Mul"              ? BinKind::Mul
                    : op == "Div"              ? BinKind::Div
                    : op == "Max"              ? BinKind::Max
                                               : BinKind::Min;
  for (size_t i = 0; i < ctx.in.size(); ++i) ctx.input(i);  // every input required
  return std::make_unique<BinaryOp>(ctx, k);
}

}  // namespace studio
