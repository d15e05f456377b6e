#include "sandbox/pod_schema.hpp"

#include <array>
#include <cstdio>
#include <functional>

namespace pmo::sandbox {

namespace {
std::optional<std::array<long, 3>> parseVersion(const std::string& v) {
  std::array<long, 3> out{};
  int used = 0;
  if (std::sscanf(v.c_str(), "v%ld.%ld.%ld%n", &out[0], &out[1], &out[2], &used) != 3 ||
      used != static_cast<int>(v.size()))
    return std::nullopt;
  return out;
}

bool mentions(const nlohmann::json& list, const std::string& word) {
  if (!list.is_array()) return false;
  for (const auto& s : list)
    if (s.is_string() && s.get<std::string>().find(word) != std::string::npos) return true;
  return false;
}
}  // namespace

std::optional<int> compareVersions(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  auto pa = parseVersion(a), pb = parseVersion(b);
  if (!pa || !pb) return std::nullopt;
  return *pa < *pb ? -1 : 1;
}

std::string imageTag(const std::string& image) {
  if (auto at = image.find('@'); at != std::string::npos) return image.substr(at + 1);
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "";
  return image.substr(colon + 1);
}

std::string SchemaModel::imageVersion(const std::string& image) const {
  auto it = images_.find(image);
  return it != images_.end() ? it->second : imageTag(image);
}

std::string SchemaModel::resolvedImageId(const std::string& image) {
  const std::string version = imageVersion(image);
  std::string repo = image.substr(0, image.find('@'));
  const auto slash = repo.rfind('/'), colon = repo.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) repo = repo.substr(0, colon);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(version));
  const std::string id = repo + "@sha256:" + std::string(hex) + hex + hex + hex;
  images_[id] = version;
  return id;
}

std::string SchemaModel::version(const std::string& ns) const {
  auto it = history_.find(ns);
  return it == history_.end() || it->second.empty() ? "" : it->second.back().second;
}

std::string SchemaModel::versionAt(const std::string& ns, uint64_t rv) const {
  auto it = history_.find(ns);
  if (it == history_.end()) return "";
  std::string out;
  for (const auto& [at, v] : it->second)
    if (at <= rv) out = v;
  return out;
}

bool SchemaModel::advance(const std::string& ns, const std::string& v, uint64_t rv, bool force) {
  const std::string current = version(ns);
  if (v.empty() || v == current) return false;
  if (!force && !current.empty()) {
    auto c = compareVersions(v, current);
    if (!c || *c < 0) return false;  // older, or not comparable: the schema does not go back
  }
  history_[ns].push_back({rv, v});
  return true;
}

std::optional<std::string> migrationImage(const nlohmann::json& job) {
  const auto& spec = job.value("spec", nlohmann::json::object())
                         .value("template", nlohmann::json::object())
                         .value("spec", nlohmann::json::object());
  for (const auto& c : spec.value("containers", nlohmann::json::array())) {
    nlohmann::json words = nlohmann::json::array();
    for (const char* f : {"command", "args"})
      for (const auto& w : c.value(f, nlohmann::json::array())) words.push_back(w);
    if (mentions(words, "manage.py") && mentions(words, "migrate") && !mentions(words, "--check"))
      return c.value("image", "");
  }
  return std::nullopt;
}

const nlohmann::json* schemaGate(const nlohmann::json& podSpec) {
  if (!podSpec.contains("initContainers") || !podSpec["initContainers"].is_array()) return nullptr;
  for (const auto& c : podSpec["initContainers"])
    if (c.value("name", "") == kSchemaGateContainer) return &c;
  return nullptr;
}

const nlohmann::json* schemaProbeContainer(const nlohmann::json& podSpec) {
  if (!podSpec.contains("containers") || !podSpec["containers"].is_array()) return nullptr;
  for (const auto& c : podSpec["containers"]) {
    const auto cmd = c.value("/startupProbe/exec/command"_json_pointer, nlohmann::json::array());
    if (mentions(cmd, "manage.py") && mentions(cmd, "migrate") && mentions(cmd, "--check")) return &c;
  }
  return nullptr;
}

std::string schemaGateMode(const nlohmann::json& container) {
  const std::string assign = std::string(kSchemaGateModeEnv) + "=";
  for (const auto& word : container.value("/startupProbe/exec/command"_json_pointer, nlohmann::json::array())) {
    if (!word.is_string()) continue;
    const std::string text = word.get<std::string>();
    for (auto at = text.find(assign); at != std::string::npos; at = text.find(assign, at + 1))
      if (at == 0 || text[at - 1] == '\n') return text.substr(at + assign.size(), text.find('\n', at) - at - assign.size());
  }
  for (const auto& e : container.value("env", nlohmann::json::array()))
    if (e.is_object() && e.value("name", "") == kSchemaGateModeEnv && e.contains("value") && e["value"].is_string())
      return e["value"].get<std::string>();
  return "";
}

SchemaGateVerdict schemaGateVerdict(const std::string& schema, const std::string& image, const nlohmann::json& container) {
  const auto cmp = compareVersions(schema, image);
  if (schema.empty() || !cmp || *cmp < 0)
    return {false, "wait-for-schema: waiting for the migrations of " + image + " (the schema has " +
                       (schema.empty() ? std::string("none") : schema) + ")\n"};
  if (*cmp == 0) return {true, ""};
  const std::string ahead = "wait-for-schema: the database is ahead of this image: the schema has " + schema +
                            ", this image " + image;
  if (schemaGateMode(container) == "HoldRollout")
    return {true, ahead + "; starting anyway (gate HoldRollout: the previous version's code on a newer schema)\n"};
  return {false, ahead + "; this pod does not start (gate ScaleDown)\n"};
}

}  // namespace pmo::sandbox
