#pragma once
// Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors
// (metadata.name, metadata.namespace, plus a few per-kind fields) as the API server parses them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

struct Requirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists } op;
  std::string key;
  std::vector<std::string> values;
};

class Selector {
 public:
  // Throws ApiError 400 on a malformed selector.
  static Selector parseLabels(const std::string& text);
  static Selector parseFields(const std::string& text);
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return reqs_.empty(); }

 private:
  bool fields_ = false;
  std::vector<Requirement> reqs_;
};

}  // namespace pmo::sandbox
