// Ported from kubernetes/kubernetes pkg/controller/deployment/util/deployment_util.go,
// pkg/controller/controller_utils.go (ComputeHash) and apimachinery's intstr and rand
// (GetScaledValueFromIntOrPercent, SafeEncodeString). The rules, not the code.
#include "sandbox/deployment_util.hpp"

#include <climits>
#include <cmath>
#include <ctime>

#include "runtime/time_format.hpp"

namespace pmo::sandbox::deployutil {

namespace {

const Json& specOf(const Json& o) {
  static const Json empty = Json::object();
  auto it = o.find("spec");
  return it != o.end() && it->is_object() ? *it : empty;
}

// intstr.GetScaledValueFromIntOrPercent; a malformed value counts as 0 (validation refuses it).
long scaled(const Json& v, long total, bool roundUp) {
  if (v.is_number_integer()) return v.get<long>();
  if (!v.is_string()) return 0;
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') return 0;
  s.pop_back();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return 0;
  const double value = static_cast<double>(std::stol(s)) * static_cast<double>(total) / 100.0;
  return static_cast<long>(roundUp ? std::ceil(value) : std::floor(value));
}

// ResolveFenceposts: surge rounds up, unavailable down; both 0 means unavailable 1.
std::pair<long, long> fenceposts(const Json& d) {
  const Json strategy = specOf(d).value("strategy", Json::object());
  const Json rolling = strategy.value("rollingUpdate", Json{{"maxSurge", "25%"}, {"maxUnavailable", "25%"}});
  const long desired = replicas(d);
  long surge = scaled(rolling.value("maxSurge", Json(0)), desired, true);
  long unavailable = scaled(rolling.value("maxUnavailable", Json(0)), desired, false);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

// What Go's typed decoding makes of a template: no nulls, no empty maps or lists.
Json normalized(const Json& v) {
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      Json c = normalized(it.value());
      if (c.is_null() || ((c.is_object() || c.is_array()) && c.empty())) continue;
      out[it.key()] = std::move(c);
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(normalized(e));
    return out;
  }
  return v;
}

Json withoutHash(const Json& podTemplate) {
  Json t = podTemplate;
  if (t.is_object() && t.contains("metadata") && t["metadata"].is_object() && t["metadata"].contains("labels") &&
      t["metadata"]["labels"].is_object())
    t["metadata"]["labels"].erase(kHashLabel);
  return normalized(t);
}

}  // namespace

long replicas(const Json& o) {
  const Json& spec = specOf(o);
  auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? it->get<long>() : 1;
}

long statusCount(const Json& o, const char* field) {
  auto st = o.find("status");
  if (st == o.end() || !st->is_object()) return 0;
  auto it = st->find(field);
  return it != st->end() && it->is_number_integer() ? it->get<long>() : 0;
}

bool isRollingUpdate(const Json& d) {
  return specOf(d).value("strategy", Json::object()).value("type", "RollingUpdate") == "RollingUpdate";
}

long maxSurge(const Json& d) { return isRollingUpdate(d) ? fenceposts(d).first : 0; }

long maxUnavailable(const Json& d) {
  if (!isRollingUpdate(d) || replicas(d) == 0) return 0;
  return std::min(fenceposts(d).second, replicas(d));
}

long progressDeadlineSeconds(const Json& d) {
  auto it = specOf(d).find("progressDeadlineSeconds");
  return it != specOf(d).end() && it->is_number_integer() ? it->get<long>() : 600;
}

bool hasProgressDeadline(const Json& d) { return progressDeadlineSeconds(d) != INT_MAX; }

long revisionHistoryLimit(const Json& d) {
  auto it = specOf(d).find("revisionHistoryLimit");
  return it != specOf(d).end() && it->is_number_integer() ? it->get<long>() : 10;
}

std::string podTemplateHash(const Json& podTemplate) {
  uint32_t h = 2166136261u;  // FNV-1a, as ComputeHash (over a canonical form of the template)
  for (unsigned char c : withoutHash(podTemplate).dump()) {
    h ^= c;
    h *= 16777619u;
  }
  static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out += alphanums[static_cast<unsigned char>(c) % 27];
  return out;
}

bool equalIgnoreHash(const Json& a, const Json& b) { return withoutHash(a) == withoutHash(b); }

std::string annotation(const Json& o, const char* key) {
  auto m = o.find("metadata");
  if (m == o.end() || !m->contains("annotations") || !(*m)["annotations"].is_object()) return "";
  const Json& a = (*m)["annotations"];
  auto it = a.find(key);
  return it != a.end() && it->is_string() ? it->get<std::string>() : "";
}

long revision(const Json& rs) {
  const std::string v = annotation(rs, kRevision);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stol(v);
}

bool selectorMatches(const Json& sel, const Json& labels) {
  if (!sel.is_object()) return false;
  auto label = [&](const std::string& k) -> const Json* {
    if (!labels.is_object()) return nullptr;
    auto it = labels.find(k);
    return it == labels.end() ? nullptr : &*it;
  };
  const Json matchLabels = sel.value("matchLabels", Json::object());
  for (const auto& [k, v] : matchLabels.items()) {
    const Json* l = label(k);
    if (!l || *l != v) return false;
  }
  for (const auto& e : sel.value("matchExpressions", Json::array())) {
    const std::string op = e.value("operator", "");
    const Json* l = label(e.value("key", ""));
    const Json values = e.value("values", Json::array());
    const bool in = l && std::find(values.begin(), values.end(), *l) != values.end();
    if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !l) || (op == "DoesNotExist" && l))
      return false;
  }
  return true;
}

bool setReplicasAnnotations(Json& rs, long desired, long max) {
  Json& a = rs["metadata"]["annotations"];
  if (!a.is_object()) a = Json::object();
  bool changed = false;
  for (auto [key, value] : {std::pair{kDesiredReplicas, desired}, std::pair{kMaxReplicas, max}}) {
    if (a.value(key, "") == std::to_string(value)) continue;
    a[key] = std::to_string(value);
    changed = true;
  }
  return changed;
}

bool setNewReplicaSetAnnotations(const Json& d, Json& rs, long newRevision, bool exists) {
  static const char* skipped[] = {"kubectl.kubernetes.io/last-applied-configuration", kRevision, kRevisionHistory,
                                  kDesiredReplicas, kMaxReplicas, "deprecated.deployment.rollback.to"};
  Json& a = rs["metadata"]["annotations"];
  if (!a.is_object()) a = Json::object();
  bool changed = false;
  const Json fromDeployment = d["metadata"].value("annotations", Json::object());
  for (const auto& [k, v] : fromDeployment.items()) {
    if (std::find(std::begin(skipped), std::end(skipped), k) != std::end(skipped) || (a.contains(k) && a[k] == v))
      continue;
    a[k] = v;
    changed = true;
  }
  const std::string oldRevision = a.value(kRevision, "");
  const long oldRevisionInt = revision(rs);
  if (!oldRevision.empty() && oldRevisionInt == 0 && oldRevision != "0") return false;  // not a number
  if (oldRevisionInt < newRevision) {
    a[kRevision] = std::to_string(newRevision);
    changed = true;
    if (!oldRevision.empty()) {  // a rollback to this ReplicaSet: keep its old revisions (<= 2000 chars)
      std::string history = a.value(kRevisionHistory, "");
      history = history.empty() ? oldRevision : history + "," + oldRevision;
      while (history.size() > 2000 && history.find(',') != std::string::npos) history.erase(0, history.find(',') + 1);
      a[kRevisionHistory] = history;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicas(d), replicas(d) + maxSurge(d))) changed = true;
  return changed;
}

bool setDeploymentRevision(Json& d, const std::string& rev) {
  Json& a = d["metadata"]["annotations"];
  if (!a.is_object()) a = Json::object();
  if (a.value(kRevision, "") == rev) return false;
  a[kRevision] = rev;
  return true;
}

Json newCondition(const std::string& type, const std::string& status, const std::string& reason,
                  const std::string& message, const std::string& now) {
  return {{"type", type}, {"status", status}, {"lastUpdateTime", now}, {"lastTransitionTime", now},
          {"reason", reason}, {"message", message}};
}

Json getCondition(const Json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (const auto& c : status["conditions"])
    if (c.value("type", "") == type) return c;
  return nullptr;
}

void removeCondition(Json& status, const std::string& type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return;
  Json kept = Json::array();
  for (const auto& c : status["conditions"])
    if (c.value("type", "") != type) kept.push_back(c);
  status["conditions"] = kept;
  if (kept.empty()) status.erase("conditions");
}

void setCondition(Json& status, Json condition) {
  const std::string type = condition.value("type", "");
  const Json current = getCondition(status, type);
  if (!current.is_null() && current.value("status", "") == condition.value("status", "") &&
      current.value("reason", "") == condition.value("reason", ""))
    return;
  if (!current.is_null() && current.value("status", "") == condition.value("status", ""))
    condition["lastTransitionTime"] = current.value("lastTransitionTime", "");
  removeCondition(status, type);
  status["conditions"].push_back(std::move(condition));
}

bool deploymentComplete(const Json& d, const Json& s) {
  const long want = replicas(d);
  auto count = [&](const char* f) { return s.contains(f) && s[f].is_number_integer() ? s[f].get<long>() : 0L; };
  return count("updatedReplicas") == want && count("replicas") == want && count("availableReplicas") == want &&
         count("observedGeneration") >= d["metadata"].value("generation", 0L);
}

bool deploymentProgressing(const Json& d, const Json& s) {
  auto now = [&](const char* f) { return s.contains(f) && s[f].is_number_integer() ? s[f].get<long>() : 0L; };
  auto old = [&](const char* f) { return statusCount(d, f); };
  return now("updatedReplicas") > old("updatedReplicas") ||
         now("replicas") - now("updatedReplicas") < old("replicas") - old("updatedReplicas") ||
         now("readyReplicas") > old("readyReplicas") || now("availableReplicas") > old("availableReplicas");
}

std::chrono::system_clock::time_point progressDeadline(const Json& d, const Json& condition) {
  return runtime::parseTime(condition.value("lastUpdateTime", "")).value_or(std::chrono::system_clock::time_point{}) + std::chrono::seconds(progressDeadlineSeconds(d));
}

bool deploymentTimedOut(const Json& d, const Json& s, std::chrono::system_clock::time_point now) {
  if (!hasProgressDeadline(d)) return false;
  const Json c = getCondition(s, "Progressing");
  if (c.is_null() || c.value("reason", "") == "NewReplicaSetAvailable") return false;
  if (c.value("reason", "") == "ProgressDeadlineExceeded") return true;
  return progressDeadline(d, c) < now;
}

}  // namespace pmo::sandbox::deployutil
