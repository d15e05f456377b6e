#include "maintenance/auditlogs/planner.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "maintenance/auditlogs/results.hpp"
#include "maintenance/spec/cron.hpp"
#include "maintenance/auditlogs/cronjob_builder.hpp"
#include "maintenance/job_common.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance {
namespace {

struct Desired {
  Json object;
  const PurgeRule* rule = nullptr;  // nullptr: the vacuum CronJob
};

std::string nameOf(const Json& o) { return o.value("/metadata/name"_json_pointer, std::string()); }

std::string componentOf(const Json& o) {
  const Json labels = o.value("/metadata/labels"_json_pointer, Json::object());
  return labels.is_object() ? labels.value(labels::kComponent, std::string()) : std::string();
}

// The CronJobs this planner owns: controlled by the PhaseMaintenance, component purge|vacuum.
std::map<std::string, const Json*> ownedCronJobs(const Observed& in) {
  std::map<std::string, const Json*> out;
  for (const auto& cj : in.cronJobs) {
    const std::string component = componentOf(cj);
    if (component != labels::kComponentPurge && component != labels::kComponentVacuum) continue;
    if (isControlledBy(cj, in.object)) out[nameOf(cj)] = &cj;
  }
  return out;
}

std::vector<Desired> desiredCronJobs(const Observed& in, const std::string& image, bool suspend) {
  std::vector<Desired> out;
  for (const auto& rule : in.spec.auditLogs.purge)
    out.push_back({buildPurgeCronJob(in.object, in.spec, rule, image, suspend), &rule});
  if (in.spec.auditLogs.vacuum) out.push_back({buildVacuumCronJob(in.object, in.spec, image, suspend), nullptr});
  return out;
}

Json previousEntry(const Json& list, const std::string& name) {
  if (!list.is_array()) return Json();
  for (const auto& e : list)
    if (e.is_object() && e.value("name", "") == name) return e;
  return Json();
}

void copyLastScheduleTime(const Json* cronJob, Json& entry) {
  if (!cronJob) return;
  const Json::json_pointer p("/status/lastScheduleTime");
  if (cronJob->contains(p) && cronJob->at(p).is_string()) entry["lastScheduleTime"] = cronJob->at(p);
}

const Json* find(const std::map<std::string, const Json*>& observed, const std::string& name) {
  auto it = observed.find(name);
  return it == observed.end() ? nullptr : it->second;
}

// status.auditLogs from the desired CronJobs, the observed ones and the previous status.
Json auditStatus(const Observed& in, const std::vector<Desired>& desired,
                 const std::map<std::string, const Json*>& observed, bool suspend, AuditLogPlan& plan) {
  const Json before = plan.status.value("auditLogs", Json::object());
  const Json previous = before.is_object() ? before : Json::object();
  Json out = Json::object();
  Json table = previous.value("table", Json());
  Json purge = Json::array();
  for (const auto& d : desired) {
    const std::string name = nameOf(d.object);
    const Json* cj = find(observed, name);
    if (d.rule) {
      Json entry = {{"name", name},
                    {"organisation", d.rule->organisation},
                    {"retainDays", d.rule->retainDays},
                    {"schedule", d.rule->schedule},
                    {"suspended", suspend}};
      if (!d.rule->appId.empty()) entry["appId"] = d.rule->appId;
      copyLastScheduleTime(cj, entry);
      audit::updatePurgeResult(in, cj, previousEntry(previous.value("purge", Json()), name), entry, plan);
      purge.push_back(std::move(entry));
    } else {
      const VacuumSpec& v = *in.spec.auditLogs.vacuum;
      Json entry = {{"name", name}, {"schedule", v.schedule}, {"full", v.rewritesTable()}, {"method", v.effectiveMethod()}, {"suspended", suspend}};
      copyLastScheduleTime(cj, entry);
      audit::updateVacuumResult(in, cj, previous.value("vacuum", Json()), entry, table, plan);
      out["vacuum"] = std::move(entry);
    }
  }
  if (!purge.empty()) out["purge"] = std::move(purge);
  // The last measurement stays (it carries measuredAt) even when vacuum is unscheduled.
  if (table.is_object()) out["table"] = std::move(table);
  return out;
}

std::string listing(const std::vector<Desired>& desired) {
  std::string purge, vacuum;
  for (const auto& d : desired) {
    const std::string item = nameOf(d.object) + " (" + d.object["spec"].value("schedule", "") + ")";
    std::string& list = d.rule ? purge : vacuum;
    list += (list.empty() ? "" : ", ") + item;
  }
  std::string out;
  if (!purge.empty()) out += "purge: " + purge;
  if (!vacuum.empty()) out += std::string(out.empty() ? "" : "; ") + "vacuum: " + vacuum;
  return out;
}

Condition scheduledCondition(const Observed& in, const std::vector<Desired>& desired, const std::string& image,
                             const std::vector<std::string>& notCreated, bool suspend) {
  using namespace audit_reasons;
  const AuditLogsSpec& a = in.spec.auditLogs;
  const char* type = conditions::kAuditLogMaintenanceScheduled;
  if (a.purge.empty() && !a.vacuum)
    return {type, "False", kNotConfigured, "spec.auditLogs has no purge rules and no vacuum: nothing is scheduled"};
  if (image.empty())
    return {type, "False", kImageUnknown,
            "the operator does not know its own image: set spec.operatorImage to the image of "
            "phase-maintenance-operator"};
  const std::string list = listing(desired);
  const SecretKeyRef& ref = in.spec.database.passwordSecretRef;
  if (!in.passwordSecretFound) {
    std::string msg = "Secret " + pmNamespace(in.object) + "/" + ref.name + " with key " + ref.key +
                      " not found: the purge and vacuum Jobs cannot read DATABASE_PASSWORD";
    if (!notCreated.empty()) {
      msg += "; not created until it exists: ";
      for (std::size_t i = 0; i < notCreated.size(); ++i) msg += (i ? ", " : "") + notCreated[i];
    }
    return {type, "False", kSecretNotFound, msg};
  }
  const std::string zone = a.timeZone.empty() ? "" : " (time zone " + a.timeZone + ")";
  if (suspend) return {type, "True", kSuspendedForMigration, "suspended while a migration runs: " + list + zone};
  return {type, "True", kScheduled, list + zone};
}

// The next fire time of any CronJob plus a margin, at most kMaxScheduleRequeue away. The
// cron library computes in UTC: with another time zone only the cap applies.
void requeueAtNextRun(const Observed& in, const std::vector<Desired>& desired, AuditLogPlan& plan) {
  const std::string& zone = in.spec.auditLogs.timeZone;
  const bool utc = zone.empty() || zone == "UTC" || zone == "Etc/UTC";
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxScheduleRequeue);
  if (utc) {
    for (const auto& d : desired) {
      const auto cron = parseCron(d.object["spec"].value("schedule", ""));
      if (!cron) continue;
      const auto next = nextCronTime(*cron, in.now);
      if (!next) continue;
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - in.now + kScheduleRequeueMargin);
      wait = std::min(wait, until);
    }
  }
  plan.requeueNoLaterThan(wait);
}

}  // namespace

AuditLogPlan planAuditLogs(const Observed& in, bool migrationInProgress) {
  AuditLogPlan plan;
  plan.status = in.object.value("status", Json::object());
  if (!plan.status.is_object()) plan.status = Json::object();
  const long generation = in.object.value("/metadata/generation"_json_pointer, 0L);
  const std::string image = auditJobImage(in);
  const bool suspend = migrationInProgress;

  const auto observed = ownedCronJobs(in);
  const std::vector<Desired> desired = image.empty() ? std::vector<Desired>{} : desiredCronJobs(in, image, suspend);
  std::vector<std::string> notCreated;
  std::set<std::string> desiredNames;
  for (const auto& d : desired) {
    const std::string name = nameOf(d.object);
    desiredNames.insert(name);
    const Json* current = find(observed, name);
    if (!current && !in.passwordSecretFound) {
      notCreated.push_back(name);  // its Jobs could only fail; created once the Secret exists
    } else if (!current) {
      plan.actions.push_back({Action::Kind::Create, "cronjobs", name, d.object, {}, "", "", ""});
    } else if (cronJobDrifted(*current, d.object)) {
      plan.actions.push_back({Action::Kind::Update, "cronjobs", name, cronJobUpdate(*current, d.object), {}, "", "", ""});
    }
  }
  // Pruning needs the desired set; without an image it is unknown, so nothing goes.
  if (!image.empty()) {
    for (const auto& [name, cj] : observed) {
      if (!desiredNames.count(name)) plan.actions.push_back({Action::Kind::Delete, "cronjobs", name, {}, {}, "", "", ""});
    }
  }

  Json audit = auditStatus(in, desired, observed, suspend, plan);
  if (audit.empty()) {
    plan.status.erase("auditLogs");
  } else {
    plan.status["auditLogs"] = std::move(audit);
  }
  setCondition(plan.status, scheduledCondition(in, desired, image, notCreated, suspend), generation, in.now);

  if (!in.passwordSecretFound && !desired.empty()) plan.requeueNoLaterThan(kSecretMissingRequeue);
  if (!desired.empty() && !suspend) requeueAtNextRun(in, desired, plan);
  return plan;
}

}  // namespace pmo::maintenance
