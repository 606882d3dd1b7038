// The N-API surface of native/DESIGN.md: version, cpu(), createSession(desc, opts) -> session
// { run(inputs) -> Promise, plan(), release() }, peakGflops(opts), triadGBps(opts).
// Every entry point validates its arguments and turns C++ exceptions into JS Errors (the gyp
// target uses node-addon-api's "except_all" mode, which also converts std::exception), so bad
// input never takes the process down.
#include <napi.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "plan/session.h"
#include "runtime/cpu_features.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace studio {
namespace {

// ---------------------------------------------------------------- JS -> GraphDesc conversion

[[noreturn]] void type_error(Napi::Env env, const std::string& path, const std::string& what) {
  throw Napi::TypeError::New(env, "NativeGraphDesc: " + path + " must be " + what);
}

Napi::Value prop(const Napi::Object& o, const char* key) { return o.Get(key); }

Napi::Object as_object(const Napi::Value& v, const std::string& path) {
  if (!v.IsObject() || v.IsArray()) type_error(v.Env(), path, "an object");
  return v.As<Napi::Object>();
}

Napi::Array as_array(const Napi::Value& v, const std::string& path) {
  if (!v.IsArray()) type_error(v.Env(), path, "an array");
  return v.As<Napi::Array>();
}

std::string as_string(const Napi::Value& v, const std::string& path) {
  if (!v.IsString()) type_error(v.Env(), path, "a string");
  return v.As<Napi::String>().Utf8Value();
}

double as_number(const Napi::Value& v, const std::string& path) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) type_error(v.Env(), path, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

Shape as_shape(const Napi::Value& v, const std::string& path) {
  Napi::Array a = as_array(v, path);
  Shape s;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const double d = as_number(a.Get(i), path + "[" + std::to_string(i) + "]");
    if (!(d >= 0 && d <= 9e15 && d == std::floor(d))) type_error(v.Env(), path, "an array of non-negative integers");
    s.push_back(static_cast<int64_t>(d));
  }
  return s;
}

std::vector<std::string> as_strings(const Napi::Value& v, const std::string& path) {
  Napi::Array a = as_array(v, path);
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(as_string(a.Get(i), path + "[" + std::to_string(i) + "]"));
  return out;
}

AttrValue as_attr(const Napi::Value& v, const std::string& path) {
  AttrValue a;
  if (v.IsString()) {
    a.kind = AttrValue::Kind::String;
    a.str = v.As<Napi::String>().Utf8Value();
  } else if (v.IsArray()) {
    a.kind = AttrValue::Kind::Numbers;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) a.numbers.push_back(as_number(arr.Get(i), path + "[" + std::to_string(i) + "]"));
  } else if (v.IsNumber() || v.IsBoolean()) {
    a.number = as_number(v, path);
  } else {
    type_error(v.Env(), path, "a number, a number array or a string");
  }
  return a;
}

std::vector<float> as_floats(const Napi::Value& v, const std::string& path) {
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    Napi::Float32Array f = v.As<Napi::Float32Array>();
    return std::vector<float>(f.Data(), f.Data() + f.ElementLength());
  }
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    std::vector<float> out(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) out[i] = static_cast<float>(as_number(a.Get(i), path));
    return out;
  }
  type_error(v.Env(), path, "a Float32Array");
}

GraphDesc to_desc(const Napi::Value& value) {
  GraphDesc d;
  Napi::Object o = as_object(value, "desc");
  Napi::Array inputs = as_array(prop(o, "inputs"), "inputs");
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    const std::string p = "inputs[" + std::to_string(i) + "]";
    Napi::Object in = as_object(inputs.Get(i), p);
    d.inputs.push_back({as_string(prop(in, "name"), p + ".name"), as_shape(prop(in, "shape"), p + ".shape")});
  }
  d.outputs = as_strings(prop(o, "outputs"), "outputs");
  Napi::Object shapes = as_object(prop(o, "shapes"), "shapes");
  Napi::Array names = shapes.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).ToString().Utf8Value();
    d.shapes[name] = as_shape(shapes.Get(name), "shapes['" + name + "']");
  }
  const Napi::Value cv = prop(o, "constants");
  if (!cv.IsUndefined()) {
    Napi::Array consts = as_array(cv, "constants");
    for (uint32_t i = 0; i < consts.Length(); ++i) {
      const std::string p = "constants[" + std::to_string(i) + "]";
      Napi::Object c = as_object(consts.Get(i), p);
      d.constants.push_back({as_string(prop(c, "name"), p + ".name"), as_shape(prop(c, "shape"), p + ".shape"),
                             as_floats(prop(c, "data"), p + ".data")});
    }
  }
  Napi::Array nodes = as_array(prop(o, "nodes"), "nodes");
  for (uint32_t i = 0; i < nodes.Length(); ++i) {
    const std::string p = "nodes[" + std::to_string(i) + "]";
    Napi::Object n = as_object(nodes.Get(i), p);
    NodeDesc nd;
    nd.name = as_string(prop(n, "name"), p + ".name");
    nd.op = as_string(prop(n, "op"), p + ".op");
    nd.inputs = as_strings(prop(n, "inputs"), p + ".inputs");
    nd.outputs = as_strings(prop(n, "outputs"), p + ".outputs");
    const Napi::Value av = prop(n, "attrs");
    if (!av.IsUndefined() && !av.IsNull()) {
      Napi::Object attrs = as_object(av, p + ".attrs");
      Napi::Array keys = attrs.GetPropertyNames();
      for (uint32_t k = 0; k < keys.Length(); ++k) {
        const std::string key = keys.Get(k).ToString().Utf8Value();
        nd.attrs[key] = as_attr(attrs.Get(key), p + ".attrs." + key);
      }
    }
    d.nodes.push_back(std::move(nd));
  }
  return d;
}

// ---------------------------------------------------------------- options

int threads_opt(const Napi::Object& opts) {
  const Napi::Value v = opts.Get("threads");
  if (v.IsUndefined() || v.IsNull()) return default_threads();
  if (!v.IsNumber()) throw Napi::TypeError::New(opts.Env(), "opts.threads must be a number");
  const double t = v.As<Napi::Number>().DoubleValue();
  if (!(t >= 0 && t <= 1024 && t == std::floor(t)))
    throw Napi::RangeError::New(opts.Env(), "opts.threads must be an integer from 1 to 1024 (0 = default)");
  return t == 0 ? default_threads() : static_cast<int>(t);
}

std::string isa_opt(const Napi::Object& opts) {
  const Napi::Value v = opts.Get("isa");
  if (v.IsUndefined() || v.IsNull()) return "";
  if (!v.IsString()) throw Napi::TypeError::New(opts.Env(), "opts.isa must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double number_opt(const Napi::Object& opts, const char* key, double def, double lo, double hi) {
  const Napi::Value v = opts.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= lo && x <= hi))
    throw Napi::RangeError::New(opts.Env(), std::string("opts.") + key + " must be a number from " + std::to_string(lo) +
                                                " to " + std::to_string(hi));
  return x;
}

Napi::Object opts_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return Napi::Object::New(info.Env());
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "options must be an object");
  return info[i].As<Napi::Object>();
}

// ---------------------------------------------------------------- sessions

// Runs whose previous run took less than this execute on the JavaScript thread, inside run():
// handing a run to libuv's thread pool and back costs two cross-thread wake-ups, measured at
// 40-60 us per run on a 2-vCPU VM (an empty 1-node graph: ~2 us inline vs ~55 us through the
// AsyncWorker), i.e. half the latency of a 1x1 conv at batch 1. Longer runs go off the thread so
// the event loop keeps turning; ONNX Runtime's Node binding runs every inference inline.
constexpr int64_t kInlineRunNs = 5'000'000;
// An off-thread run first copies its inputs on the JS thread (the caller may reuse its arrays at
// once), which blocks that thread anyway and delays the run. Where that copy took at least 1/8 of
// the run itself (a block with a large input and little work per element: the bottleneck block at
// batch 8 copies 25.7 MB for a ~13 ms run), the run goes inline up to this long instead: the JS
// thread is blocked at most 8x as long as by the copy, and the copy and the hop are saved (the
// bottleneck block at batch 8, 1 thread, interleaved medians on a loaded 2-vCPU VM: 0.81-0.92x the
// time; inception, whose copy is ~5% of its run, stays off-thread).
constexpr int64_t kInlineLongRunNs = 50'000'000;

// Outputs are allocated on the JS thread (typed arrays cannot be created elsewhere) and written
// by the run: their backing stores do not move, and nothing in JS can see them before the
// promise resolves.
// Their memory comes from a Node Buffer (napi_create_buffer), which is not zero-filled: the run
// writes every element of every output (each is its producer's whole tensor, or an OutputCopy),
// and a failed run's outputs are dropped. A zero-filled Float32Array::New cost 22 us per run for
// the pointwise block's 401 KB output at batch 8 (calloc's memset; 0.4 us unfilled), 12% of the
// run (Zen 5, Node 20, medians of 4000). The Float32Array is a view of the whole buffer.
// A caller may pass its own output arrays instead (run(inputs, outputs)): the run writes into them
// and resolves with the same arrays. Reused from run to run, they spare the fresh pages of a new
// Buffer, whose first touch costs a page fault per 4 KiB inside the last node (about 14 us each on
// a shared VM: the pointwise block at batch 8 ran 0.16 ms per run without faults and up to 1.6 ms
// with them; native/DESIGN.md "Per-run overhead").
struct RunOutputs {
  std::vector<Napi::Float32Array> arrays;
  std::vector<float*> ptrs;
  RunOutputs(Napi::Env env, const Plan& p, const std::vector<Napi::Float32Array>* given = nullptr) {
    if (given) {
      arrays = *given;
      for (auto& a : arrays) ptrs.push_back(a.Data());
      return;
    }
    for (int64_t n : p.output_sizes) {
      const size_t count = static_cast<size_t>(n);
      Napi::Buffer<float> buf = Napi::Buffer<float>::New(env, count);
      arrays.push_back(Napi::Float32Array::New(env, count, buf.ArrayBuffer(), buf.ByteOffset()));
      ptrs.push_back(arrays.back().Data());
    }
  }
  Napi::Array to_js(Napi::Env env) const {
    Napi::Array out = Napi::Array::New(env, arrays.size());
    for (size_t j = 0; j < arrays.size(); ++j) out.Set(static_cast<uint32_t>(j), arrays[j]);
    return out;
  }
};

class RunWorker final : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::shared_ptr<Session> s, std::vector<AlignedFloats> inputs,
            const std::vector<Napi::Float32Array>* given_outputs)
      : Napi::AsyncWorker(env, "studio_native.run"), session_(std::move(s)), inputs_(std::move(inputs)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    RunOutputs o(env, session_->plan(), given_outputs);
    out_ptrs_ = o.ptrs;
    for (auto& a : o.arrays) outputs_.push_back(Napi::Persistent(a));
    session_->pool().async_runs().fetch_add(1);
  }
  ~RunWorker() override {
    session_->pool().async_runs().fetch_sub(1);
    session_->give_staging(std::move(inputs_));
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      std::vector<const float*> in;
      for (auto& b : inputs_) in.push_back(b.data());
      session_->run(in, out_ptrs_);
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error during run()");
    }
  }
  void OnOK() override {
    Napi::Array out = Napi::Array::New(Env(), outputs_.size());
    for (size_t j = 0; j < outputs_.size(); ++j) out.Set(static_cast<uint32_t>(j), outputs_[j].Value());
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<Session> session_;  // keeps the plan alive even if release() is called meanwhile
  std::vector<AlignedFloats> inputs_;
  std::vector<Napi::Reference<Napi::Float32Array>> outputs_;
  std::vector<float*> out_ptrs_;
  Napi::Promise::Deferred deferred_;
};

class SessionWrap final : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession",
                       {InstanceMethod<&SessionWrap::Run>("run"), InstanceMethod<&SessionWrap::PlanInfo>("plan"),
                        InstanceMethod<&SessionWrap::Profile>("profile"),
                        InstanceMethod<&SessionWrap::Release>("release")});
  }
  explicit SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {}
  void attach(std::shared_ptr<Session> s) { session_ = std::move(s); }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto reject = [&](const std::string& msg) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(Napi::Error::New(env, msg).Value());
      return d.Promise();
    };
    if (!session_) return reject("run(): the session was released");
    const Plan& p = session_->plan();
    if (info.Length() < 1 || !info[0].IsArray()) return reject("run(): expected an array of Float32Array inputs");
    Napi::Array arr = info[0].As<Napi::Array>();
    if (arr.Length() != p.inputs.size())
      return reject("run(): expected " + std::to_string(p.inputs.size()) + " input(s), got " + std::to_string(arr.Length()));
    std::vector<Napi::Float32Array> given;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const Napi::Value v = arr.Get(i);
      auto what = [&] {  // built only for an error: run() is on the per-inference path
        return "run(): input " + std::to_string(i) + " ('" + p.inputs[i].name + "', shape " +
               shape_str(p.inputs[i].shape) + ")";
      };
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        return reject(what() + " must be a Float32Array");
      Napi::Float32Array f = v.As<Napi::Float32Array>();
      if (static_cast<int64_t>(f.ElementLength()) != p.input_sizes[i])
        return reject(what() + " needs " + std::to_string(p.input_sizes[i]) + " floats, got " +
                      std::to_string(f.ElementLength()));
      given.push_back(f);
    }
    // Optional output arrays: one Float32Array per output, each exactly its output's size, none
    // sharing memory with an input or another output (the run reads inputs while it writes).
    std::vector<Napi::Float32Array> outs_given;
    if (info.Length() >= 2 && !info[1].IsUndefined()) {
      if (!info[1].IsArray()) return reject("run(): outputs must be an array of Float32Array");
      Napi::Array oa = info[1].As<Napi::Array>();
      if (oa.Length() != p.output_sizes.size())
        return reject("run(): expected " + std::to_string(p.output_sizes.size()) + " output array(s), got " +
                      std::to_string(oa.Length()));
      std::vector<std::pair<const char*, const char*>> spans;
      for (auto& f : given) {
        const char* b = reinterpret_cast<const char*>(f.Data());
        spans.emplace_back(b, b + f.ByteLength());
      }
      for (uint32_t j = 0; j < oa.Length(); ++j) {
        const Napi::Value v = oa.Get(j);
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
          return reject("run(): output " + std::to_string(j) + " must be a Float32Array");
        Napi::Float32Array f = v.As<Napi::Float32Array>();
        if (static_cast<int64_t>(f.ElementLength()) != p.output_sizes[j])
          return reject("run(): output " + std::to_string(j) + " needs " + std::to_string(p.output_sizes[j]) +
                        " floats, got " + std::to_string(f.ElementLength()));
        const char* b = reinterpret_cast<const char*>(f.Data());
        const char* e = b + f.ByteLength();
        for (auto& sp : spans)
          if (b < sp.second && sp.first < e)
            return reject("run(): output " + std::to_string(j) +
                          " shares memory with an input or another output; pass separate arrays");
        spans.emplace_back(b, e);
        outs_given.push_back(f);
      }
    }
    const std::vector<Napi::Float32Array>* outs_ptr = outs_given.empty() ? nullptr : &outs_given;
    // Inline only when nothing else runs on the pool: a run queued by another session sharing it
    // would make this thread wait for that run's jobs.
    const int64_t last = session_->last_run_ns();
    const int64_t copy = last_copy_ns_.load(std::memory_order_relaxed);
    const bool short_run = last > 0 && (last < kInlineRunNs || (last < kInlineLongRunNs && copy * 8 >= last));
    if (short_run && session_->pool().async_runs().load() == 0) {
      // The caller cannot touch its arrays until run() returns: read them in place, no copy.
      std::vector<const float*> in;
      for (auto& f : given) in.push_back(f.Data());
      RunOutputs outs(env, p, outs_ptr);
      try {
        session_->run(in, outs.ptrs);
      } catch (const std::exception& e) {
        return reject(e.what());
      }
      auto d = Napi::Promise::Deferred::New(env);
      d.Resolve(outs.to_js(env));
      return d.Promise();
    }
    // Copied now, so the caller may reuse its arrays while the run is in flight.
    std::vector<AlignedFloats> inputs = session_->take_staging();
    const auto c0 = std::chrono::steady_clock::now();
    copy_inputs(given, inputs);
    last_copy_ns_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - c0).count(),
        std::memory_order_relaxed);
    auto* worker = new RunWorker(env, session_, std::move(inputs), outs_ptr);
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  // The staging copy is on the run's critical path (the bottleneck block's 25.7 MB input at batch 8:
  // several ms, a fixed cost that 2 threads did not shrink), so the session's threads share it, in
  // 1 MiB pieces, when no other run is using the pool (the JS thread must not wait for its jobs).
  void copy_inputs(const std::vector<Napi::Float32Array>& given, std::vector<AlignedFloats>& inputs) {
    constexpr int64_t kPiece = int64_t(1) << 18;  // floats
    ThreadPool& pool = session_->pool();
    for (size_t i = 0; i < given.size(); ++i) {
      const float* src = given[i].Data();
      float* dst = inputs[i].data();
      const int64_t n = static_cast<int64_t>(given[i].ElementLength());
      if (pool.size() == 1 || n < 2 * kPiece || pool.async_runs().load() != 0) {
        std::copy(src, src + n, dst);
        continue;
      }
      pool.parallel_for(ceil_div(n, kPiece), [&](int64_t b, int64_t e) {
        const int64_t lo = b * kPiece, hi = std::min(n, e * kPiece);
        std::memcpy(dst + lo, src + lo, sizeof(float) * static_cast<size_t>(hi - lo));
      });
    }
  }

  Napi::Value PlanInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_) throw Napi::Error::New(env, "plan(): the session was released");
    const Plan& p = session_->plan();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", p.isa);
    o.Set("threads", p.threads);
    o.Set("arenaBytes", static_cast<double>(p.arena_floats * sizeof(float)));
    o.Set("weightBytes", static_cast<double>(p.weight_bytes));
    o.Set("workspaceBytes", static_cast<double>(p.workspace_floats * sizeof(float)));
    Napi::Array nodes = Napi::Array::New(env, p.nodes.size());
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      Napi::Object n = Napi::Object::New(env);
      n.Set("name", p.nodes[i].name);
      n.Set("op", p.nodes[i].op);
      n.Set("kernel", p.nodes[i].impl->kernel());
      nodes.Set(static_cast<uint32_t>(i), n);
    }
    o.Set("nodes", nodes);
    Napi::Array segs = Napi::Array::New(env, p.segments.size());
    for (size_t i = 0; i < p.segments.size(); ++i) {
      Napi::Object sg = Napi::Object::New(env);
      sg.Set("firstNode", p.segments[i].begin);
      sg.Set("endNode", p.segments[i].end);
      sg.Set("images", static_cast<double>(p.segments[i].images));
      sg.Set("chunk", static_cast<double>(p.segments[i].chunk));
      segs.Set(static_cast<uint32_t>(i), sg);
    }
    o.Set("segments", segs);
    return o;
  }

  Napi::Value Profile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_) throw Napi::Error::New(env, "profile(): the session was released");
    const Plan& p = session_->plan();
    const std::vector<Session::NodeTime> t = session_->profile();
    Napi::Array nodes = Napi::Array::New(env, t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      Napi::Object n = Napi::Object::New(env);
      n.Set("name", p.nodes[i].name);
      n.Set("op", p.nodes[i].op);
      n.Set("kernel", p.nodes[i].impl->kernel());
      n.Set("meanUs", t[i].runs ? t[i].total_us / static_cast<double>(t[i].runs) : 0.0);
      n.Set("runs", static_cast<double>(t[i].runs));
      nodes.Set(static_cast<uint32_t>(i), n);
    }
    return nodes;
  }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    session_.reset();  // an in-flight run keeps its own reference
    return info.Env().Undefined();
  }

  std::shared_ptr<Session> session_;
  std::atomic<int64_t> last_copy_ns_{0};  // the last staging copy (JS thread), see kInlineLongRunNs
};

struct AddonData {
  Napi::FunctionReference session_ctor;
};

Napi::Value CreateSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw Napi::TypeError::New(env, "createSession(desc, opts): desc is required");
  GraphDesc desc = to_desc(info[0]);
  Napi::Object opts = opts_arg(info, 1);
  const int threads = threads_opt(opts);
  const KernelTable* k = select_kernels(isa_opt(opts));
  std::shared_ptr<Session> session;
  try {
    std::unique_ptr<Plan> plan = compile(std::move(desc), *k, threads);
    const double mb = static_cast<double>((plan->arena_floats + plan->workspace_floats) * sizeof(float)) / 1e6;
    try {
      session = std::make_shared<Session>(std::move(plan), ThreadPool::shared(threads));
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "createSession: out of memory allocating " + std::to_string(mb) +
                                      " MB of activation arena and workspace");
    }
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "createSession: out of memory while packing the weights");
  }
  const Napi::Value prof = opts.Get("profile");
  session->set_profiling(prof.IsBoolean() && prof.As<Napi::Boolean>().Value());
  Napi::Object obj = env.GetInstanceData<AddonData>()->session_ctor.New({});
  SessionWrap::Unwrap(obj)->attach(std::move(session));
  return obj;
}

Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto to_array = [&](const std::vector<std::string>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), v[i]);
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("features", to_array(cpu_features().names()));
  o.Set("isaPaths", to_array(usable_isas()));
  o.Set("defaultIsa", default_isa());
  o.Set("tuning", gemm_tuning(default_isa()));
  const CpuFeatures& f = cpu_features();
  o.Set("vendor", f.vendor);
  o.Set("family", f.family);
  o.Set("model", f.model);
  return o;
}

// ---------------------------------------------------------------- roofline probes

Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  Napi::Object opts = opts_arg(info, 0);
  const int threads = threads_opt(opts);
  const KernelTable* k = select_kernels(isa_opt(opts));
  const double seconds = number_opt(opts, "seconds", 0.25, 0.001, 60);
  auto pool = ThreadPool::shared(threads);
  std::vector<double> flops(static_cast<size_t>(threads), 0.0);
  const auto t0 = std::chrono::steady_clock::now();
  pool->run(threads, [&](int i, int) { flops[i] = k->fma_peak(seconds); });
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0;
  for (double f : flops) total += f;
  return Napi::Number::New(info.Env(), total / dt / 1e9);
}

Napi::Value TriadGBps(const Napi::CallbackInfo& info) {
  Napi::Object opts = opts_arg(info, 0);
  const int threads = threads_opt(opts);
  const KernelTable* k = select_kernels(isa_opt(opts));
  const double bytes = number_opt(opts, "bytes", 3.0 * 64 * 1024 * 1024, 3.0 * 4096, 3.0 * 4 * 1024 * 1024 * 1024.0);
  const double seconds = number_opt(opts, "seconds", 0.5, 0.001, 60);
  const int64_t n = static_cast<int64_t>(bytes / 12) / 16 * 16;  // floats per array (3 arrays)
  AlignedFloats a(n), b(n), c(n);
  auto pool = ThreadPool::shared(threads);
  // Each thread touches (and so, on NUMA systems, places) the slice it will stream.
  pool->parallel_for(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) a.data()[i] = 0.f, b.data()[i] = 1.f, c.data()[i] = 2.f;
  });
  double best = 1e30, spent = 0;
  for (int rep = 0; rep < 3 || spent < seconds; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    pool->parallel_for(n, [&](int64_t s, int64_t e) { k->triad(a.data() + s, b.data() + s, c.data() + s, 3.f, e - s, 1); });
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, dt);
    spent += dt;
    if (rep > 10000) break;
  }
  // STREAM's convention: two arrays read and one written per element.
  return Napi::Number::New(info.Env(), 3.0 * 4.0 * static_cast<double>(n) / best / 1e9);
}

// Test hook, not a feature: aborts the process (a native crash, SIGABRT) so that the tests can check
// how the job queue records a worker that dies inside native code. It does nothing but throw unless
// the environment variable STUDIO_TEST_NATIVE_ABORT is exactly "1".
Napi::Value TestAbort(const Napi::CallbackInfo& info) {
  const char* on = std::getenv("STUDIO_TEST_NATIVE_ABORT");
  if (on == nullptr || std::string(on) != "1")
    throw Napi::Error::New(info.Env(), "testAbort is a test hook: it runs only with STUDIO_TEST_NATIVE_ABORT=1");
  std::abort();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->session_ctor = Napi::Persistent(SessionWrap::Define(env));
  env.SetInstanceData(data);
  exports.Set("version", Napi::String::New(env, STUDIO_NATIVE_VERSION));
  exports.Set("cpu", Napi::Function::New(env, Cpu, "cpu"));
  exports.Set("createSession", Napi::Function::New(env, CreateSession, "createSession"));
  exports.Set("peakGflops", Napi::Function::New(env, PeakGflops, "peakGflops"));
  exports.Set("triadGBps", Napi::Function::New(env, TriadGBps, "triadGBps"));
  exports.Set("testAbort", Napi::Function::New(env, TestAbort, "testAbort"));
  return exports;
}

}  // namespace
}  // namespace studio

static Napi::Object InitStudioNative(Napi::Env env, Napi::Object exports) { return studio::Init(env, exports); }
NODE_API_MODULE(studio_native, InitStudioNative)
