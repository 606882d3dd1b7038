// A compiled plan with its run-time memory: executes the nodes in order on the thread pool.
// One run at a time per session (the arena and workspace are the session's); concurrent run()
// calls queue on the session's mutex.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "plan/plan.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace studio {

class Session {
 public:
  Session(std::unique_ptr<Plan> plan, std::shared_ptr<ThreadPool> pool);
  const Plan& plan() const { return *plan_; }
  /**
   * inputs[i]: plan().input_sizes[i] floats; outputs[j]: plan().output_sizes[j] floats, written
   * here. Both stay owned by the caller; inputs are only read.
   */
  void run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs);

  /** Wall time of the latest completed run in nanoseconds; 0 before the first. */
  int64_t last_run_ns() const { return last_run_ns_.load(std::memory_order_relaxed); }
  ThreadPool& pool() const { return *pool_; }

  /**
   * Staging buffers for one run's input copies (plan().input_sizes), reused across runs so that
   * a large input does not cost a fresh allocation (and its page faults) per run. Several may be
   * out at once (runs queued on the session); give them back when the run is done.
   */
  std::vector<AlignedFloats> take_staging();
  void give_staging(std::vector<AlignedFloats> bufs);

  /** Per-node wall time is accumulated over runs when profiling is on (opts.profile). */
  void set_profiling(bool on) { profiling_ = on; }
  struct NodeTime {
    double total_us = 0;
    int64_t runs = 0;
  };
  /** A copy of the per-node totals (empty when profiling is off). */
  std::vector<NodeTime> profile();

 private:
  std::unique_ptr<Plan> plan_;
  std::shared_ptr<ThreadPool> pool_;
  AlignedFloats arena_, workspace_;
  std::mutex mu_;
  bool profiling_ = false;
  std::vector<NodeTime> times_;
  std::atomic<int64_t> last_run_ns_{0};
  std::mutex staging_mu_;
  std::vector<std::vector<AlignedFloats>> staging_;  // free sets
};

}  // namespace studio
