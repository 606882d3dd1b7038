// The contract between the planner and the operators: an operator is chosen and built once per
// node at plan time (validating shapes and attributes, packing weights), then run many times.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "plan/desc.h"
#include "runtime/thread_pool.h"

namespace studio {

/** What the planner knows about one tensor. */
struct TensorInfo {
  std::string name;
  Shape shape;
  int64_t size = 0;
  const float* constant = nullptr;  // the data, when the tensor is a constant
};

/** A validation or runtime error about a node; the message starts with the node's name. */
class NodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Everything an operator factory sees: the node, its tensors, the kernels, the thread count. */
class BuildCtx {
 public:
  BuildCtx(const NodeDesc& node, std::vector<const TensorInfo*> in, std::vector<const TensorInfo*> out,
           const KernelTable& k, int threads)
      : node(node), in(std::move(in)), out(std::move(out)), k(k), threads(threads) {}

  const NodeDesc& node;
  std::vector<const TensorInfo*> in;  // nullptr where the input is "" (absent)
  std::vector<const TensorInfo*> out;
  const KernelTable& k;
  int threads;

  [[noreturn]] void fail(const std::string& msg) const;
  /** Requires between lo and hi inputs (absent trailing inputs count) and exactly `outs` outputs. */
  void arity(size_t lo, size_t hi, size_t outs = 1) const;
  /** Input i, which must be present. */
  const TensorInfo& input(size_t i) const;
  /** Input i or nullptr (absent or beyond the list). */
  const TensorInfo* optional(size_t i) const { return i < in.size() ? in[i] : nullptr; }
  const TensorInfo& output(size_t i = 0) const { return *out.at(i); }
  /** Input i, which must be a constant (weights packed at plan time). */
  const TensorInfo& constant(size_t i, const char* role) const;

  bool has(const char* name) const { return node.attrs.count(name) != 0; }
  int64_t attr_int(const char* name, int64_t def) const;
  double attr_float(const char* name, double def) const;
  std::vector<int64_t> attr_ints(const char* name, std::vector<int64_t> def) const;
  std::string attr_str(const char* name, const std::string& def) const;
  /** Conv/Gemm fused activation: 'none' | 'relu' | 'clip' with clip_min/clip_max. */
  void activation(Activation* act, float* lo, float* hi) const;
  /** Requires output(i).shape == expected, naming both on mismatch. */
  void expect_output_shape(const Shape& expected, size_t i = 0) const;
};

/** Per-run context handed to Op::run. */
struct RunCtx {
  ThreadPool& pool;
  const KernelTable& k;
  float* workspace;  // Op::workspace_floats() floats, 64-byte aligned
};

class Op {
 public:
  virtual ~Op() = default;
  /** The implementation chosen (reported by session.plan()), e.g. "conv1x1-gemm". */
  virtual std::string kernel() const = 0;
  /** Inputs by data pointer (nullptr for absent ones), outputs likewise. */
  virtual void run(const RunCtx& ctx, const float* const* in, float* const* out) = 0;

  /** Scratch floats the op needs at run time (all threads together). */
  virtual size_t workspace_floats() const { return 0; }
  /** Bytes the op owns for the session's lifetime (packed weights). */
  virtual size_t owned_bytes() const { return 0; }
  /** False for inputs consumed at plan time (weights packed into the op): their data may be freed. */
  virtual bool reads_input_at_run(size_t) const { return true; }

  // ---- Memory-planning hints (see plan/memory.cc) ----
  /** Output 0 is always input k's storage (Alias); -1 for none. The op's run() must then do nothing. */
  virtual int alias_input() const { return -1; }
  /** Output 0 may share input k's buffer when k dies here (element-wise ops); -1 for none. */
  virtual int inplace_input() const { return -1; }
  /** Offsets (floats) at which each input could live inside output 0; empty when impossible. */
  virtual std::vector<int64_t> view_offsets() const { return {}; }
  /** Told by the planner which inputs were placed inside output 0 (they need no copy). */
  virtual void set_input_views(const std::vector<bool>&) {}

  // ---- Image-major execution (plan.h, "batch segments") ----
  /**
   * N > 1 when run_images can compute any range of the batch's images on its own: image n of
   * every output depends only on image n of the inputs that have a batch dimension (in[0], and a
   * residual), and the op keeps no state between calls. 0 otherwise.
   */
  virtual int64_t batch_images() const { return 0; }
  /** Images [n0, n1) only; same pointers as run() (whole tensors). run() == run_images(0, N). */
  virtual void run_images(const RunCtx& ctx, const float* const* in, float* const* out, int64_t n0, int64_t n1) {
    (void)n0, (void)n1;
    run(ctx, in, out);
  }
};

using OpPtr = std::unique_ptr<Op>;

/** Builds the operator for a node; throws NodeError. */
OpPtr make_op(const BuildCtx& ctx);
/** Whether `op` is one of the operators of native/DESIGN.md. */
bool is_known_op(const std::string& op);

// ---- helpers shared by operator files ----
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// A thread's share of an operator below this many multiply-adds (or element operations) costs
// more to hand out than it saves: publishing the job and collecting it moves cache lines between
// cores, and a worker descheduled by another process (2 vCPUs shared with a build) stalls the
// whole node. Below it an operator uses fewer threads, so 2 threads are never slower than 1.
constexpr int64_t kMinWorkPerThread = int64_t(1) << 16;

/** Threads worth using for `work` multiply-adds in all: 1..threads. */
inline int threads_for(int64_t work, int threads) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, work / kMinWorkPerThread)));
}
/** ThreadPool::parallel_for_grain's grain for items of `work_per_item` multiply-adds each. */
inline int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, ceil_div(kMinWorkPerThread, std::max<int64_t>(1, work_per_item)));
}

// Factories, one per operator family file.
OpPtr make_conv(const BuildCtx&);
OpPtr make_depthwise_pointwise(const BuildCtx&);  // conv_dwpw.cc
OpPtr make_gemm(const BuildCtx&);
OpPtr make_matmul(const BuildCtx&);
OpPtr make_pool(const BuildCtx&);
OpPtr make_global_pool(const BuildCtx&);
OpPtr make_unary(const BuildCtx&);
OpPtr make_channel_affine(const BuildCtx&);
OpPtr make_binary(const BuildCtx&);
OpPtr make_concat(const BuildCtx&);
OpPtr make_alias(const BuildCtx&);
OpPtr make_softmax(const BuildCtx&);
OpPtr make_lrn(const BuildCtx&);
OpPtr make_transpose(const BuildCtx&);

}  // namespace studio
