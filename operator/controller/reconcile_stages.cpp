#include "controller/reconcile_stages.hpp"

#include "common/log.hpp"
#include "kube/config.hpp"
#include "maintenance/auditlogs/planner.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/foreign_jobs.hpp"
#include "maintenance/migration/planner.hpp"

namespace pmo::controller {

using maintenance::Action;
using maintenance::Observed;
namespace cond = maintenance::conditions;

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
  bool needsForeignJobs = false;
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
  out.needsForeignJobs = migration.needsForeignJobs;
  if (audit.requeueAfter && (!out.requeueAfter || *audit.requeueAfter < *out.requeueAfter))
    out.requeueAfter = audit.requeueAfter;
  out.newRowsPurged = audit.newRowsPurged;
  out.newBytesReclaimed = audit.newBytesReclaimed;
  return out;
}

// The condition a refused write of `resource` belongs to.
const char* conditionFor(const std::string& resource) {
  if (resource == "cronjobs") return cond::kAuditLogMaintenanceScheduled;
  if (resource == "deployments") return cond::kRolledOut;
  return cond::kMigrated;
}

// A write the API server refused for good reaches status: the condition it belongs to says
// False with the server's own message (which names the field), one Warning Event records the
// new fact, and the controller retries with its capped backoff, never hot. The actions after
// the refused one wait for the next attempt; the planned status is not recorded.
void recordRefusal(const ReconcilerDeps& d, const nlohmann::json& pm, const Refusal& r, StageResult& result) {
  constexpr std::size_t kMaxMessage = 1024;
  std::string message = "the API server refused " + r.action + " (HTTP " + std::to_string(r.code) + "): " + r.message;
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage - 3) + "...";
  message += "; fix the cause, the operator retries with backoff";
  const char* type = conditionFor(r.resource);
  const long generation = pm.value("/metadata/generation"_json_pointer, 0L);
  // The status as it was, not as planned: the plan assumed writes that did not happen, and
  // recording its progress would tell the next reconcile they had.
  result.status = pm.value("status", nlohmann::json::object());
  const auto before = maintenance::getCondition(result.status, type);
  maintenance::setCondition(result.status, {type, "False", "WriteRefused", message}, generation, d.clock->wallNow());
  // The plan's Events announce facts that are not recorded either.
  result.events.clear();
  if (!before || before->reason != "WriteRefused" || before->message != message)
    result.events.push_back({"Warning", "WriteRefused", message, ""});
  result.retryWithBackoff = true;
  result.backoffReason = message;
}

}  // namespace

StageResult runStages(const ReconcilerDeps& d, Observed in) {
  const std::string ns = in.object.value("/metadata/namespace"_json_pointer, std::string());
  Planned planned = planAll(in);
  if (planned.needsForeignJobs) {
    in.foreignJobs = listForeignMigrations(d.client, ns);
    planned = planAll(in);
  }
  if (referencesPassword(planned.actions) && !readPassword(d.client, ns, in.spec.database.passwordSecretRef)) {
    in.passwordSecretFound = false;
    planned = planAll(in);
  }

  StageResult result;
  result.status = planned.status;
  result.requeueAfter = planned.requeueAfter;
  result.events = takeEvents(planned.actions);
  Refusal refusal;
  const ExecutionResult executed = executeActions(d.client, in.object, planned.actions, nullptr, &refusal);
  if (executed == ExecutionResult::StalePlan) {
    result.stale = true;
    return result;
  }
  if (executed == ExecutionResult::Refused) {
    // Recoveries still run below: break-glass must work while the rest is refused.
    recordRefusal(d, in.object, refusal, result);
  } else {
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
  }

  in.object["status"] = result.status;
  runRecoveries(d, in, result);
  return result;
}

std::vector<nlohmann::json> listForeignMigrations(kube::Client& client, const std::string& ns) {
  std::vector<nlohmann::json> out;
  kube::ListOptions opts;
  opts.labelSelector = maintenance::foreignJobsSelector();
  try {
    client.listPages(kube::resources::kJobs, ns, opts, [&out](nlohmann::json& items) {
      for (auto& job : items)
        if (maintenance::isForeignMigration(job)) out.push_back(std::move(job));
    });
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::Forbidden)
      throw std::runtime_error("the operator may not list Jobs in namespace " + ns +
                               " (it looks for a running manage.py migrate Job before starting its own): grant "
                               "list on batch/jobs there (deploy/namespaced/role.yaml, or the chart's RBAC)");
    throw;
  }
  return out;
}

std::optional<Secret> readPassword(kube::Client& client, const std::string& ns,
                                   const maintenance::SecretKeyRef& ref) {
  nlohmann::json secret;
  try {
    secret = client.get(kube::resources::kSecrets, ns, ref.name);
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::NotFound) return std::nullopt;
    // Least-privilege installs grant Secret reads by name (RBAC resourceNames): say which
    // grant is missing, retried with backoff until the Role or the spec is fixed.
    if (e.reason() == kube::ErrorReason::Forbidden)
      throw std::runtime_error("the operator may not read Secret " + ns + "/" + ref.name +
                               " (spec.database.passwordSecretRef): add it to the resourceNames of its Role "
                               "(deploy/namespaced/role.yaml, or the chart's secretNames), or name a Secret it may read");
    throw;
  }
  const auto data = secret.value("data", nlohmann::json::object());
  if (!data.contains(ref.key) || !data[ref.key].is_string()) return std::nullopt;
  auto decoded = kube::base64Decode(data[ref.key].get<std::string>());
  if (!decoded) return std::nullopt;
  return Secret(std::move(*decoded));
}

}  // namespace pmo::controller
