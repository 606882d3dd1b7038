// An owning, 64-byte aligned float array (cache-line and AVX-512 aligned) for arenas, workspaces
// and packed weights. Not zero-initialized: every user writes before reading.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#if defined(_WIN32)
#include <malloc.h>
#endif

namespace studio {

class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(size_t n) { reset(n); }
  AlignedFloats(AlignedFloats&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedFloats& operator=(AlignedFloats&& o) noexcept {
    if (this != &o) {
      free_();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  ~AlignedFloats() { free_(); }

  /** Reallocates to n floats (contents lost). Throws std::bad_alloc. */
  void reset(size_t n) {
    free_();
    if (n == 0) return;
    const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
#if defined(_WIN32)
    data_ = static_cast<float*>(_aligned_malloc(bytes, 64));
#else
    data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
#endif
    if (!data_) throw std::bad_alloc();
    size_ = n;
  }
  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(float); }

 private:
  void free_() {
#if defined(_WIN32)
    _aligned_free(data_);
#else
    std::free(data_);
#endif
    data_ = nullptr;
    size_ = 0;
  }
  float* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace studio
