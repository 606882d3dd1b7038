// NativeGraphDesc (native/DESIGN.md) as plain C++ values: binding.cc converts the JavaScript
// object into this (copying constant data, so the JS side may drop it), the planner validates it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace studio {

using Shape = std::vector<int64_t>;

struct AttrValue {
  enum class Kind { Number, Numbers, String } kind = Kind::Number;
  double number = 0;
  std::vector<double> numbers;
  std::string str;
};

struct NodeDesc {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;  // "" = optional input absent
  std::vector<std::string> outputs;
  std::map<std::string, AttrValue> attrs;
};

struct ConstantDesc {
  std::string name;
  Shape shape;
  std::vector<float> data;
};

struct GraphInputDesc {
  std::string name;
  Shape shape;
};

struct GraphDesc {
  std::vector<GraphInputDesc> inputs;
  std::vector<std::string> outputs;
  std::unordered_map<std::string, Shape> shapes;
  std::vector<ConstantDesc> constants;
  std::vector<NodeDesc> nodes;
};

/** Product of the dimensions; throws std::runtime_error naming `what` on a negative dimension or overflow. */
int64_t shape_size(const Shape& s, const std::string& what);
std::string shape_str(const Shape& s);

}  // namespace studio
