#include "controller/phase_reconciler.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "controller/reconcile_stages.hpp"
#include "controller/status_writer.hpp"
#include "maintenance/migration/planner.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {

using maintenance::Action;
using maintenance::Observed;
using maintenance::Plan;
namespace cond = maintenance::conditions;

namespace {

std::string uidOf(const Json& o) { return o.value("/metadata/uid"_json_pointer, std::string()); }

Json statusOf(const Json& pm) {
  return pm.contains("status") && pm["status"].is_object() ? pm["status"] : Json::object();
}

// Reads the caches into the planner's input.
Observed observe(const ReconcilerDeps& d, const Json& pm, const maintenance::PhaseMaintenanceSpec& spec) {
  Observed in;
  in.object = pm;
  in.spec = spec;
  in.now = d.clock->wallNow();
  in.operatorImage = d.operatorImage;
  const std::string ns = pm.value("/metadata/namespace"_json_pointer, std::string());
  in.backend = d.view.deployment(ns, spec.backend.deployment);
  in.worker = d.view.deployment(ns, spec.worker.deployment);
  in.jobs = d.view.jobsOf(ns, uidOf(pm));
  in.cronJobs = d.view.cronJobsOf(ns, uidOf(pm));
  std::vector<std::string> jobUids;
  for (const auto& j : in.jobs) jobUids.push_back(uidOf(j));
  in.pods = d.view.podsOfJobs(ns, jobUids);
  return in;
}

std::string joinErrors(const std::vector<maintenance::FieldError>& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < 10; ++i) {
    if (!out.empty()) out += "; ";
    out += errors[i].toString();
  }
  if (errors.size() > 10) out += "; and " + std::to_string(errors.size() - 10) + " more";
  return out;
}

// Ready and the top-level phase, from the other conditions. Pure.
void summarise(Json& status, long generation, maintenance::TimePoint now) {
  status["observedGeneration"] = generation;
  const std::string phase = status.value("phase", "Pending");
  std::vector<std::string> notReady;
  for (const char* t : {cond::kSpecValid, cond::kMigrated, cond::kRolledOut, cond::kAuditLogMaintenanceScheduled}) {
    auto c = maintenance::getCondition(status, t);
    // Nothing configured is not a fault: audit-log maintenance is optional.
    if (c && c->status == "False" && c->reason != "NotConfigured") notReady.push_back(std::string(t) + " (" + c->reason + ": " + c->message + ")");
  }
  if (phase == "Ready" && notReady.empty()) {
    maintenance::setCondition(status, {cond::kReady, "True", "Ready", "Phase is at its target version, rolled out, and maintained"},
                              generation, now);
  } else {
    std::string message = notReady.empty() ? "phase " + phase : "not ready: " + notReady.front();
    if (notReady.size() > 1) message += " (and " + std::to_string(notReady.size() - 1) + " more)";
    maintenance::setCondition(status, {cond::kReady, "False", phase == "Ready" ? "Degraded" : phase, message}, generation,
                              now);
  }
}

}  // namespace

std::vector<std::string> keysNamingDeployment(const std::vector<Json>& pmsInNamespace, const Json& deployment) {
  const std::string name = deployment.value("/metadata/name"_json_pointer, std::string());
  std::vector<std::string> keys;
  for (const auto& pm : pmsInNamespace) {
    const auto parsed = maintenance::parseSpec(pm);
    if (parsed.spec.backend.deployment == name || parsed.spec.worker.deployment == name) {
      keys.push_back(runtime::objectKey(pm));
    }
  }
  return keys;
}

namespace {
constexpr auto kOwnWriteWait = std::chrono::seconds(5);
constexpr auto kOwnWriteRecheck = std::chrono::milliseconds(100);
}  // namespace

bool PhaseReconciler::ownWriteUnseen(const std::string& key, const std::string& cachedVersion) {
  std::lock_guard<std::mutex> lock(unseenMu_);
  auto it = unseen_.find(key);
  if (it == unseen_.end()) return false;
  // resourceVersions are opaque: "one of the versions our writes replaced" is all that can
  // be told, and all that is needed.
  const auto& old = it->second.superseded;
  if (std::find(old.begin(), old.end(), cachedVersion) != old.end() && d_.clock->now() - it->second.at < kOwnWriteWait)
    return true;
  unseen_.erase(it);
  return false;
}

void PhaseReconciler::rememberOwnWrite(const std::string& key, std::vector<std::string> superseded) {
  std::lock_guard<std::mutex> lock(unseenMu_);
  unseen_[key] = {std::move(superseded), d_.clock->now()};
}

runtime::ReconcileResult PhaseReconciler::reconcile(const std::string& key) {
  const auto [ns, name] = runtime::splitKey(key);
  const auto cached = d_.view.phaseMaintenance(ns, name);
  if (!cached) {
    std::lock_guard<std::mutex> lock(unseenMu_);
    unseen_.erase(key);
    return runtime::ReconcileResult::done();  // deleted: children go by owner references
  }
  // The watch event of the write will wake the key; the recheck is the bound.
  if (ownWriteUnseen(key, runtime::resourceVersionOf(*cached)))
    return runtime::ReconcileResult::after(kOwnWriteRecheck);
  return reconcileFresh(key, *cached);
}

runtime::ReconcileResult PhaseReconciler::reconcileFresh(const std::string& key, const Json& pm) {
  const long generation = pm.value("/metadata/generation"_json_pointer, 0L);
  const auto now = d_.clock->wallNow();

  auto parsed = maintenance::parseSpec(pm);
  for (auto& e : maintenance::checkImagePolicy(parsed.spec, d_.imagePolicy)) parsed.errors.push_back(std::move(e));
  Observed in = observe(d_, pm, parsed.spec);

  if (pm.contains("metadata") && pm["metadata"].contains("deletionTimestamp")) {
    Plan plan = maintenance::planFinalize(in);
    // The finalizer patch comes last: status first, while the object still exists.
    summarise(plan.status, generation, now);
    writeStatus(d_.client, pm, plan.status);
    if (executeActions(d_.client, d_.events, pm, plan.actions) == ExecutionResult::StalePlan)
      return runtime::ReconcileResult::after(std::chrono::seconds(1));
    return plan.requeueAfter ? runtime::ReconcileResult::after(*plan.requeueAfter) : runtime::ReconcileResult::done();
  }

  Json status = statusOf(pm);
  if (!parsed.ok()) {
    const std::string message = joinErrors(parsed.errors);
    const auto before = maintenance::getCondition(status, cond::kSpecValid);
    maintenance::setCondition(status, {cond::kSpecValid, "False", "InvalidSpec", message}, generation, now);
    status["phase"] = "Invalid";
    summarise(status, generation, now);
    writeStatus(d_.client, pm, status);
    if (!before || before->status != "False" || before->message != message) {
      d_.events.event(pm, "Warning", "InvalidSpec", message);
    }
    throw runtime::TerminalError("invalid spec: " + message);
  }
  maintenance::setCondition(status, {cond::kSpecValid, "True", "Valid", "the spec is valid"}, generation, now);

  if (parsed.spec.suspend) {
    status["phase"] = "Suspended";
    summarise(status, generation, now);
    writeStatus(d_.client, pm, status);
    return runtime::ReconcileResult::done();
  }
  in.object["status"] = status;

  // The status write below is guarded by the resourceVersion it last saw: after adding
  // the finalizer, that is the patched object's, not the cache's (else every first
  // reconcile would meet a conflict and pay a re-read).
  Json current = pm;
  // The versions this reconcile's writes replace.
  std::vector<std::string> superseded{runtime::resourceVersionOf(pm)};
  if (auto add = maintenance::ensureFinalizer(in)) {
    Json patched;
    if (executeActions(d_.client, d_.events, pm, {*add}, &patched) == ExecutionResult::StalePlan)
      return runtime::ReconcileResult::after(std::chrono::seconds(1));
    rememberOwnWrite(key, superseded);
    if (patched.contains("metadata")) current["metadata"]["resourceVersion"] = runtime::resourceVersionOf(patched);
    superseded.push_back(runtime::resourceVersionOf(current));
  }

  StageResult stages = runStages(d_, in);
  summarise(stages.status, generation, now);
  if (stages.stale) {
    // A guarded write found the object changed: re-read and plan again soon.
    return runtime::ReconcileResult::after(std::chrono::seconds(1));
  }
  if (writeStatus(d_.client, current, stages.status) == StatusWrite::Written) rememberOwnWrite(key, superseded);
  if (stages.warning) d_.events.event(pm, "Warning", stages.warning->first, stages.warning->second);
  if (stages.retryWithBackoff) {
    if (!stages.backoffReason.empty()) throw std::runtime_error(stages.backoffReason);
    const auto c = maintenance::getCondition(stages.status, cond::kDatabaseReachable);
    throw std::runtime_error("database unreachable for a recovery: " + (c ? c->message : std::string("unknown")));
  }
  if (stages.requeueAfter) return runtime::ReconcileResult::after(*stages.requeueAfter);
  return runtime::ReconcileResult::done();
}

}  // namespace pmo::controller
