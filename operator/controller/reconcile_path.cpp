#include "controller/reconcile_path.hpp"

#include "controller/ownership.hpp"
#include "controller/reconcile_stages.hpp"
#include "maintenance/migration/planner.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {

using maintenance::Observed;
namespace cond = maintenance::conditions;

namespace {

// The reason of the Conflict condition a claimed Deployment gives (ownership.hpp).
constexpr const char* kClaimReason = "DeploymentClaimed";

std::string uidOf(const Json& o) { return o.value("/metadata/uid"_json_pointer, std::string()); }

Json statusOf(const Json& pm) {
  return pm.contains("status") && pm["status"].is_object() ? pm["status"] : Json::object();
}

// A stale plan (a guarded write found the object changed): re-read and plan again soon.
constexpr auto kStaleRetry = std::chrono::seconds(1);

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
  if (auto c = maintenance::getCondition(status, cond::kConflict); c && c->status == "True")
    notReady.push_back(std::string(cond::kConflict) + " (" + c->reason + ": " + c->message + ")");
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

Acted startActed(const Observation& seen) {
  Acted out;
  out.writeOver = seen.pm;
  out.superseded.push_back(runtime::resourceVersionOf(seen.pm));
  return out;
}

// Deletion: the status first, while the object still exists; then the restore patches or
// the finalizer removal (planFinalize).
// A Deployment another PhaseMaintenance owns is not restored (its gate is that one's), and
// the claims this one holds are given back just before its finalizer goes.
Acted actDeleting(const ReconcilerDeps& d, const Observation& seen) {
  Acted out = startActed(seen);
  Observed in = seen.in;
  for (auto* dep : {&in.backend, &in.worker})
    if (*dep && ownership::claimedByAnother(**dep, seen.pm, d.view)) dep->reset();
  maintenance::Plan plan = maintenance::planFinalize(in);
  out.status = std::move(plan.status);
  summarise(out.status, seen.generation, seen.in.now);
  out.events = takeEvents(plan.actions);
  const bool removesFinalizer = !plan.actions.empty() && plan.actions.back().resource == "phasemaintenances";
  if (removesFinalizer) {
    auto release = ownership::releaseClaims(in);
    plan.actions.insert(plan.actions.end() - 1, release.begin(), release.end());
  }
  out.afterStatus = std::move(plan.actions);
  if (plan.requeueAfter) out.outcome = runtime::ReconcileResult::after(*plan.requeueAfter);
  return out;
}

// A spec the operator cannot act on: SpecValid=False naming the fields, one Warning Event
// per new message, and no retry until the object changes.
Acted actInvalid(const Observation& seen) {
  Acted out = startActed(seen);
  const std::string message = joinErrors(seen.parsed.errors);
  out.status = statusOf(seen.pm);
  const auto before = maintenance::getCondition(out.status, cond::kSpecValid);
  maintenance::setCondition(out.status, {cond::kSpecValid, "False", "InvalidSpec", message}, seen.generation,
                            seen.in.now);
  maintenance::setPhase(out.status, maintenance::Phase::Invalid);
  summarise(out.status, seen.generation, seen.in.now);
  if (!before || before->status != "False" || before->message != message)
    out.events.push_back({"Warning", "InvalidSpec", message, ""});
  out.outcome = runtime::ReconcileResult::terminal("invalid spec: " + message);
  return out;
}

Json validStatus(const Observation& seen) {
  Json status = statusOf(seen.pm);
  maintenance::setCondition(status, {cond::kSpecValid, "True", "Valid", "the spec is valid"}, seen.generation,
                            seen.in.now);
  return status;
}

Acted actSuspended(const Observation& seen) {
  Acted out = startActed(seen);
  out.status = validStatus(seen);
  maintenance::setPhase(out.status, maintenance::Phase::Suspended);
  summarise(out.status, seen.generation, seen.in.now);
  return out;
}

// Another PhaseMaintenance owns a Deployment this one names: status says so (naming the
// other), one Warning Event per new message, and no other write. The Deployment's change
// when the other lets go wakes this one.
Acted actConflict(const Observation& seen, const std::string& message) {
  Acted out = startActed(seen);
  out.status = validStatus(seen);
  const auto before = maintenance::getCondition(out.status, cond::kConflict);
  maintenance::setCondition(out.status, {cond::kConflict, "True", kClaimReason, message}, seen.generation,
                            seen.in.now);
  maintenance::setPhase(out.status, maintenance::Phase::Blocked);
  summarise(out.status, seen.generation, seen.in.now);
  if (!before || before->status != "True" || before->message != message)
    out.events.push_back({"Warning", "Conflict", message, ""});
  return out;
}

// The status without the claim's Conflict condition (the claim conflict is over, or never
// was). A Conflict of another reason (the migration planner's ImageSetByAnotherManager) is
// the planner's to keep or resolve: removing it here would make the planner see it new on
// every pass.
void clearConflict(Json& status) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return;
  Json kept = Json::array();
  for (const auto& c : status["conditions"])
    if (c.value("type", "") != cond::kConflict || c.value("reason", "") != kClaimReason) kept.push_back(c);
  status["conditions"] = std::move(kept);
}

Acted actActive(const ReconcilerDeps& d, const Observation& seen) {
  Observed in = seen.in;
  const ownership::ClaimCheck claims = ownership::checkClaims(in, d.view);
  if (claims.conflict) return actConflict(seen, *claims.conflict);
  Acted out = startActed(seen);
  in.object["status"] = validStatus(seen);
  clearConflict(in.object["status"]);

  // The status write is guarded by the resourceVersion it last saw: after adding the
  // finalizer, that is the patched object's, not the cache's (else every first reconcile
  // would meet a conflict and pay a re-read).
  if (auto add = maintenance::ensureFinalizer(in)) {
    Json patched;
    if (executeActions(d.client, seen.pm, {*add}, &patched) == ExecutionResult::StalePlan) {
      out.stale = true;
      out.outcome = runtime::ReconcileResult::after(kStaleRetry);
      return out;
    }
    if (patched.contains("metadata")) out.writeOver["metadata"]["resourceVersion"] = runtime::resourceVersionOf(patched);
    out.superseded.push_back(runtime::resourceVersionOf(out.writeOver));
  }
  // Claims after the finalizer, so that a deletion always finds them to give back. The
  // planners see the claimed Deployments as the API server returned them.
  for (const auto& claim : claims.claims) {
    Json claimed;
    if (executeActions(d.client, seen.pm, {claim}, &claimed) == ExecutionResult::StalePlan) {
      out.stale = true;
      out.outcome = runtime::ReconcileResult::after(kStaleRetry);
      return out;
    }
    for (auto* dep : {&in.backend, &in.worker})
      if (*dep && runtime::objectKey(**dep) == runtime::objectKey(claimed)) *dep = claimed;
  }

  StageResult stages = runStages(d, in);
  out.status = std::move(stages.status);
  summarise(out.status, seen.generation, seen.in.now);
  if (stages.stale) {
    out.stale = true;
    out.outcome = runtime::ReconcileResult::after(kStaleRetry);
    return out;
  }
  out.events = std::move(stages.events);
  if (stages.retryWithBackoff) {
    std::string why = stages.backoffReason;
    if (why.empty()) {
      const auto c = maintenance::getCondition(out.status, cond::kDatabaseReachable);
      why = "database unreachable for a recovery: " + (c ? c->message : std::string("unknown"));
    }
    out.outcome = runtime::ReconcileResult::backoff(why);
  } else if (stages.requeueAfter) {
    out.outcome = runtime::ReconcileResult::after(*stages.requeueAfter);
  }
  return out;
}

}  // namespace

Observation observe(const ReconcilerDeps& d, const Json& pm) {
  Observation seen;
  seen.pm = pm;
  seen.parsed = maintenance::parseSpec(pm);
  for (auto& e : maintenance::checkImagePolicy(seen.parsed.spec, d.imagePolicy)) seen.parsed.errors.push_back(std::move(e));
  seen.generation = pm.value("/metadata/generation"_json_pointer, 0L);
  Observed& in = seen.in;
  in.object = pm;
  in.spec = seen.parsed.spec;
  in.now = d.clock->wallNow();
  in.operatorImage = d.operatorImage;
  const std::string ns = pm.value("/metadata/namespace"_json_pointer, std::string());
  in.backend = d.view.deployment(ns, in.spec.backend.deployment);
  in.worker = d.view.deployment(ns, in.spec.worker.deployment);
  in.jobs = d.view.jobsOf(ns, uidOf(pm));
  in.cronJobs = d.view.cronJobsOf(ns, uidOf(pm));
  std::vector<std::string> jobUids;
  for (const auto& j : in.jobs) jobUids.push_back(uidOf(j));
  in.pods = d.view.podsOfJobs(ns, jobUids);
  return seen;
}

Acted act(const ReconcilerDeps& d, const Observation& seen) {
  if (seen.pm.contains("metadata") && seen.pm["metadata"].contains("deletionTimestamp")) return actDeleting(d, seen);
  if (!seen.parsed.ok()) return actInvalid(seen);
  if (seen.parsed.spec.suspend) return actSuspended(seen);
  return actActive(d, seen);
}

}  // namespace pmo::controller
