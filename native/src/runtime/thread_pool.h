// A persistent pool of worker threads with a caller-participates design: a pool of size T owns
// T-1 workers, and the thread that calls run() works too, so a 1-thread pool has no worker and
// no synchronization at all.
//
// Work is split statically: parallel_for(n, fn) cuts [0, n) into min(T, n) fixed contiguous
// chunks, so what each chunk computes never depends on timing (results are reproducible). Which
// thread runs a chunk is decided at run time: every participant claims the next unclaimed chunk
// (one atomic compare-and-swap), so when a worker is descheduled (more threads than free cores,
// another process busy) the caller and the other workers take its share instead of waiting for
// it. fn receives the executing thread's slot (0..T-1) to index per-thread scratch memory.
//
// Idle workers spin briefly before sleeping on a condition variable: an inference runs one
// parallel region per node, back to back, and waking a sleeping thread costs microseconds per
// node. Jobs from different callers are serialized by a mutex, so sessions may share a pool
// (see shared()).
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace studio {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  /**
   * Runs fn(chunk, thread) for every chunk in [0, chunks), chunks clamped to size(); `thread` is
   * the executing thread's slot in [0, size()). Returns when all chunks are done; rethrows the
   * first exception a chunk threw. Called from inside a chunk (nested), it runs every chunk
   * inline on the calling thread.
   */
  template <class F>
  void run(int chunks, F&& fn) {
    struct Thunk {
      static void call(void* f, int chunk, int thread) { (*static_cast<std::remove_reference_t<F>*>(f))(chunk, thread); }
    };
    run_impl(chunks, &Thunk::call, static_cast<void*>(&fn));
  }

  /** fn(begin, end, thread) over min(size, n) equal contiguous chunks of [0, n). */
  template <class F>
  void parallel_for_t(int64_t n, F&& fn) {
    if (n <= 0) return;
    const int chunks = static_cast<int>(n < size_ ? n : size_);
    run(chunks, [&](int i, int thread) {
      const int64_t b = n * i / chunks, e = n * (i + 1) / chunks;
      if (b < e) fn(b, e, thread);
    });
  }

  /** fn(begin, end) over min(size, n) equal contiguous chunks of [0, n). */
  template <class F>
  void parallel_for(int64_t n, F&& fn) {
    parallel_for_t(n, [&](int64_t b, int64_t e, int) { fn(b, e); });
  }

  /** fn(begin, end) over min(size, n, max_chunks) equal contiguous chunks of [0, n). */
  template <class F>
  void parallel_for_upto(int64_t n, int64_t max_chunks, F&& fn) {
    if (n <= 0) return;
    const int chunks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({n, max_chunks, size_})));
    run(chunks, [&](int i, int) {
      const int64_t b = n * i / chunks, e = n * (i + 1) / chunks;
      if (b < e) fn(b, e);
    });
  }

  /**
   * parallel_for with at least `grain` items per chunk: small problems use fewer threads (one
   * runs inline, with no synchronization at all).
   */
  template <class F>
  void parallel_for_grain(int64_t n, int64_t grain, F&& fn) {
    parallel_for_upto(n, grain > 1 ? n / grain : n, std::forward<F>(fn));
  }

  /**
   * A pool of `threads` shared by every session asking for that size while any of them lives
   * (the pools are kept by weak reference). Sessions of different sizes get different pools.
   */
  static std::shared_ptr<ThreadPool> shared(int threads);

  /**
   * Runs queued or executing off the JavaScript thread on this pool (binding.cc keeps the count):
   * a run is only started inline on the JavaScript thread when there are none, so that thread
   * never waits for another session's jobs.
   */
  std::atomic<int>& async_runs() { return async_runs_; }

 private:
  using Fn = void (*)(void*, int, int);
  struct Job {  // two slots, alternating by generation (see claim_)
    std::atomic<Fn> fn{nullptr};
    std::atomic<void*> arg{nullptr};
    std::atomic<int> chunks{0};
  };
  void run_impl(int chunks, Fn fn, void* arg);
  void worker_main(int slot);
  /** Claims and runs chunks of generation `gen` until none is left; false if gen is stale. */
  void work(uint64_t gen, int slot);

  const int size_;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // one job at a time

  Job jobs_[2];
  // (generation << 32) | next unclaimed chunk. Claiming is a CAS on the whole word, so a thread
  // holding a stale generation can never claim a chunk of a newer job.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};  // chunks of the current job finished
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable wake_;

  std::mutex error_mu_;
  std::exception_ptr error_;
  std::atomic<int> async_runs_{0};
};

}  // namespace studio
