#include "maintenance/migration/schema_gate.hpp"

#include <algorithm>

#include "maintenance/image_ref.hpp"
#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"

namespace pmo::maintenance::schemagate {
namespace {

const char* kInitContainers = "/spec/template/spec/initContainers";
const char* kContainers = "/spec/template/spec/containers";

Json op(const std::string& kind, const std::string& path, const Json& value) {
  return Json{{"op", kind}, {"path", path}, {"value", value}};
}
Json removeOp(const std::string& path) { return Json{{"op", "remove"}, {"path", path}}; }

Json rvTest(const Json& d) {
  return op("test", "/metadata/resourceVersion", d.value("/metadata/resourceVersion"_json_pointer, std::string()));
}

const Json& listAt(const Json& d, const char* path) {
  static const Json kNone;
  const Json::json_pointer ptr(path);
  return d.contains(ptr) && d.at(ptr).is_array() ? d.at(ptr) : kNone;
}

std::optional<std::size_t> gateIndex(const Json& d) {
  const Json& list = listAt(d, kInitContainers);
  for (std::size_t i = 0; list.is_array() && i < list.size(); ++i)
    if (list[i].is_object() && list[i].value("name", "") == kGateContainer) return i;
  return std::nullopt;
}

bool namedIn(const Json& env, const char* name) {
  for (const auto& e : env)
    if (e.is_object() && e.value("name", "") == name) return true;
  return false;
}

// A positive whole number set literally in the container's env as `name`, else `fallback`.
int envSeconds(const Json& c, const char* name, int fallback) {
  for (const auto& e : c.value("env", Json::array())) {
    if (!e.is_object() || e.value("name", "") != name || !e.contains("value") || !e["value"].is_string()) continue;
    const std::string v = e["value"].get<std::string>();
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) return fallback;
    const int n = std::stoi(v);
    return n > 0 ? n : fallback;
  }
  return fallback;
}

void setDefault(Json& o, const char* key, const Json& value) {
  if (!o.contains(key)) o[key] = value;
}

// A container as kube-apiserver stores it (SetDefaults_Container, pkg/apis/core/v1/defaults.go):
// what the operator wrote compares equal to what it reads back.
Json normalizedContainer(Json c) {
  if (!c.is_object()) return c;
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  setDefault(c, "resources", Json::object());
  if (!c.contains("imagePullPolicy")) {
    const auto ref = parseImageRef(c.value("image", ""));
    c["imagePullPolicy"] = ref.digest.empty() && (ref.tag.empty() || ref.tag == "latest") ? "Always" : "IfNotPresent";
  }
  return c;
}

// A probe as kube-apiserver stores it (SetDefaults_Probe; initialDelaySeconds 0 is omitted).
Json normalizedProbe(Json p) {
  if (!p.is_object()) return p;
  setDefault(p, "timeoutSeconds", 1);
  setDefault(p, "periodSeconds", 10);
  setDefault(p, "successThreshold", 1);
  setDefault(p, "failureThreshold", 3);
  if (p.value("initialDelaySeconds", 0) == 0) p.erase("initialDelaySeconds");
  return p;
}

std::string containerPath(std::size_t i) { return std::string(kContainers) + "/" + std::to_string(i); }

}  // namespace

const char* modeName(MigrationGate mode) { return mode == MigrationGate::ScaleDown ? "ScaleDown" : "HoldRollout"; }

namespace {

// Python for `manage.py shell -c`: the migrations recorded in django_migrations that this
// image does not know. Django's MigrationLoader(connection) reads the recorded ones
// (applied_migrations) and the image's files (disk_migrations). Counted as ahead: a recorded
// migration of an app the image has (migrated_apps), missing from its files, not named in
// the `replaces` of one of its squashed migrations, and numbered after the app's last
// migration file (the NNNN_ prefix of makemigrations). Left out, because Django itself
// ignores them and they never go away: rows of apps the image does not have (an app removed
// from INSTALLED_APPS) and rows of files deleted after a squash (numbered at or before the
// squash). Prints one line starting "schema-ahead"; exits 3 when some are ahead, 2 when the
// table cannot be read (the exception's class only: its text could carry the DSN), 0 else.
// No single quote (the shell quotes it with them); plain loops only, no comprehension or
// nested function (older Django runs the code as a function body, where those cannot see
// its names).
const char* kAheadPython =
    "import sys\n"
    "from django.db import connection\n"
    "from django.db.migrations.loader import MigrationLoader\n"
    "try:\n"
    "    loader = MigrationLoader(connection, ignore_no_migrations=True)\n"
    "    applied = set(loader.applied_migrations)\n"
    "except Exception as e:\n"
    "    print(\"schema-ahead-error: django_migrations could not be read (\" + type(e).__name__ + \")\")\n"
    "    sys.exit(2)\n"
    "disk = set(loader.disk_migrations)\n"
    "replaced = set()\n"
    "last = {}\n"
    "for key in disk:\n"
    "    for r in getattr(loader.disk_migrations[key], \"replaces\", None) or []:\n"
    "        replaced.add(tuple(r))\n"
    "    n = key[1].split(\"_\")[0]\n"
    "    if n.isdigit() and int(n) > last.get(key[0], -1):\n"
    "        last[key[0]] = int(n)\n"
    "ahead = []\n"
    "for key in sorted(applied):\n"
    "    n = key[1].split(\"_\")[0]\n"
    "    if key[0] in loader.migrated_apps and key not in disk and key not in replaced and n.isdigit() "
    "and int(n) > last.get(key[0], -1):\n"
    "        ahead.append(key[0] + \".\" + key[1])\n"
    "if ahead:\n"
    "    more = \"\"\n"
    "    if len(ahead) > 5:\n"
    "        more = \" and \" + str(len(ahead) - 5) + \" more\"\n"
    "    print(\"schema-ahead: the database has \" + str(len(ahead)) + \" migration(s) this image does not: \" "
    "+ \", \".join(ahead[:5]) + more)\n"
    "    sys.exit(3)\n"
    "print(\"schema-ahead: none\")\n";

}  // namespace

// POSIX sh (Phase's image is Alpine). `migrate --check` exits non-zero while the image ships
// a migration the database does not have, and also while the database cannot be reached:
// both mean "not yet". The last line of its output names which, and carries no secret
// (Django prints neither the password nor the DSN). Then the schema-ahead check (kAheadPython),
// whose result the mode decides: ScaleDown refuses (status 3), HoldRollout warns once and
// passes; a failure of that check itself holds the pod under ScaleDown only (under
// HoldRollout it could not change the outcome). Of its output only its own "schema-ahead"
// line is shown. Both scripts run this one function, so the init container and the startup
// probe cannot disagree on what "ready" means.
std::string checkScript() {
  return std::string("schema_ahead_py='") + kAheadPython + "'\n" +
         "schema_check() {\n"
         "  out=\"$(python manage.py migrate --check 2>&1)\"\n"
         "  status=$?\n"
         "  last=\"$(printf '%s\\n' \"$out\" | tail -n 1)\"\n"
         "  why=\"" + kWaitingLogPrefix + " this image (python manage.py migrate --check: $last)\"\n"
         "  [ \"$status\" -eq 0 ] || return \"$status\"\n"
         "  out=\"$(python manage.py shell -c \"$schema_ahead_py\" 2>&1)\"\n"
         "  status=$?\n"
         "  [ \"$status\" -eq 0 ] && return 0\n"
         "  last=\"$(printf '%s\\n' \"$out\" | grep '^schema-ahead' | tail -n 1)\"\n"
         "  [ -n \"$last\" ] || last=\"schema-ahead-error: python manage.py shell exited with $status\"\n"
         "  if [ \"$status\" -eq 3 ]; then\n"
         "    why=\"" + kAheadLogPrefix + " ${last#schema-ahead: }\"\n"
         "  else\n"
         "    why=\"wait-for-schema: the check for migrations this image does not know failed (${last#schema-ahead-error: })\"\n"
         "  fi\n"
         "  if [ \"${" + kEnvMode + ":-ScaleDown}\" = HoldRollout ]; then\n"
         "    echo \"$why; starting anyway (gate HoldRollout: the previous version's code on a newer schema)\"\n"
         "    return 0\n"
         "  fi\n"
         "  [ \"$status\" -eq 3 ] && why=\"$why; this pod does not start (gate ScaleDown): set the image back to the "
         "version the database was migrated to, or use gate HoldRollout\"\n"
         "  return \"$status\"\n"
         "}\n";
}

std::string gateScript() {
  return checkScript() +
         "timeout=\"${" + kEnvTimeout + ":-" + std::to_string(kDefaultTimeoutSeconds) + "}\"\n"
         "interval=\"${" + kEnvInterval + ":-" + std::to_string(kDefaultIntervalSeconds) + "}\"\n"
         "waited=0\n"
         "until schema_check; do\n"
         "  if [ \"$waited\" -eq 0 ]; then\n"
         "    echo \"$why; waiting up to ${timeout}s\"\n"
         "  fi\n"
         "  if [ \"$waited\" -ge \"$timeout\" ]; then\n"
         "    echo \"wait-for-schema: still not ready after ${timeout}s ($last); exiting so that the kubelet "
         "retries with backoff\"\n"
         "    exit 1\n"
         "  fi\n"
         "  sleep \"$interval\"\n"
         "  waited=$((waited + interval))\n"
         "done\n"
         "echo \"wait-for-schema: the database has every migration of this image\"\n";
}

// The kubelet records the output of a failed probe in the pod's Events ("Startup probe
// failed: ..."), so the line says what the pod waits for. The mode is set in the script:
// the probe runs in the main container, whose env the operator does not own.
std::string probeScript(MigrationGate mode) {
  return std::string(kProbeMarker) + "\n" + kEnvMode + "=" + modeName(mode) + "\n" + checkScript() +
         "schema_check && exit 0\n"
         "echo \"$why\"\n"
         "exit 1\n";
}

std::optional<Json> gateContainer(const Json& deployment, const std::string& containerName, MigrationGate mode) {
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
  Json env = Json::array();
  for (const auto& e : c.contains("env") && c["env"].is_array() ? c["env"] : Json::array())
    if (!e.is_object() || e.value("name", "") != kEnvMode) env.push_back(e);  // the operator's mode, not a copy
  if (!namedIn(env, kEnvTimeout))
    env.push_back({{"name", kEnvTimeout}, {"value", std::to_string(kDefaultTimeoutSeconds)}});
  if (!namedIn(env, kEnvInterval))
    env.push_back({{"name", kEnvInterval}, {"value", std::to_string(kDefaultIntervalSeconds)}});
  env.push_back({{"name", kEnvMode}, {"value", modeName(mode)}});
  out["env"] = env;
  return out;
}

std::optional<Json> startupProbe(const Json& deployment, const std::string& containerName, MigrationGate mode) {
  const auto index = containerIndex(deployment, containerName);
  if (!index) return std::nullopt;
  const Json& c = deployment["spec"]["template"]["spec"]["containers"][*index];
  const int interval = envSeconds(c, kEnvInterval, kDefaultIntervalSeconds);
  const int timeout = envSeconds(c, kEnvTimeout, kDefaultTimeoutSeconds);
  // every field kube-apiserver would default is set, so the stored probe equals this one
  return Json{{"exec", {{"command", Json::array({"/bin/sh", "-c", probeScript(mode)})}}},
              {"timeoutSeconds", kProbeTimeoutSeconds},
              {"periodSeconds", interval},
              {"successThreshold", 1},
              {"failureThreshold", std::max(1, (timeout + interval - 1) / interval)}};
}

bool isGateProbe(const Json& probe) {
  const Json cmd = probe.is_object() ? probe.value("/exec/command"_json_pointer, Json()) : Json();
  return cmd.is_array() && cmd.size() == 3 && cmd[2].is_string() &&
         cmd[2].get<std::string>().rfind(kProbeMarker, 0) == 0;
}

GateOps ensureGate(const Json& d, const std::string& containerName, const std::string& pmName, MigrationGate mode) {
  GateOps out;
  Json& ops = out.ops;
  const auto want = gateContainer(d, containerName, mode);
  if (!want) return out;
  const Json& list = listAt(d, kInitContainers);
  if (auto i = gateIndex(d)) {
    const std::string path = std::string(kInitContainers) + "/" + std::to_string(*i);
    if (normalizedContainer(list[*i]) != normalizedContainer(*want)) {
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
  const std::size_t index = *containerIndex(d, containerName);
  const Json& c = d["spec"]["template"]["spec"]["containers"][index];
  const std::string probePath = containerPath(index) + "/startupProbe";
  const Json probe = *startupProbe(d, containerName, mode);
  if (!c.contains("startupProbe") || c["startupProbe"].is_null()) {
    // `add` would replace a probe set concurrently: the guard is the whole container as
    // planned from (not the resourceVersion, which every status write of a rollout moves)
    ops.push_back(op("test", containerPath(index), c));
    ops.push_back(op("add", probePath, probe));
  } else if (!isGateProbe(c["startupProbe"])) {
    out.foreignProbe = true;
  } else if (normalizedProbe(c["startupProbe"]) != normalizedProbe(probe)) {
    ops.push_back(op("test", probePath, c["startupProbe"]));
    ops.push_back(op("replace", probePath, probe));
  }
  if (annotation(d, kGateAnnotation).value_or("") != pmName) ops = concatOps({ops, annotationOps(d, kGateAnnotation, pmName)});
  return out;
}

Json removeGateOps(const Json& d) {
  Json ops = Json::array();
  if (auto i = gateIndex(d)) {
    const std::string path = std::string(kInitContainers) + "/" + std::to_string(*i);
    ops.push_back(op("test", path, listAt(d, kInitContainers)[*i]));
    ops.push_back(removeOp(path));
  }
  const Json& containers = listAt(d, kContainers);
  for (std::size_t i = 0; containers.is_array() && i < containers.size(); ++i) {
    if (!containers[i].is_object() || !isGateProbe(containers[i].value("startupProbe", Json()))) continue;
    const std::string path = containerPath(i) + "/startupProbe";
    ops.push_back(op("test", path, containers[i]["startupProbe"]));
    ops.push_back(removeOp(path));
  }
  if (auto value = annotation(d, kGateAnnotation)) {
    const std::string path = "/metadata/annotations/" + pointerToken(kGateAnnotation);
    ops.push_back(op("test", path, *value));
    ops.push_back(removeOp(path));
  }
  return ops;
}

}  // namespace pmo::maintenance::schemagate
