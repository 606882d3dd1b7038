#include "runtime/thread_pool.h"

#include <chrono>
#include <map>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#define STUDIO_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define STUDIO_PAUSE() __asm__ volatile("yield")
#else
#define STUDIO_PAUSE() ((void)0)
#endif

namespace studio {
namespace {

thread_local bool tl_in_job = false;  // set while a thread runs a chunk: nested jobs run inline

// How long an idle worker polls for the next job before sleeping. Long enough to bridge the gap
// between two nodes of one inference (and between two back-to-back runs), short enough not to
// burn a core for long after the last run.
constexpr auto kSpin = std::chrono::microseconds(300);

inline uint64_t gen_of(uint64_t v) { return v >> 32; }
inline int chunk_of(uint64_t v) { return static_cast<int>(v & 0xffffffffu); }

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  workers_.reserve(size_ - 1);
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    stop_.store(true);
    claim_.fetch_add(uint64_t(1) << 32);  // a new generation wakes everyone
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(uint64_t gen, int slot) {
  const Job& job = jobs_[gen & 1];
  uint64_t v = claim_.load(std::memory_order_acquire);
  while (gen_of(v) == gen) {
    // The job fields are read before the CAS that validates the generation they belong to.
    const int chunks = job.chunks.load(std::memory_order_relaxed);
    const Fn fn = job.fn.load(std::memory_order_relaxed);
    void* arg = job.arg.load(std::memory_order_relaxed);
    const int chunk = chunk_of(v);
    if (chunk >= chunks) return;
    if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    tl_in_job = true;
    try {
      fn(arg, chunk, slot);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
    }
    tl_in_job = false;
    done_.fetch_add(1, std::memory_order_acq_rel);
    v = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_main(int slot) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = gen_of(claim_.load(std::memory_order_acquire));
    if (gen == seen) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      for (int spins = 0; gen == seen; ++spins) {
        STUDIO_PAUSE();
        if ((spins & 63) == 63) {
          if (std::chrono::steady_clock::now() > until) break;
          std::this_thread::yield();  // polite when threads outnumber free cores
        }
        gen = gen_of(claim_.load(std::memory_order_acquire));
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(sleep_mu_);
        sleepers_.fetch_add(1);
        while ((gen = gen_of(claim_.load())) == seen) wake_.wait(lock);
        sleepers_.fetch_sub(1);
      }
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    work(gen, slot);
  }
}

void ThreadPool::run_impl(int chunks, Fn fn, void* arg) {
  if (chunks <= 0) return;
  if (chunks > size_) chunks = size_;
  if (chunks == 1 || tl_in_job) {
    for (int i = 0; i < chunks; ++i) fn(arg, i, 0);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mu_);
  const uint64_t gen = gen_of(claim_.load(std::memory_order_relaxed)) + 1;
  Job& job = jobs_[gen & 1];
  job.fn.store(fn, std::memory_order_relaxed);
  job.arg.store(arg, std::memory_order_relaxed);
  job.chunks.store(chunks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  error_ = nullptr;
  claim_.store(gen << 32, std::memory_order_seq_cst);  // publishes the job (release)
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    // Taking the mutex orders this notify after a worker that counted itself as a sleeper has
    // started waiting (it holds the mutex from the increment until wait() releases it).
    { std::lock_guard<std::mutex> lock(sleep_mu_); }
    wake_.notify_all();
  }
  work(gen, 0);
  for (int spins = 0; done_.load(std::memory_order_acquire) != chunks; ++spins) {
    STUDIO_PAUSE();
    if (spins > 2048) std::this_thread::yield();
  }
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

std::shared_ptr<ThreadPool> ThreadPool::shared(int threads) {
  static std::mutex mu;
  static auto* pools = new std::map<int, std::weak_ptr<ThreadPool>>();  // leaked: no exit-time order issue
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<ThreadPool> pool = (*pools)[threads].lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(threads);
    (*pools)[threads] = pool;
  }
  return pool;
}

}  // namespace studio
