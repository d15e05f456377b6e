#include "maintenance/migration/deployment_patch.hpp"

#include <cctype>

#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/image_ref.hpp"
#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

Json op(const std::string& kind, const std::string& path, const Json& value) {
  return Json{{"op", kind}, {"path", path}, {"value", value}};
}
Json removeOp(const std::string& path) { return Json{{"op", "remove"}, {"path", path}}; }

std::string resourceVersion(const Json& d) {
  return d.value("/metadata/resourceVersion"_json_pointer, std::string());
}

Json rvTest(const Json& d) { return op("test", "/metadata/resourceVersion", resourceVersion(d)); }

bool hasAnnotationsMap(const Json& d) {
  return d.contains("metadata") && d["metadata"].contains("annotations") &&
         d["metadata"]["annotations"].is_object();
}

std::string annotationPath(const std::string& key) {
  return "/metadata/annotations/" + pointerToken(key);
}

// Adds annotation `key`: into the existing map, or creates the map (guarded by
// resourceVersion, since `add` of the whole map would replace one made concurrently).
void addAnnotation(Json& ops, const Json& d, const std::string& key, const std::string& value) {
  if (hasAnnotationsMap(d)) {
    ops.push_back(op("add", annotationPath(key), value));
  } else {
    ops.push_back(rvTest(d));
    ops.push_back(op("add", "/metadata/annotations", Json{{key, value}}));
  }
}

// Sets spec.<field> to `value`, guarded by a test of the observed value (or of the
// resourceVersion when the field is absent).
void setSpecField(Json& ops, const Json& d, const std::string& field, const Json& value) {
  const std::string path = "/spec/" + field;
  if (d.contains("spec") && d["spec"].contains(field)) {
    ops.push_back(op("test", path, d["spec"][field]));
    ops.push_back(op("replace", path, value));
  } else {
    ops.push_back(rvTest(d));
    ops.push_back(op("add", path, value));
  }
}

std::optional<int> parseCount(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoi(s);
}

std::string containerPath(std::size_t index) {
  return "/spec/template/spec/containers/" + std::to_string(index);
}

}  // namespace

Json pausePatch(const Json& d) {
  Json ops = Json::array();
  if (isPaused(d)) return ops;
  setSpecField(ops, d, "paused", true);
  addAnnotation(ops, d, annotations::kPausedByOperator, "true");
  return ops;
}

Json scaleDownPatch(const Json& d) {
  Json ops = Json::array();
  const int replicas = desiredReplicas(d);
  if (annotation(d, annotations::kReplicasBefore)) {
    if (replicas != 0) setSpecField(ops, d, "replicas", 0);
    return ops;
  }
  setSpecField(ops, d, "replicas", 0);
  addAnnotation(ops, d, annotations::kReplicasBefore, std::to_string(replicas));
  return ops;
}

Json releaseOps(const Json& d) {
  Json ops = Json::array();
  if (auto before = annotation(d, annotations::kReplicasBefore)) {
    ops.push_back(op("test", annotationPath(annotations::kReplicasBefore), *before));
    if (auto n = parseCount(*before); n && *n != desiredReplicas(d)) setSpecField(ops, d, "replicas", *n);
    ops.push_back(removeOp(annotationPath(annotations::kReplicasBefore)));
  }
  if (auto ours = annotation(d, annotations::kPausedByOperator)) {
    ops.push_back(op("test", annotationPath(annotations::kPausedByOperator), *ours));
    if (isPaused(d)) setSpecField(ops, d, "paused", false);
    ops.push_back(removeOp(annotationPath(annotations::kPausedByOperator)));
  }
  return ops;
}

Json imageOps(const Json& d, const std::string& container, const std::string& repository,
              const std::string& tag) {
  Json ops = Json::array();
  const auto index = containerIndex(d, container);
  if (!index) return ops;
  const Json& c = d["spec"]["template"]["spec"]["containers"][*index];
  const std::string path = containerPath(*index);
  if (c.contains("image") && c["image"].is_string() &&
      imageMatches(c["image"].get<std::string>(), repository, tag))
    return ops;
  ops.push_back(op("test", path + "/name", container));
  if (c.contains("image")) {
    ops.push_back(op("test", path + "/image", c["image"]));
    ops.push_back(op("replace", path + "/image", repository + ":" + tag));
  } else {
    ops.push_back(rvTest(d));
    ops.push_back(op("add", path + "/image", repository + ":" + tag));
  }
  return ops;
}

namespace {

const char* kExternalMigration = "EXTERNAL_MIGRATION";

Json externalMigrationEnvOps(const Json& d, const std::string& container, std::string& before) {
  const Json wanted = {{"name", kExternalMigration}, {"value", "true"}};
  Json ops = Json::array();
  const auto index = containerIndex(d, container);
  if (!index) return ops;
  const Json& c = d["spec"]["template"]["spec"]["containers"][*index];
  const std::string path = containerPath(*index);
  before = annotations::kExternalMigrationAbsent;
  if (!c.contains("env") || !c["env"].is_array()) {
    ops.push_back(op("test", path + "/name", container));
    ops.push_back(rvTest(d));
    ops.push_back(op("add", path + "/env", Json::array({wanted})));
    return ops;
  }
  const Json& env = c["env"];
  for (std::size_t j = 0; j < env.size(); ++j) {
    if (env[j].value("name", "") != kExternalMigration) continue;
    if (env[j] == wanted) return ops;
    const std::string entry = path + "/env/" + std::to_string(j);
    before = env[j].dump();
    ops.push_back(op("test", path + "/name", container));
    ops.push_back(op("test", entry, env[j]));
    ops.push_back(op("replace", entry, wanted));
    return ops;
  }
  ops.push_back(op("test", path + "/name", container));
  ops.push_back(op("test", path + "/env", env));
  ops.push_back(op("add", path + "/env/-", wanted));
  return ops;
}

}  // namespace

Json externalMigrationOps(const Json& d, const std::string& container) {
  std::string before;
  Json ops = externalMigrationEnvOps(d, container, before);
  if (ops.empty() || annotation(d, annotations::kExternalMigrationBefore)) return ops;
  return concatOps({ops, annotationOps(d.patch(ops), annotations::kExternalMigrationBefore, before)});
}

Json externalMigrationReleaseOps(const Json& d) {
  Json ops = Json::array();
  const auto before = annotation(d, annotations::kExternalMigrationBefore);
  if (!before) return ops;
  const Json wanted = {{"name", kExternalMigration}, {"value", "true"}};
  Json restore;  // null: remove the entry
  if (*before != annotations::kExternalMigrationAbsent) {
    restore = Json::parse(*before, nullptr, false);
    if (!restore.is_object() || restore.value("name", "") != kExternalMigration) restore = Json();  // unreadable
  }
  const bool readable = *before == annotations::kExternalMigrationAbsent || !restore.is_null();
  const Json containers = d.value("/spec/template/spec/containers"_json_pointer, Json::array());
  for (std::size_t i = 0; readable && containers.is_array() && i < containers.size(); ++i) {
    const Json env = containers[i].is_object() ? containers[i].value("env", Json::array()) : Json::array();
    for (std::size_t j = 0; env.is_array() && j < env.size(); ++j) {
      if (env[j] != wanted) continue;
      const std::string entry = containerPath(i) + "/env/" + std::to_string(j);
      ops.push_back(op("test", entry, env[j]));
      if (restore.is_null() && env.size() == 1) ops.push_back(removeOp(containerPath(i) + "/env"));  // it was absent
      else ops.push_back(restore.is_null() ? removeOp(entry) : op("replace", entry, restore));
      break;
    }
    if (!ops.empty()) break;
  }
  ops.push_back(op("test", annotationPath(annotations::kExternalMigrationBefore), *before));
  ops.push_back(removeOp(annotationPath(annotations::kExternalMigrationBefore)));
  return ops;
}

Json annotationOps(const Json& d, const std::string& key, const std::string& value) {
  Json ops = Json::array();
  const auto old = annotation(d, key);
  if (old == value) return ops;
  if (old) ops.push_back(op("test", annotationPath(key), *old));
  addAnnotation(ops, d, key, value);
  return ops;
}

Json concatOps(std::initializer_list<Json> parts) {
  Json out = Json::array();
  for (const auto& p : parts)
    for (const auto& o : p) out.push_back(o);
  return out;
}

}  // namespace pmo::maintenance
