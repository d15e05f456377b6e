// FakeClient's label and field selectors: equality-based label selectors and the
// metadata.name / metadata.namespace field selectors, as list and watch take them.
#include <sstream>

#include "support/fake_client_internal.hpp"

namespace pmo::testing::fake_detail {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::vector<Requirement> parseLabelSelector(const std::string& selector) {
  std::vector<Requirement> out;
  if (trim(selector).empty()) return out;
  if (selector.find('(') != std::string::npos) {
    throw ApiError(ErrorReason::BadRequest, 400, "fake: set-based label selectors are not supported: " + selector);
  }
  std::stringstream ss(selector);
  std::string part;
  while (std::getline(ss, part, ',')) {
    part = trim(part);
    if (part.empty()) throw ApiError(ErrorReason::BadRequest, 400, "invalid label selector: " + selector);
    std::size_t pos;
    if ((pos = part.find("!=")) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::NotEq, trim(part.substr(pos + 2))});
    } else if ((pos = part.find("==")) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::Eq, trim(part.substr(pos + 2))});
    } else if ((pos = part.find('=')) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::Eq, trim(part.substr(pos + 1))});
    } else if (part[0] == '!') {
      out.push_back({trim(part.substr(1)), Requirement::NotExists, ""});
    } else {
      out.push_back({part, Requirement::Exists, ""});
    }
  }
  return out;
}

}  // namespace

Filter Filter::make(const std::string& ns, const std::string& labelSelector, const std::string& fieldSelector) {
  Filter f;
  f.ns = ns;
  f.labels = parseLabelSelector(labelSelector);
  if (!trim(fieldSelector).empty()) {
    std::stringstream ss(fieldSelector);
    std::string part;
    while (std::getline(ss, part, ',')) {
      const auto pos = part.find('=');
      const std::string field = pos == std::string::npos ? "" : trim(part.substr(0, pos));
      if (field != "metadata.name" && field != "metadata.namespace") {
        throw ApiError(ErrorReason::BadRequest, 400, "fake: unsupported field selector: " + part);
      }
      f.fields.emplace_back(field, trim(part.substr(pos + (part.compare(pos, 2, "==") == 0 ? 2 : 1))));
    }
  }
  return f;
}

bool Filter::matches(const Json& obj) const {
  const Json& md = obj.at("metadata");
  if (!ns.empty() && md.value("namespace", "") != ns) return false;
  const Json objLabels = md.value("labels", Json::object());
  for (const auto& r : labels) {
    const bool has = objLabels.contains(r.key);
    const std::string v = has && objLabels[r.key].is_string() ? objLabels[r.key].get<std::string>() : "";
    switch (r.op) {
      case Requirement::Eq: if (!has || v != r.value) return false; break;
      case Requirement::NotEq: if (has && v == r.value) return false; break;
      case Requirement::Exists: if (!has) return false; break;
      case Requirement::NotExists: if (has) return false; break;
    }
  }
  for (const auto& [field, value] : fields) {
    const std::string actual = md.value(field == "metadata.name" ? "name" : "namespace", "");
    if (actual != value) return false;
  }
  return true;
}

long parseRv(const std::string& s) {
  if (s.empty()) return 0;
  try {
    return std::stol(s);
  } catch (...) {
    throw ApiError(ErrorReason::BadRequest, 400, "invalid resourceVersion \"" + s + "\"");
  }
}

}  // namespace pmo::testing::fake_detail
