#include "controller/reconcile_stages.hpp"

#include "common/log.hpp"
#include "kube/config.hpp"
#include "maintenance/audit_log_planner.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration_planner.hpp"

namespace pmo::controller {

using maintenance::Action;
using maintenance::Observed;

namespace {

// Whether executing `actions` creates or changes a child that reads the database
// password (backup Job, purge and vacuum CronJobs): only then is the Secret checked, so a
// reconcile at rest reads nothing.
bool referencesPassword(const std::vector<Action>& actions) {
  for (const auto& a : actions) {
    if (a.kind != Action::Kind::Create && a.kind != Action::Kind::Update) continue;
    if (a.resource == "cronjobs") return true;
    const std::string component =
        a.object.value("/metadata/labels"_json_pointer, nlohmann::json::object())
            .value(maintenance::labels::kComponent, std::string());
    if (a.resource == "jobs" && component == maintenance::labels::kComponentBackup) return true;
  }
  return false;
}

struct Planned {
  std::vector<Action> actions;
  nlohmann::json status;
  std::optional<std::chrono::milliseconds> requeueAfter;
  long long newRowsPurged = 0;
  long long newBytesReclaimed = 0;
};

Planned planAll(const Observed& in) {
  Planned out;
  maintenance::Plan migration = maintenance::planMigration(in);
  Observed next = in;
  next.object["status"] = migration.status;
  auto audit = maintenance::planAuditLogs(next, maintenance::migrationInProgress(migration.status));
  out.actions = std::move(migration.actions);
  out.actions.insert(out.actions.end(), audit.actions.begin(), audit.actions.end());
  out.status = std::move(audit.status);
  out.requeueAfter = migration.requeueAfter;
  if (audit.requeueAfter && (!out.requeueAfter || *audit.requeueAfter < *out.requeueAfter))
    out.requeueAfter = audit.requeueAfter;
  out.newRowsPurged = audit.newRowsPurged;
  out.newBytesReclaimed = audit.newBytesReclaimed;
  return out;
}

}  // namespace

StageResult runStages(const ReconcilerDeps& d, Observed in) {
  const std::string ns = in.object.value("/metadata/namespace"_json_pointer, std::string());
  Planned planned = planAll(in);
  if (referencesPassword(planned.actions) && !readPassword(d.client, ns, in.spec.database.passwordSecretRef)) {
    in.passwordSecretFound = false;
    planned = planAll(in);
  }

  StageResult result;
  result.status = planned.status;
  result.requeueAfter = planned.requeueAfter;
  if (executeActions(d.client, d.events, in.object, planned.actions) == ExecutionResult::StalePlan) {
    result.stale = true;
    return result;
  }
  // Counted once the actions went through: the status carrying these results is
  // written next, and a later plan does not count them again.
  if (planned.newRowsPurged > 0 && d.metrics.rowsPurged) d.metrics.rowsPurged(planned.newRowsPurged);
  if (planned.newBytesReclaimed > 0 && d.metrics.bytesReclaimed) d.metrics.bytesReclaimed(planned.newBytesReclaimed);
  if (d.metrics.migrationFinished) {
    const auto before = in.object.value("/status/migrations"_json_pointer, nlohmann::json::array());
    const auto after = result.status.value("migrations", nlohmann::json::array());
    if (!after.empty() && (before.empty() || before.front() != after.front())) {
      d.metrics.migrationFinished(after.front().value("result", "Unknown"));
    }
  }

  in.object["status"] = result.status;
  runRecoveries(d, in, result);
  return result;
}

std::optional<Secret> readPassword(kube::Client& client, const std::string& ns,
                                   const maintenance::SecretKeyRef& ref) {
  nlohmann::json secret;
  try {
    secret = client.get(kube::resources::kSecrets, ns, ref.name);
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::NotFound) return std::nullopt;
    throw;
  }
  const auto data = secret.value("data", nlohmann::json::object());
  if (!data.contains(ref.key) || !data[ref.key].is_string()) return std::nullopt;
  auto decoded = kube::base64Decode(data[ref.key].get<std::string>());
  if (!decoded) return std::nullopt;
  return Secret(std::move(*decoded));
}

}  // namespace pmo::controller
