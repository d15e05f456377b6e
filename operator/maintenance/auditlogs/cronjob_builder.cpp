#include "maintenance/auditlogs/cronjob_builder.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "common/fnv1a.hpp"
#include "maintenance/database_tls.hpp"
#include "maintenance/job_common.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/names.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance {
namespace {

std::string hex8(const std::string& s) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(fnv1a64(s) & 0xffffffffu));
  return buf;
}

std::string trimDashes(std::string s) {
  while (!s.empty() && s.back() == '-') s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == '-') ++start;
  return s.substr(start);
}

// `base` cut so that base + "-" + hash fits kMaxCronJobNameLength.
std::string withHash(const std::string& base, const std::string& hash) {
  std::string head = trimDashes(base.substr(0, std::min(base.size(), kMaxCronJobNameLength - 1 - hash.size())));
  return head.empty() ? hash : head + "-" + hash;
}

Json env(const PhaseMaintenanceSpec& spec) {
  const DatabaseSpec& db = spec.database;
  return Json::array({
      {{"name", "DATABASE_HOST"}, {"value", db.host}},
      {{"name", "DATABASE_PORT"}, {"value", std::to_string(db.port)}},
      {{"name", "DATABASE_NAME"}, {"value", db.name}},
      {{"name", "DATABASE_USER"}, {"value", db.user}},
      {{"name", "DATABASE_PASSWORD"},
       {"valueFrom",
        {{"secretKeyRef", {{"name", db.passwordSecretRef.name}, {"key", db.passwordSecretRef.key}}}}}},
      {{"name", "PGSSLMODE"}, {"value", db.sslMode}},
  });
}

// A non-root, read-only container with no privileges and no API credentials; /tmp is
// the only writable path (libpq and the C++ runtime may want a scratch file).
Json podSpec(const PhaseMaintenanceSpec& spec, const std::string& container, const std::string& image,
             const std::vector<std::string>& args) {
  const Json seccomp = {{"type", "RuntimeDefault"}};
  Json c = {{"name", container},
            {"image", image},
            {"command", Json::array({kOperatorBinary})},
            {"args", args},
            {"env", env(spec)},
            {"resources", spec.auditLogs.resources.is_object() ? spec.auditLogs.resources : Json::object()},
            {"securityContext",
             {{"runAsNonRoot", true},
              {"runAsUser", kRunAsUser},
              {"runAsGroup", kRunAsUser},
              {"readOnlyRootFilesystem", true},
              {"allowPrivilegeEscalation", false},
              {"privileged", false},
              {"capabilities", {{"drop", Json::array({"ALL"})}}},
              {"seccompProfile", seccomp}}},
            {"terminationMessagePath", "/dev/termination-log"},
            {"terminationMessagePolicy", "File"},
            {"volumeMounts", Json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}})}};
  Json pod = {{"restartPolicy", "Never"},
             {"automountServiceAccountToken", false},
             {"securityContext",
              {{"runAsNonRoot", true},
               {"runAsUser", kRunAsUser},
               {"runAsGroup", kRunAsUser},
               {"seccompProfile", seccomp}}},
             {"containers", Json::array({c})},
             {"volumes", Json::array({{{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "64Mi"}}}}})}};
  mountDatabaseTls(pod, spec.database.tls, kRunAsUser);
  return pod;
}

Json cronJob(const Json& pm, const PhaseMaintenanceSpec& spec, const std::string& name,
             const std::string& component, const std::string& schedule, long activeDeadlineSeconds,
             Json annotations, const Json& pod, bool suspend) {
  const Json labels = childLabels(pmName(pm), component);
  const AuditLogsSpec& a = spec.auditLogs;
  Json cronSpec = {
      {"schedule", schedule},
      {"suspend", suspend},
      {"concurrencyPolicy", "Forbid"},
      {"startingDeadlineSeconds", a.startingDeadlineSeconds},
      // At least one of each is kept: the status copies the last result from it.
      {"successfulJobsHistoryLimit", std::max(1, a.successfulJobsHistoryLimit)},
      {"failedJobsHistoryLimit", std::max(1, a.failedJobsHistoryLimit)},
      {"jobTemplate",
       {{"metadata", {{"labels", labels}}},
        {"spec",
         {{"backoffLimit", kAuditJobBackoffLimit},
          {"activeDeadlineSeconds", activeDeadlineSeconds},
          {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}}}}}};
  if (!a.timeZone.empty()) cronSpec["timeZone"] = a.timeZone;
  Json object = {{"apiVersion", "batch/v1"},
                 {"kind", "CronJob"},
                 {"metadata",
                  {{"name", name},
                   {"namespace", pmNamespace(pm)},
                   {"labels", labels},
                   {"annotations", std::move(annotations)},
                   {"ownerReferences", Json::array({controllerReference(pm)})}}},
                 {"spec", std::move(cronSpec)}};
  object["metadata"]["annotations"][annotations::kSpecHash] = cronJobSpecHash(object);
  return object;
}

const Json* container(const Json& cronJob) {
  const Json::json_pointer ptr("/spec/jobTemplate/spec/template/spec/containers");
  if (!cronJob.contains(ptr) || !cronJob.at(ptr).is_array() || cronJob.at(ptr).empty()) return nullptr;
  return &cronJob.at(ptr).front();
}

Json fieldOrNull(const Json* object, const char* key) {
  if (!object || !object->is_object() || !object->contains(key)) return nullptr;
  return object->at(key);
}

std::string specHashOf(const Json& cronJob) {
  const Json ann = cronJob.value("/metadata/annotations"_json_pointer, Json::object());
  if (!ann.is_object()) return "";
  auto it = ann.find(annotations::kSpecHash);
  return it != ann.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string purgeCronJobName(const std::string& pm, const PurgeRule& rule) {
  std::string base = dnsFragment(pm) + "-purge-" + dnsFragment(rule.organisation);
  if (!rule.appId.empty()) base += "-" + dnsFragment(rule.appId);
  return withHash(base, hex8(pm + '\0' + rule.organisation + '\0' + rule.appId));
}

std::string vacuumCronJobName(const std::string& pm) {
  const std::string name = trimDashes(dnsFragment(pm) + "-vacuum");
  if (name.size() <= kMaxCronJobNameLength) return name;
  return withHash(name, hex8(pm));
}

std::vector<std::string> purgeArgs(const PurgeRule& rule) {
  std::vector<std::string> args = {"purge", "--retain", std::to_string(rule.retainDays)};
  if (!rule.appId.empty()) {
    args.push_back("--app-id");
    args.push_back(rule.appId);
  }
  args.push_back("--max-duration");
  args.push_back(kPurgeMaxDuration);
  args.push_back("--");  // the organisation is data, even when it starts with '-'
  args.push_back(rule.organisation);
  return args;
}

std::vector<std::string> vacuumArgs(const VacuumSpec& vacuum) {
  std::vector<std::string> args = {"vacuum"};
  if (vacuum.rewritesTable()) {
    // Full keeps its original spelling, so CronJobs made by earlier versions stay unchanged.
    if (vacuum.effectiveMethod() == "Repack") {
      args.push_back("--method");
      args.push_back("repack");
    } else {
      args.push_back("--full");
    }
    args.push_back("--lock-timeout");
    args.push_back(vacuum.lockTimeout.empty() ? "5s" : vacuum.lockTimeout);
  }
  if (vacuum.minDeadTuples > 0) {
    args.push_back("--min-dead-tuples");
    args.push_back(std::to_string(vacuum.minDeadTuples));
  }
  return args;
}

std::string auditJobImage(const Observed& in) {
  return in.spec.operatorImage.empty() ? in.operatorImage : in.spec.operatorImage;
}

Json buildPurgeCronJob(const Json& pm, const PhaseMaintenanceSpec& spec, const PurgeRule& rule,
                       const std::string& image, bool suspend) {
  Json ann = {{annotations::kPurgeOrganisation, rule.organisation}};
  if (!rule.appId.empty()) ann[annotations::kPurgeAppId] = rule.appId;
  return cronJob(pm, spec, purgeCronJobName(pmName(pm), rule), labels::kComponentPurge, rule.schedule,
                 kPurgeActiveDeadlineSeconds, std::move(ann),
                 podSpec(spec, labels::kComponentPurge, image, purgeArgs(rule)), suspend);
}

Json buildVacuumCronJob(const Json& pm, const PhaseMaintenanceSpec& spec, const std::string& image,
                        bool suspend) {
  const VacuumSpec vacuum = spec.auditLogs.vacuum.value_or(VacuumSpec{});
  return cronJob(pm, spec, vacuumCronJobName(pmName(pm)), labels::kComponentVacuum, vacuum.schedule,
                 kVacuumActiveDeadlineSeconds, Json::object(),
                 podSpec(spec, labels::kComponentVacuum, image, vacuumArgs(vacuum)), suspend);
}

std::string cronJobSpecHash(const Json& cronJob) {
  Json ann = cronJob.value("/metadata/annotations"_json_pointer, Json::object());
  if (ann.is_object()) ann.erase(annotations::kSpecHash);
  const Json hashed = {{"labels", cronJob.value("/metadata/labels"_json_pointer, Json::object())},
                       {"annotations", ann},
                       {"spec", cronJob.value("spec", Json::object())}};
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(hashed.dump())));
  return buf;
}

bool cronJobDrifted(const Json& observed, const Json& desired) {
  if (specHashOf(observed) != specHashOf(desired)) return true;
  const Json noSpec = Json::object();
  const Json& o = observed.contains("spec") ? observed["spec"] : noSpec;
  const Json& d = desired.contains("spec") ? desired["spec"] : noSpec;
  for (const char* key : {"schedule", "suspend", "timeZone"}) {
    if (fieldOrNull(&o, key) != fieldOrNull(&d, key)) return true;
  }
  const Json* oc = container(observed);
  const Json* dc = container(desired);
  for (const char* key : {"image", "command", "args"}) {
    if (fieldOrNull(oc, key) != fieldOrNull(dc, key)) return true;
  }
  return false;
}

Json cronJobUpdate(const Json& observed, const Json& desired) {
  Json out = desired;
  Json meta = observed.value("metadata", Json::object());
  const Json& want = desired["metadata"];
  for (const char* key : {"labels", "annotations"}) {
    Json merged = meta.value(key, Json::object());
    if (!merged.is_object()) merged = Json::object();
    for (auto it = want[key].begin(); it != want[key].end(); ++it) merged[it.key()] = it.value();
    meta[key] = merged;
  }
  meta["ownerReferences"] = want["ownerReferences"];
  out["metadata"] = meta;
  return out;
}

}  // namespace pmo::maintenance
