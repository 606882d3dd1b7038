#include "plan/session.h"

#include <chrono>
#include <cstring>

namespace studio {

Session::Session(std::unique_ptr<Plan> plan, std::shared_ptr<ThreadPool> pool)
    : plan_(std::move(plan)), pool_(std::move(pool)) {
  arena_.reset(plan_->arena_floats);
  workspace_.reset(plan_->workspace_floats);
}

void Session::run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  const Plan& p = *plan_;
  float* arena = arena_.data();
  auto at = [&](const Location& l) -> float* {
    switch (l.kind) {
      case Location::Kind::Input:
        return const_cast<float*>(inputs[l.index]) + l.offset;  // read only: no operator writes an input
      case Location::Kind::Constant:
        return const_cast<float*>(p.constants[l.index].data()) + l.offset;
      case Location::Kind::Output:
        return outputs[l.index] + l.offset;
      case Location::Kind::Arena:
        return arena + l.offset;
      default:
        return nullptr;
    }
  };
  RunCtx ctx{*pool_, *p.kernels, workspace_.data()};
  std::vector<const float*> in;
  std::vector<float*> out;
  if (profiling_ && times_.size() != p.nodes.size()) times_.assign(p.nodes.size(), NodeTime{});
  // n0 < 0: the whole node (run); else images [n0, n1) of a batch segment (run_images).
  auto run_node = [&](size_t i, int64_t n0, int64_t n1) {
    const PlanNode& n = p.nodes[i];
    const auto t0 = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    in.clear();
    out.clear();
    // A chunk-local tensor holds images [n0, n1) from its start: the op indexes image n at
    // n * stride, so its base is moved back by n0 images (never dereferenced there).
    auto at_images = [&](const Location& l) -> float* {
      float* q = at(l);
      return n0 > 0 && l.image_stride ? q - n0 * l.image_stride : q;
    };
    for (const Location& l : n.in) in.push_back(at_images(l));
    for (const Location& l : n.out) out.push_back(at_images(l));
    try {
      if (n0 < 0) n.impl->run(ctx, in.data(), out.data());
      else n.impl->run_images(ctx, in.data(), out.data(), n0, n1);
    } catch (const std::exception& e) {
      throw NodeError(n.name + " (" + n.op + "): " + e.what());
    }
    if (profiling_) {
      times_[i].total_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (n0 <= 0) times_[i].runs += 1;
    }
  };
  size_t seg = 0;
  for (size_t i = 0; i < p.nodes.size();) {
    if (seg < p.segments.size() && static_cast<size_t>(p.segments[seg].begin) == i) {
      const Segment& s = p.segments[seg++];
      for (int64_t n0 = 0; n0 < s.images; n0 += s.chunk)
        for (int j = s.begin; j < s.end; ++j) run_node(static_cast<size_t>(j), n0, std::min(s.images, n0 + s.chunk));
      i = static_cast<size_t>(s.end);
      continue;
    }
    run_node(i, -1, -1);
    ++i;
  }
  for (const OutputCopy& c : p.copies) std::memcpy(outputs[c.output], at(c.from), sizeof(float) * c.size);
  const auto took = std::chrono::steady_clock::now() - start;
  last_run_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count(), std::memory_order_relaxed);
}

std::vector<AlignedFloats> Session::take_staging() {
  {
    std::lock_guard<std::mutex> lock(staging_mu_);
    if (!staging_.empty()) {
      std::vector<AlignedFloats> bufs = std::move(staging_.back());
      staging_.pop_back();
      return bufs;
    }
  }
  std::vector<AlignedFloats> bufs;
  for (int64_t n : plan_->input_sizes) bufs.emplace_back(static_cast<size_t>(n));
  return bufs;
}

void Session::give_staging(std::vector<AlignedFloats> bufs) {
  std::lock_guard<std::mutex> lock(staging_mu_);
  if (staging_.size() < 2) staging_.push_back(std::move(bufs));  // more only when runs pile up
}

std::vector<Session::NodeTime> Session::profile() {
  std::lock_guard<std::mutex> lock(mu_);
  return times_;
}

}  // namespace studio
