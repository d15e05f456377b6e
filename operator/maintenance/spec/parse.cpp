// parseSpec: the PhaseMaintenance spec from the API object, with the CRD's defaults.
//
// Guarantees: never throws on any JSON input; every type mismatch and unknown field
// becomes a FieldError naming its path ("spec.database.port"); a field that fails to
// parse keeps its default, and validateSpec() then checks the result, so one call reports
// every problem with the resource. Defaults are the CRD's (tests/unit/crd_test.cpp checks).
#include <climits>
#include <initializer_list>
#include <limits>
#include <set>

#include "maintenance/spec/spec.hpp"

namespace pmo::maintenance {
namespace {

using nlohmann::json;

std::string valueText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A member of the spec that must be an object, with its path ("spec.database.tls").
struct Section {
  const json* node = nullptr;  // nullptr: absent or null, or not an object (reported)
  std::string path;
  explicit operator bool() const { return node != nullptr; }
  const json& operator*() const { return *node; }
};

class Reader {
 public:
  explicit Reader(std::vector<FieldError>& errors) : errors_(errors) {}

  void invalid(const std::string& path, const json& value, const std::string& message) {
    errors_.push_back({path, valueText(value), message, FieldError::Kind::Invalid});
  }
  void required(const std::string& path, const std::string& message) {
    errors_.push_back({path, "", message, FieldError::Kind::Required});
  }

  // The member `key` of `parent`, or nullptr when absent or null (null means unset, as
  // the API server treats it for non-nullable fields).
  static const json* member(const json& parent, const char* key) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // Checks `node` is an object and reports members the schema does not know.
  bool object(const json& node, const std::string& path, std::initializer_list<const char*> known) {
    if (!node.is_object()) {
      invalid(path, node, "must be an object");
      return false;
    }
    std::set<std::string> allowed(known.begin(), known.end());
    std::string explainPath;  // kubectl explain takes the path without list indices
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '[') i = path.find(']', i);
      else explainPath += path[i];
      if (i == std::string::npos) break;
    }
    for (auto it = node.begin(); it != node.end(); ++it)
      if (!allowed.count(it.key()))
        errors_.push_back({path + "." + it.key(), it.key(),
                           "not in the PhaseMaintenance schema; check the spelling "
                           "(kubectl explain phasemaintenance." + explainPath + ")",
                           FieldError::Kind::Unknown});
    return true;
  }

  // The member `key` of `parent` (at `parentPath`) as a Section whose members were checked
  // against `known`; an empty Section when it is absent or null, or not an object.
  Section section(const json& parent, const std::string& parentPath, const char* key,
                  std::initializer_list<const char*> known) {
    Section s{member(parent, key), parentPath + "." + key};
    if (s.node && !object(*s.node, s.path, known)) s.node = nullptr;
    return s;
  }

  void string(const json& obj, const char* key, const std::string& path, std::string& out) {
    if (const json* v = member(obj, key)) {
      if (v->is_string()) out = v->get<std::string>();
      else invalid(path + "." + key, *v, "must be a string");
    }
  }

  void boolean(const json& obj, const char* key, const std::string& path, bool& out) {
    if (const json* v = member(obj, key)) {
      if (v->is_boolean()) out = v->get<bool>();
      else invalid(path + "." + key, *v, "must be a boolean (true or false)");
    }
  }

  template <typename Int>
  void integer(const json& obj, const char* key, const std::string& path, Int& out) {
    const json* v = member(obj, key);
    if (!v) return;
    if (!v->is_number_integer()) {
      invalid(path + "." + key, *v, "must be an integer");
      return;
    }
    // Wider than any bound in the schema: the value is kept only if it fits, and
    // validateSpec() then applies the schema's minimum and maximum.
    if (v->is_number_unsigned() && v->get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX)) {
      invalid(path + "." + key, *v, "is out of range");
      return;
    }
    long long n = v->get<long long>();
    if (n < static_cast<long long>(std::numeric_limits<Int>::min()) ||
        n > static_cast<long long>(std::numeric_limits<Int>::max())) {
      invalid(path + "." + key, *v, "is out of range");
      return;
    }
    out = static_cast<Int>(n);
  }

  void stringList(const json& obj, const char* key, const std::string& path,
                  std::vector<std::string>& out) {
    const json* v = member(obj, key);
    if (!v) return;
    std::string field = path + "." + key;
    if (!v->is_array()) {
      invalid(field, *v, "must be a list of strings");
      return;
    }
    out.clear();
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& item = (*v)[i];
      if (item.is_string()) out.push_back(item.get<std::string>());
      else invalid(field + "[" + std::to_string(i) + "]", item, "must be a string");
    }
  }

 private:
  std::vector<FieldError>& errors_;
};

void parseWorkload(Reader& r, const json& spec, const std::string& path, const char* key,
                   WorkloadRef& out) {
  const Section w = r.section(spec, path, key, {"deployment", "container"});
  if (!w) return;
  r.string(*w, "deployment", w.path, out.deployment);
  r.string(*w, "container", w.path, out.container);
}

// A {name, key} reference whose key defaults to `defaultKey`, as the CRD defaults it.
std::optional<SecretKeyRef> parseKeyRef(Reader& r, const json& parent, const char* key, const std::string& path,
                                        const char* defaultKey) {
  const Section node = r.section(parent, path, key, {"name", "key"});
  if (!node) return std::nullopt;
  SecretKeyRef ref{"", defaultKey};
  r.string(*node, "name", node.path, ref.name);
  r.string(*node, "key", node.path, ref.key);
  return ref;
}

void parseDatabaseTls(Reader& r, const json& database, const std::string& path, DatabaseTlsSpec& tls) {
  const Section node = r.section(database, path, "tls", {"ca", "clientCertSecretRef"});
  if (!node) return;
  if (const Section ca = r.section(*node, node.path, "ca", {"secretKeyRef", "configMapKeyRef"})) {
    tls.caGiven = true;
    tls.caSecret = parseKeyRef(r, *ca, "secretKeyRef", ca.path, "ca.crt");
    tls.caConfigMap = parseKeyRef(r, *ca, "configMapKeyRef", ca.path, "ca.crt");
  }
  if (const Section client = r.section(*node, node.path, "clientCertSecretRef", {"name"}))
    r.string(*client, "name", client.path, tls.clientCertSecret);
}

void parseDatabase(Reader& r, const json& spec, DatabaseSpec& db) {
  const json* d = Reader::member(spec, "database");
  const std::string p = "spec.database";
  if (!d) {
    r.required(p, "say where Phase's PostgreSQL is: host, name, user and passwordSecretRef");
    return;
  }
  if (!r.object(*d, p, {"host", "port", "name", "user", "passwordSecretRef", "sslMode", "tls"})) return;
  r.string(*d, "host", p, db.host);
  r.integer(*d, "port", p, db.port);
  r.string(*d, "name", p, db.name);
  r.string(*d, "user", p, db.user);
  parseDatabaseTls(r, *d, p, db.tls);
  // No CRD default: an absent sslMode means verify-full with a CA, as Phase does.
  db.sslMode = db.tls.hasCa() ? "verify-full" : "prefer";
  r.string(*d, "sslMode", p, db.sslMode);
  db.passwordSecretRef.key = "DATABASE_PASSWORD";  // the CRD default, used when key is absent
  if (const Section ref = r.section(*d, p, "passwordSecretRef", {"name", "key"})) {
    r.string(*ref, "name", ref.path, db.passwordSecretRef.name);
    r.string(*ref, "key", ref.path, db.passwordSecretRef.key);
  }
}

void parseMigrations(Reader& r, const json& spec, MigrationsSpec& m) {
  const json* node = Reader::member(spec, "migrations");
  const std::string p = "spec.migrations";
  if (!node || !r.object(*node, p, {"gate", "backup", "allowDowngrade", "podGate", "backoffLimit",
                                    "activeDeadlineSeconds"}))
    return;
  if (const json* gate = Reader::member(*node, "gate")) {
    if (*gate == "HoldRollout") m.gate = MigrationGate::HoldRollout;
    else if (*gate == "ScaleDown") m.gate = MigrationGate::ScaleDown;
    else
      r.invalid(p + ".gate", *gate,
                "must be HoldRollout (old pods keep serving while migrating) or ScaleDown "
                "(backend and worker at 0 replicas while migrating)");
  }
  if (const json* b = Reader::member(*node, "backup")) {
    std::string bp = p + ".backup";
    if (r.object(*b, bp, {"enabled", "persistentVolumeClaim", "keep", "image"})) {
      r.boolean(*b, "enabled", bp, m.backup.enabled);
      r.string(*b, "persistentVolumeClaim", bp, m.backup.persistentVolumeClaim);
      r.integer(*b, "keep", bp, m.backup.keep);
      r.string(*b, "image", bp, m.backup.image);
    }
  }
  r.boolean(*node, "allowDowngrade", p, m.allowDowngrade);
  r.boolean(*node, "podGate", p, m.podGate);
  r.integer(*node, "backoffLimit", p, m.backoffLimit);
  r.integer(*node, "activeDeadlineSeconds", p, m.activeDeadlineSeconds);
}

void parseAuditLogs(Reader& r, const json& spec, AuditLogsSpec& a) {
  const Section node = r.section(spec, "spec", "auditLogs",
                                 {"purge", "vacuum", "timeZone", "startingDeadlineSeconds",
                                  "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "resources"});
  if (!node) return;
  const std::string& p = node.path;
  if (const json* purge = Reader::member(*node, "purge")) {
    if (!purge->is_array()) {
      r.invalid(p + ".purge", *purge, "must be a list of purge rules");
    } else {
      for (std::size_t i = 0; i < purge->size(); ++i) {
        std::string rp = p + ".purge[" + std::to_string(i) + "]";
        PurgeRule rule;
        rule.schedule = "0 3 * * *";
        if (!r.object((*purge)[i], rp, {"organisation", "retainDays", "appId", "schedule"})) continue;
        r.string((*purge)[i], "organisation", rp, rule.organisation);
        r.integer((*purge)[i], "retainDays", rp, rule.retainDays);
        r.string((*purge)[i], "appId", rp, rule.appId);
        r.string((*purge)[i], "schedule", rp, rule.schedule);
        a.purge.push_back(rule);
      }
    }
  }
  if (const Section v = r.section(*node, p, "vacuum", {"schedule", "full", "method", "lockTimeout", "minDeadTuples"})) {
    VacuumSpec vacuum;
    vacuum.schedule = "30 3 * * 0";
    r.string(*v, "schedule", v.path, vacuum.schedule);
    r.boolean(*v, "full", v.path, vacuum.full);
    r.string(*v, "method", v.path, vacuum.method);
    r.string(*v, "lockTimeout", v.path, vacuum.lockTimeout);
    r.integer(*v, "minDeadTuples", v.path, vacuum.minDeadTuples);
    a.vacuum = vacuum;
  }
  r.string(*node, "timeZone", p, a.timeZone);
  r.integer(*node, "startingDeadlineSeconds", p, a.startingDeadlineSeconds);
  r.integer(*node, "successfulJobsHistoryLimit", p, a.successfulJobsHistoryLimit);
  r.integer(*node, "failedJobsHistoryLimit", p, a.failedJobsHistoryLimit);
  if (const Section res = r.section(*node, p, "resources", {"requests", "limits"})) {
    json parsed = json::object();
    for (const char* key : {"requests", "limits"}) {
      const json* map = Reader::member(*res, key);
      if (!map) continue;
      if (!map->is_object()) {
        r.invalid(res.path + "." + key, *map, "must be a map of resource name to quantity");
        continue;
      }
      json entries = json::object();
      for (auto it = map->begin(); it != map->end(); ++it) {
        if (it->is_string() || it->is_number_integer()) entries[it.key()] = *it;
        else
          r.invalid(res.path + "." + key + "." + it.key(), *it, "must be a quantity such as \"100m\" or \"128Mi\"");
      }
      parsed[key] = entries;
    }
    a.resources = parsed;
  }
}

// The fields every break-glass request has: the requestId that makes it run once, and the
// organisations it names.
template <class Request>
void parseRequest(Reader& r, const Section& node, Request& req) {
  r.string(*node, "requestId", node.path, req.requestId);
  r.stringList(*node, "organisations", node.path, req.organisations);
}

void parseRecovery(Reader& r, const json& spec, RecoverySpec& rec) {
  const Section node = r.section(spec, "spec", "recovery", {"resetGlobalNetworkPolicies", "disableSSOEnforcement"});
  if (!node) return;
  if (const Section n =
          r.section(*node, node.path, "resetGlobalNetworkPolicies", {"requestId", "organisations", "restoreAfter"})) {
    ResetNetworkPoliciesRequest req;
    parseRequest(r, n, req);
    r.string(*n, "restoreAfter", n.path, req.restoreAfter);
    rec.resetGlobalNetworkPolicies = req;
  }
  if (const Section n =
          r.section(*node, node.path, "disableSSOEnforcement", {"requestId", "organisations", "disableProviders"})) {
    DisableSSORequest req;
    parseRequest(r, n, req);
    r.boolean(*n, "disableProviders", n.path, req.disableProviders);
    rec.disableSSOEnforcement = req;
  }
}

bool coveredBy(const FieldError& e, const std::vector<FieldError>& parseErrors) {
  for (const auto& pe : parseErrors) {
    if (e.field == pe.field) return true;
    if (e.field.size() > pe.field.size() && e.field.compare(0, pe.field.size(), pe.field) == 0 &&
        (e.field[pe.field.size()] == '.' || e.field[pe.field.size()] == '['))
      return true;
  }
  return false;
}

}  // namespace

SpecParseResult parseSpec(const nlohmann::json& object) {
  SpecParseResult result;
  Reader r(result.errors);
  const json* spec = object.is_object() ? Reader::member(object, "spec") : nullptr;
  if (!spec) {
    r.required("spec", "a PhaseMaintenance needs a spec with at least spec.database");
    return result;
  }
  if (!r.object(*spec, "spec", {"version", "backendImage", "operatorImage", "workloads",
                                "database", "migrations", "auditLogs", "recovery", "suspend"}))
    return result;
  PhaseMaintenanceSpec& s = result.spec;
  r.string(*spec, "version", "spec", s.version);
  r.string(*spec, "backendImage", "spec", s.backendImage);
  r.string(*spec, "operatorImage", "spec", s.operatorImage);
  if (const Section w = r.section(*spec, "spec", "workloads", {"backend", "worker"})) {
    parseWorkload(r, *w, w.path, "backend", s.backend);
    parseWorkload(r, *w, w.path, "worker", s.worker);
  }
  parseDatabase(r, *spec, s.database);
  parseMigrations(r, *spec, s.migrations);
  parseAuditLogs(r, *spec, s.auditLogs);
  parseRecovery(r, *spec, s.recovery);
  r.boolean(*spec, "suspend", "spec", s.suspend);

  // Validate what was read; a field that already failed to parse is not reported twice.
  const std::vector<FieldError> parseErrors = result.errors;
  for (auto& e : validateSpec(s))
    if (!coveredBy(e, parseErrors)) result.errors.push_back(std::move(e));
  return result;
}

}  // namespace pmo::maintenance
