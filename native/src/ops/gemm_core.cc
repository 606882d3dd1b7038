#include "ops/gemm_core.h"

#include <cstdint>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace studio {
namespace {

/**
 * Asks Linux for transparent huge pages over a large buffer before its first touch (THP is often
 * in "madvise" mode). Streaming the 400 MB head-fc weights through 4 KiB pages costs a TLB miss
 * per 4 KiB: the skinny GEMM ran at 18 GB/s on 4 KiB pages, 25 GB/s on 2 MiB ones (1 thread; 27
 * vs 34 GB/s on 2, Zen 4). Advisory only: without THP nothing changes.
 */
void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  if (bytes < 2 * kHuge) return;
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

}  // namespace

void WeightGemm::pack(const KernelTable& k, const float* w, bool w_is_nk, int64_t K, int64_t N, float alpha) {
  K_ = K;
  N_ = N;
  std::vector<float> scaled;
  if (alpha != 1.f) {
    scaled.assign(w, w + K * N);
    for (float& v : scaled) v *= alpha;
    w = scaled.data();
  }
  packed_.reset(k.packed_a_size(N, K));
  advise_huge_pages(packed_.data(), packed_.bytes());
  // P[n][k]: w itself when stored N x K, else w read transposed (w[k*N + n]).
  k.pack_a(w, w_is_nk ? K : N, !w_is_nk, N, K, packed_.data());
}

void WeightGemm::prepare(const KernelTable& k, int64_t R, int threads) {
  R_ = R;
  skinny_ = R <= k.small_n_max;
  // Skinny: R <= small_n_max < 16 columns leaves no column split, so the threads get row blocks
  // (multiples of mr: whole packed panels), each a disjoint contiguous run of the weights.
  split_.choose(1, N_, R, k.mr, threads_for(N_ * K_ * R, threads), 16);
}

void WeightGemm::run(const RunCtx& ctx, const float* x, bool x_is_kr, float* y, const float* bias, Activation act,
                     float lo, float hi) const {
  Epilogue ep;
  ep.bias = bias;
  ep.act = act;
  ep.clip_min = lo;
  ep.clip_max = hi;
  // X^T[k][r] is x[r*K + k] (transposed read) or x[k*R + r].
  const int64_t ldx = x_is_kr ? R_ : K_;
  if (skinny_) {
    ctx.pool.parallel_for(split_.row_blocks, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) {
        int64_t m0, m1;
        split_.row_range(it, &m0, &m1);
        // C = Y^T stored transposed: Y^T[n][r] at y[r*N + n], i.e. Y itself.
        ctx.k.sgemm_small_n(packed_.data(), N_, K_, m0, m1, x, ldx, !x_is_kr, 0, R_, y, N_, true, ep);
      }
    });
    return;
  }
  float* yt = R_ > 1 ? ctx.workspace : y;
  const int64_t cb = split_.col_blocks;
  ctx.pool.parallel_for(split_.row_blocks * cb, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      int64_t m0, m1, n0, n1;
      split_.row_range(it / cb, &m0, &m1);
      split_.col_range(it % cb, &n0, &n1);
      ctx.k.sgemm(packed_.data(), N_, K_, m0, m1, x, ldx, !x_is_kr, n0, n1, yt, R_, ep);
    }
  });
  if (R_ > 1) transpose_2d(ctx, yt, N_, R_, y);
}

void runtime_gemm(const RunCtx& ctx, const float* A, bool trans_a, const float* B, bool trans_b, int64_t M,
                  int64_t K, int64_t N, float* Y, float* packed, const Epilogue& ep) {
  ctx.k.pack_a(A, trans_a ? M : K, trans_a, M, K, packed);
  GemmSplit split;
  split.choose(1, M, N, ctx.k.mr, threads_for(M * N * K, ctx.pool.size()), 32);
  const int64_t cb = split.col_blocks;
  ctx.pool.parallel_for(split.row_blocks * cb, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      int64_t m0, m1, n0, n1;
      split.row_range(it / cb, &m0, &m1);
      split.col_range(it % cb, &n0, &n1);
      ctx.k.sgemm(packed, M, K, m0, m1, B, trans_b ? K : N, trans_b, n0, n1, Y, N, ep);
    }
  });
}

void transpose_2d(const RunCtx& ctx, const float* Yt, int64_t N, int64_t R, float* Y) {
  constexpr int64_t kBlock = 32;  // 32x32 floats: source and destination rows stay in L1
  const int64_t nb = ceil_div(N, kBlock);
  ctx.pool.parallel_for(nb, [&](int64_t b, int64_t e) {
    for (int64_t bn = b; bn < e; ++bn) {
      const int64_t n0 = bn * kBlock, n1 = std::min(N, n0 + kBlock);
      for (int64_t r0 = 0; r0 < R; r0 += kBlock) {
        const int64_t r1 = std::min(R, r0 + kBlock);
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t n = n0; n < n1; ++n) Y[r * N + n] = Yt[n * R + r];
      }
    }
  });
}

}  // namespace studio
