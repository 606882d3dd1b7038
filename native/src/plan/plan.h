// A compiled execution plan: per node the operator chosen at plan time and where each of its
// tensors lives. Built once per session (compile()), executed many times (session.h).
//
// Memory (memory.cc): every tensor lives in one of
//   - the caller's input buffer (graph inputs: read in place by an inline run, copied by the
//     binding for a run off the JS thread),
//   - a constant owned by the plan (kept only when some operator reads it at run time),
//   - the caller's output buffer (a graph output gets its producer to write there directly),
//   - the arena: one buffer for all intermediate tensors. Each tensor (after Alias, in-place and
//     concat-view merging, see memory.cc) gets an offset by liveness: two tensors share bytes
//     only if their lifetimes [producer, last consumer] do not overlap.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ops/op.h"
#include "plan/desc.h"

namespace studio {

/** Where a tensor's data is at run time: a base (by kind and index) plus an offset in floats. */
struct Location {
  enum class Kind : uint8_t { None, Input, Constant, Output, Arena } kind = Kind::None;
  int32_t index = 0;   // input, constant or output number
  int64_t offset = 0;  // floats from the base
  /** Floats per image of a batch segment's chunk-local tensor (storage for one chunk of images
   *  only, reused by every chunk; the session shifts the pointer back by n0 images); else 0. */
  int64_t image_stride = 0;
};

struct PlanNode {
  std::string name, op;
  OpPtr impl;
  std::vector<Location> in, out;  // Kind::None for absent inputs
};

/** A graph output that could not be computed in place and is copied at the end of a run. */
struct OutputCopy {
  Location from;
  int32_t output = 0;
  int64_t size = 0;
};

/**
 * Image-major execution of a chain of nodes (all with Op::batch_images() == images): the nodes
 * [begin, end) run on `chunk` images at a time, the whole chain per chunk, instead of each node
 * on the whole batch. A batch-8 MobileNetV2 block's 144-channel intermediates are 14.5 MB per
 * tensor, more than the caches hold, so node-major execution streams each through DRAM twice;
 * one image's (1.8 MB) stays in L2/L3 from its producer to its consumer (Zen 4, 1 thread, the
 * whole expand -> depthwise -> project block: 9.7 -> 6.4 ms). Every tensor a segment's nodes read or write is
 * kept live over the whole segment (memory.cc), so none shares storage with another of them.
 * A tensor produced and consumed only inside the segment gets storage for one chunk of images,
 * reused by every chunk (Location::image_stride): it never leaves the caches, and the arena
 * shrinks by the batch factor.
 */
struct Segment {
  int begin = 0, end = 0;
  int64_t images = 0, chunk = 1;
};

struct Plan {
  std::string isa;
  int threads = 1;
  const KernelTable* kernels = nullptr;
  std::vector<GraphInputDesc> inputs;
  std::vector<int64_t> input_sizes;
  std::vector<std::string> outputs;
  std::vector<Shape> output_shapes;
  std::vector<int64_t> output_sizes;
  std::vector<std::vector<float>> constants;  // emptied when no operator reads them at run time
  std::vector<PlanNode> nodes;
  std::vector<Segment> segments;  // ascending, disjoint
  std::vector<OutputCopy> copies;
  size_t arena_floats = 0;
  size_t workspace_floats = 0;
  size_t weight_bytes = 0;
};

/** Validates `desc` and compiles it; throws std::runtime_error (NodeError for a node's fault). */
std::unique_ptr<Plan> compile(GraphDesc desc, const KernelTable& kernels, int threads);

// ---- memory.cc ----
struct TensorUse {
  int64_t size = 0;
  int producer = -1;  // node index; -1 for inputs and constants
  int last_use = -1;  // last node reading it; nodes.size() for graph outputs
  Location fixed;     // Input/Constant for graph inputs and constants, else None
};

/**
 * Assigns a Location to every tensor (index into `tensors`) and fills plan.arena_floats and
 * plan.copies. `node_in` / `node_out` hold tensor indices per node (-1 = absent input).
 */
std::vector<Location> plan_memory(Plan& plan, const std::vector<TensorUse>& tensors,
                                  const std::vector<std::vector<int>>& node_in,
                                  const std::vector<std::vector<int>>& node_out, const std::vector<int>& graph_outputs);

}  // namespace studio
