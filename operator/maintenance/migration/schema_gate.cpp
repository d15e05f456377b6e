#include "maintenance/migration/schema_gate.hpp"

#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"

namespace pmo::maintenance::schemagate {
namespace {

const char* kInitContainers = "/spec/template/spec/initContainers";

Json op(const std::string& kind, const std::string& path, const Json& value) {
  return Json{{"op", kind}, {"path", path}, {"value", value}};
}

Json rvTest(const Json& d) {
  return op("test", "/metadata/resourceVersion", d.value("/metadata/resourceVersion"_json_pointer, std::string()));
}

const Json& initContainers(const Json& d) {
  static const Json kNone;
  const Json::json_pointer ptr(kInitContainers);
  return d.contains(ptr) && d.at(ptr).is_array() ? d.at(ptr) : kNone;
}

std::optional<std::size_t> gateIndex(const Json& d) {
  const Json& list = initContainers(d);
  for (std::size_t i = 0; list.is_array() && i < list.size(); ++i)
    if (list[i].is_object() && list[i].value("name", "") == kGateContainer) return i;
  return std::nullopt;
}

bool namedIn(const Json& env, const char* name) {
  for (const auto& e : env)
    if (e.is_object() && e.value("name", "") == name) return true;
  return false;
}

}  // namespace

// POSIX sh (Phase's image is Alpine). `migrate --check` exits non-zero while the image ships
// a migration the database does not have, and also while the database cannot be reached:
// both mean "not yet". The last line of its output names which, and carries no secret
// (Django prints neither the password nor the DSN).
std::string gateScript() {
  return std::string(
             "timeout=\"${" ) + kEnvTimeout + ":-" + std::to_string(kDefaultTimeoutSeconds) + "}\"\n"
         "interval=\"${" + kEnvInterval + ":-" + std::to_string(kDefaultIntervalSeconds) + "}\"\n"
         "waited=0\n"
         "until out=\"$(python manage.py migrate --check 2>&1)\"; do\n"
         "  last=\"$(printf '%s\\n' \"$out\" | tail -n 1)\"\n"
         "  if [ \"$waited\" -eq 0 ]; then\n"
         "    echo \"" + kWaitingLogPrefix + " this image (python manage.py migrate --check: $last); "
         "waiting up to ${timeout}s\"\n"
         "  fi\n"
         "  if [ \"$waited\" -ge \"$timeout\" ]; then\n"
         "    echo \"wait-for-schema: the database still lacks migrations of this image after ${timeout}s "
         "($last); exiting so that the kubelet retries with backoff\"\n"
         "    exit 1\n"
         "  fi\n"
         "  sleep \"$interval\"\n"
         "  waited=$((waited + interval))\n"
         "done\n"
         "echo \"wait-for-schema: the database has every migration of this image\"\n";
}

std::optional<Json> gateContainer(const Json& deployment, const std::string& containerName) {
  const auto index = containerIndex(deployment, containerName);
  if (!index) return std::nullopt;
  const Json& c = deployment["spec"]["template"]["spec"]["containers"][*index];
  Json out = {{"name", kGateContainer}};
  // Same pod: every volume of the template is there, so the mounts are copied as they are.
  for (const char* key : {"image", "imagePullPolicy", "envFrom", "volumeMounts", "securityContext", "resources"})
    if (c.contains(key)) out[key] = c[key];
  out["command"] = Json::array({"/bin/sh", "-c", gateScript()});
  out["workingDir"] = c.contains("workingDir") && c["workingDir"].is_string() ? c["workingDir"]
                                                                               : Json(kDefaultWorkingDir);
  Json env = c.contains("env") && c["env"].is_array() ? c["env"] : Json::array();
  if (!namedIn(env, kEnvTimeout))
    env.push_back({{"name", kEnvTimeout}, {"value", std::to_string(kDefaultTimeoutSeconds)}});
  if (!namedIn(env, kEnvInterval))
    env.push_back({{"name", kEnvInterval}, {"value", std::to_string(kDefaultIntervalSeconds)}});
  out["env"] = env;
  return out;
}

Json ensureGateOps(const Json& d, const std::string& containerName, const std::string& pmName) {
  Json ops = Json::array();
  const auto want = gateContainer(d, containerName);
  if (!want) return ops;
  const Json& list = initContainers(d);
  if (auto i = gateIndex(d)) {
    const std::string path = std::string(kInitContainers) + "/" + std::to_string(*i);
    if (list[*i] != *want) {
      ops.push_back(op("test", path, list[*i]));
      ops.push_back(op("replace", path, *want));
    }
  } else if (list.is_array()) {
    ops.push_back(op("test", kInitContainers, list));
    ops.push_back(op("add", std::string(kInitContainers) + "/-", *want));
  } else {
    ops.push_back(rvTest(d));
    ops.push_back(op("add", kInitContainers, Json::array({*want})));
  }
  if (annotation(d, kGateAnnotation).value_or("") != pmName) ops = concatOps({ops, annotationOps(d, kGateAnnotation, pmName)});
  return ops;
}

Json removeGateOps(const Json& d) {
  Json ops = Json::array();
  if (auto i = gateIndex(d)) {
    const std::string path = std::string(kInitContainers) + "/" + std::to_string(*i);
    ops.push_back(op("test", path, initContainers(d)[*i]));
    ops.push_back(Json{{"op", "remove"}, {"path", path}});
  }
  if (auto value = annotation(d, kGateAnnotation)) {
    const std::string path = "/metadata/annotations/" + pointerToken(kGateAnnotation);
    ops.push_back(op("test", path, *value));
    ops.push_back(Json{{"op", "remove"}, {"path", path}});
  }
  return ops;
}

}  // namespace pmo::maintenance::schemagate
