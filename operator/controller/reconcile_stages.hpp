#pragma once
// The stages of one reconcile of a valid, unsuspended PhaseMaintenance: plan (migration,
// then audit-log CronJobs, which stay suspended while a migration runs), execute, then
// the break-glass recoveries. Internal to the reconciler.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/phase_reconciler.hpp"
#include "common/secret.hpp"
#include "maintenance/plan_types.hpp"

namespace pmo::controller {

struct StageResult {
  nlohmann::json status;
  bool stale = false;  // a guarded write found the object changed: plan again
  bool retryWithBackoff = false;  // retry with the controller's backoff, for `backoffReason`
  std::string backoffReason;
  // The Events of the facts `status` records, posted once it is written.
  std::vector<PendingEvent> events;
  std::optional<std::chrono::milliseconds> requeueAfter;

  void requeueNoLaterThan(std::chrono::milliseconds d) {
    if (!requeueAfter || d < *requeueAfter) requeueAfter = d;
  }
};

StageResult runStages(const ReconcilerDeps& d, maintenance::Observed in);

// Break-glass recoveries (recovery_stage.cpp): runs the requests the status has not
// recorded yet and the restores that are due, recording each in `status`.
void runRecoveries(const ReconcilerDeps& d, const maintenance::Observed& in, StageResult& result);

// The running Jobs of `ns` that run `manage.py migrate` and are not the operator's
// (maintenance/migration/foreign_jobs.hpp): one paged LIST, made only when a plan asks
// (Plan::needsForeignJobs: a migration Job about to start, or waiting for such a Job), so a
// reconcile at rest lists nothing. Only the matching Jobs are kept.
std::vector<nlohmann::json> listForeignMigrations(kube::Client& client, const std::string& ns);

// Reads spec.database.passwordSecretRef with one GET (never cached: the operator does not
// list or watch Secrets). nullopt: the Secret or the key does not exist.
std::optional<Secret> readPassword(kube::Client& client, const std::string& ns,
                                   const maintenance::SecretKeyRef& ref);

}  // namespace pmo::controller
