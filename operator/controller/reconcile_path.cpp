#include "controller/reconcile_path.hpp"

#include "controller/reconcile_stages.hpp"
#include "maintenance/migration/planner.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {

using maintenance::Observed;
namespace cond = maintenance::conditions;

namespace {

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
Acted actDeleting(const Observation& seen) {
  Acted out = startActed(seen);
  maintenance::Plan plan = maintenance::planFinalize(seen.in);
  out.status = std::move(plan.status);
  summarise(out.status, seen.generation, seen.in.now);
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
  out.status["phase"] = "Invalid";
  summarise(out.status, seen.generation, seen.in.now);
  if (!before || before->status != "False" || before->message != message)
    out.events.push_back({"Warning", "InvalidSpec", message});
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
  out.status["phase"] = "Suspended";
  summarise(out.status, seen.generation, seen.in.now);
  return out;
}

Acted actActive(const ReconcilerDeps& d, const Observation& seen) {
  Acted out = startActed(seen);
  Observed in = seen.in;
  in.object["status"] = validStatus(seen);

  // The status write is guarded by the resourceVersion it last saw: after adding the
  // finalizer, that is the patched object's, not the cache's (else every first reconcile
  // would meet a conflict and pay a re-read).
  if (auto add = maintenance::ensureFinalizer(in)) {
    Json patched;
    if (executeActions(d.client, d.events, seen.pm, {*add}, &patched) == ExecutionResult::StalePlan) {
      out.stale = true;
      out.outcome = runtime::ReconcileResult::after(kStaleRetry);
      return out;
    }
    if (patched.contains("metadata")) out.writeOver["metadata"]["resourceVersion"] = runtime::resourceVersionOf(patched);
    out.superseded.push_back(runtime::resourceVersionOf(out.writeOver));
  }

  StageResult stages = runStages(d, in);
  out.status = std::move(stages.status);
  summarise(out.status, seen.generation, seen.in.now);
  if (stages.stale) {
    out.stale = true;
    out.outcome = runtime::ReconcileResult::after(kStaleRetry);
    return out;
  }
  if (stages.warning) out.events.push_back({"Warning", stages.warning->first, stages.warning->second});
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
  if (seen.pm.contains("metadata") && seen.pm["metadata"].contains("deletionTimestamp")) return actDeleting(seen);
  if (!seen.parsed.ok()) return actInvalid(seen);
  if (seen.parsed.spec.suspend) return actSuspended(seen);
  return actActive(d, seen);
}

}  // namespace pmo::controller
