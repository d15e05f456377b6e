// validateSpec: the operator's second line of defence behind the CRD. It mirrors every
// schema constraint (required, enum, pattern, bounds, list sizes, set uniqueness) and every
// CEL rule of crds/maintenance.phase.dev_phasemaintenances.yaml, because a resource may
// reach the operator without the API server having run CEL (older servers, the sandbox).
//
// Lengths are counted in characters and patterns matched with RE2's meaning, as the API
// server does (maintenance/spec/schema.hpp), so both accept and refuse the same strings.
//
// Guarantees: never throws, and pure but for reading the tz database (spec.auditLogs.
// timeZone); each FieldError names the field path, the value and the fix; errors come in
// spec order, so the first is the most fundamental.
#include <limits>
#include <set>
#include <tuple>

#include "maintenance/spec/cron.hpp"
#include "maintenance/spec/spec.hpp"
#include "maintenance/spec/schema.hpp"
#include "maintenance/version.hpp"

namespace pmo::maintenance {
namespace {

using Kind = FieldError::Kind;

class Validator {
 public:
  std::vector<FieldError> errors;

  void invalid(const std::string& path, const std::string& value, const std::string& message) {
    errors.push_back({path, value, message, Kind::Invalid});
  }
  void required(const std::string& path, const std::string& message) {
    errors.push_back({path, "", message, Kind::Required});
  }

  // A string field: required (non-empty) or optional (empty = unset), bounded, patterned.
  // Returns true when the value is non-empty and passed every check.
  bool text(const std::string& path, const std::string& value, bool isRequired,
            std::size_t maxLength, const char* pattern, const std::string& expected) {
    if (value.empty()) {  // for an optional field, "" is unset
      if (isRequired) required(path, "set it to " + expected);
      return false;
    }
    if (schema::characterCount(value) > maxLength) {
      errors.push_back({path, value,
                        "may not be more than " + std::to_string(maxLength) + " characters; use " + expected,
                        Kind::TooLong});
      return false;
    }
    if (pattern && !schema::matches(pattern, value)) {
      invalid(path, value, "must be " + expected);
      return false;
    }
    return true;
  }

  void range(const std::string& path, long long value, long long min, long long max,
             const std::string& hint) {
    if (value < min)
      invalid(path, std::to_string(value),
              "must be greater than or equal to " + std::to_string(min) + hint);
    else if (value > max)
      invalid(path, std::to_string(value),
              "must be less than or equal to " + std::to_string(max) + hint);
  }

  template <std::size_t N>
  void oneOf(const std::string& path, const std::string& value,
             const std::array<const char*, N>& allowed, const std::string& hint) {
    for (const char* a : allowed)
      if (value == a) return;
    std::string list;
    for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
    errors.push_back({path, value, "supported values: " + list + hint, Kind::Unsupported});
  }

  void tooMany(const std::string& path, std::size_t count, std::size_t max) {
    errors.push_back({path, std::to_string(count),
                      "must have at most " + std::to_string(max) + " items", Kind::TooMany});
  }

  void schedule(const std::string& path, const std::string& value) {
    if (!text(path, value, true, kCronMaxLength, nullptr,
              "a five-field cron schedule such as \"0 3 * * *\""))
      return;
    std::string why;
    if (!parseCron(value, &why) || !schema::matches(kCronPattern, value))
      invalid(path, value, why.empty() ? "must be a five-field cron schedule such as \"0 3 * * *\"" : why);
  }

  void duration(const std::string& path, const std::string& value, bool isRequired,
                const char* positiveRule) {
    if (!text(path, value, isRequired, schema::kDurationMax,
              isRequired ? schema::kDuration : schema::kOptionalDuration,
              "a duration such as 5s, 30m or 1h30m (units ns, us, ms, s, m, h)"))
      return;
    auto parsed = schema::parseDuration(value);
    if (!parsed) invalid(path, value, "is too long a duration; use at most a few years");
    else if (parsed->count() <= 0) invalid(path, value, positiveRule);
  }

  // A list of organisation names: bounded, each a valid name, no duplicates (listType set).
  void organisations(const std::string& path, const std::vector<std::string>& names) {
    if (names.size() > schema::kMaxOrganisations) tooMany(path, names.size(), schema::kMaxOrganisations);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      organisation(p, names[i]);
      if (!seen.insert(names[i]).second)
        errors.push_back({p, names[i], "is listed twice; list each organisation once", Kind::Duplicate});
    }
  }

  void organisation(const std::string& path, const std::string& name) {
    text(path, name, true, schema::kOrganisationMax, schema::kOrganisation,
         "the organisation's exact name in Phase, without leading or trailing spaces");
  }

  void requestId(const std::string& path, const std::string& id) {
    text(path, id, false, schema::kRequestIdMax, schema::kRequestId,
         "empty (no request) or a new token of letters, digits, '.', '_' and '-' such as "
         "\"2024-05-01-lockout\"");
  }
};

void validateWorkloads(Validator& v, const PhaseMaintenanceSpec& s) {
  const std::pair<const char*, const WorkloadRef*> refs[] = {{"backend", &s.backend},
                                                             {"worker", &s.worker}};
  for (const auto& [name, ref] : refs) {
    std::string p = std::string("spec.workloads.") + name;
    v.text(p + ".deployment", ref->deployment, true, schema::kDnsSubdomainMax, schema::kDnsSubdomain,
           "the name of Phase's " + std::string(name) + " Deployment (a DNS-1123 subdomain, "
           "e.g. phase-console-" + name + ")");
    v.text(p + ".container", ref->container, true, schema::kDnsLabelMax, schema::kDnsLabel,
           "the name of the container in that Deployment that runs Phase (a DNS-1123 label)");
  }
  if (!s.worker.deployment.empty() && s.backend.deployment == s.worker.deployment)
    v.invalid("spec.workloads.worker.deployment", s.worker.deployment,
              std::string(schema::kRuleDistinctWorkloads) + "; the worker's is usually phase-console-worker");
}

void validateDatabaseTls(Validator& v, const DatabaseSpec& d) {
  const std::string p = "spec.database.tls";
  const DatabaseTlsSpec& t = d.tls;
  if (t.caGiven && t.caSecret.has_value() == t.caConfigMap.has_value()) {
    v.invalid(p + ".ca", t.caSecret ? "secretKeyRef and configMapKeyRef" : "",
              std::string(schema::kRuleCaOneSource) + ": name the Secret or the ConfigMap holding the CA certificate");
  }
  for (const auto& [field, ref, what] :
       {std::tuple{".ca.secretKeyRef", &t.caSecret, "Secret"}, std::tuple{".ca.configMapKeyRef", &t.caConfigMap, "ConfigMap"}}) {
    if (!*ref) continue;
    v.text(p + field + ".name", (*ref)->name, true, schema::kDnsSubdomainMax, schema::kDnsSubdomain,
           std::string("the name of the ") + what + " holding the CA certificate");
    v.text(p + field + ".key", (*ref)->key, true, schema::kSecretKeyMax, schema::kSecretKey,
           std::string("the key in that ") + what + " (e.g. ca.crt)");
  }
  v.text(p + ".clientCertSecretRef.name", t.clientCertSecret, false, schema::kDnsSubdomainMax, schema::kDnsSubdomain,
         "the name of a kubernetes.io/tls Secret with tls.crt and tls.key");
  if (t.hasCa() && d.sslMode != "verify-ca" && d.sslMode != "verify-full") {
    v.invalid("spec.database.sslMode", d.sslMode,
              std::string(schema::kRuleCaNeedsVerify) + ": the CA is there to verify the server; remove sslMode "
                                                        "(verify-full) or set verify-ca");
  }
}

void validateDatabase(Validator& v, const DatabaseSpec& d) {
  const std::string p = "spec.database";
  v.text(p + ".host", d.host, true, schema::kHostMax, schema::kHost,
         "the PostgreSQL host name or IP address (e.g. phase-console-postgres)");
  v.range(p + ".port", d.port, schema::kPortMin, schema::kPortMax, "; PostgreSQL listens on 5432 by default");
  v.text(p + ".name", d.name, true, schema::kPostgresIdentifierMax, nullptr, "Phase's database name (e.g. phase_db)");
  v.text(p + ".user", d.user, true, schema::kPostgresIdentifierMax, nullptr, "the database user Phase uses (e.g. phase_api)");
  v.text(p + ".passwordSecretRef.name", d.passwordSecretRef.name, true, schema::kDnsSubdomainMax,
         schema::kDnsSubdomain, "the name of the Secret holding the password (e.g. phase-console-secret)");
  v.text(p + ".passwordSecretRef.key", d.passwordSecretRef.key, true, schema::kSecretKeyMax, schema::kSecretKey,
         "the key in that Secret (e.g. DATABASE_PASSWORD)");
  v.oneOf(p + ".sslMode", d.sslMode, schema::kSslModes, "; use require or stronger when the database is remote");
  validateDatabaseTls(v, d);
}

void validateMigrations(Validator& v, const MigrationsSpec& m) {
  const std::string p = "spec.migrations";
  const auto& b = m.backup;
  v.text(p + ".backup.persistentVolumeClaim", b.persistentVolumeClaim, false, schema::kDnsSubdomainMax,
         schema::kDnsSubdomain, "the name of a PersistentVolumeClaim in this namespace (a DNS-1123 subdomain)");
  if (b.enabled && b.persistentVolumeClaim.empty())
    v.required(p + ".backup.persistentVolumeClaim",
               std::string(schema::kRuleBackupNeedsClaim) +
                   "; name the PersistentVolumeClaim for the dumps, or set backup.enabled to false");
  v.range(p + ".backup.keep", b.keep, schema::kKeepMin, schema::kKeepMax, "; the number of newest dumps to keep");
  v.text(p + ".backup.image", b.image, true, schema::kImageMax, schema::kImageReference,
         "an image reference with pg_dump no older than the server, such as postgres:15");
  v.range(p + ".backoffLimit", m.backoffLimit, schema::kBackoffLimitMin, schema::kBackoffLimitMax,
          "; the number of retries of the migration Job");
  v.range(p + ".activeDeadlineSeconds", m.activeDeadlineSeconds, schema::kActiveDeadlineMin,
          schema::kActiveDeadlineMax, "; the migration Job's time limit in seconds");
}

void validateAuditLogs(Validator& v, const AuditLogsSpec& a) {
  const std::string p = "spec.auditLogs";
  if (a.purge.size() > schema::kMaxPurgeRules) v.tooMany(p + ".purge", a.purge.size(), schema::kMaxPurgeRules);
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < a.purge.size(); ++i) {
    const PurgeRule& r = a.purge[i];
    std::string rp = p + ".purge[" + std::to_string(i) + "]";
    v.organisation(rp + ".organisation", r.organisation);
    v.range(rp + ".retainDays", r.retainDays, schema::kRetainDaysMin, schema::kRetainDaysMax,
            "; use 0 to delete every read event, or the number of days of read events to keep");
    v.text(rp + ".appId", r.appId, false, schema::kAppIdMax, schema::kAppId,
           "empty (every app) or the id of one app of the organisation");
    v.schedule(rp + ".schedule", r.schedule);
    if (!seen.insert({r.organisation, r.appId}).second)
      v.errors.push_back({rp, r.organisation + (r.appId.empty() ? "" : "/" + r.appId),
                          std::string(schema::kRuleUniquePurgeRules) + "; merge the two rules into one",
                          Kind::Duplicate});
  }
  if (a.vacuum) {
    v.schedule(p + ".vacuum.schedule", a.vacuum->schedule);
    if (!a.vacuum->method.empty())
      v.oneOf(p + ".vacuum.method", a.vacuum->method, schema::kVacuumMethods,
              "; Repack needs the pg_repack extension in the database, Full locks the table while it runs");
    if (a.vacuum->full && a.vacuum->method == "Plain")
      v.invalid(p + ".vacuum.method", a.vacuum->method,
                std::string(schema::kRuleVacuumMethodMatchesFull) + "; set method Full or Repack, or drop full");
    v.duration(p + ".vacuum.lockTimeout", a.vacuum->lockTimeout, true, schema::kRuleLockTimeoutPositive);
    v.range(p + ".vacuum.minDeadTuples", a.vacuum->minDeadTuples, schema::kMinDeadTuplesMin,
            std::numeric_limits<long long>::max(), "; 0 always vacuums");
  }
  const std::string zoneFix = "empty (the cluster's zone) or an IANA time zone name such as Europe/Berlin";
  if (v.text(p + ".timeZone", a.timeZone, false, schema::kTimeZoneMax, schema::kTimeZone, zoneFix)) {
    // the API server refuses a CronJob whose zone is not in the tz database
    if (std::string why = schema::timeZoneProblem(a.timeZone); !why.empty())
      v.invalid(p + ".timeZone", a.timeZone, why + "; use " + zoneFix);
  }
  v.range(p + ".startingDeadlineSeconds", a.startingDeadlineSeconds, schema::kStartingDeadlineMin,
          schema::kStartingDeadlineMax, "; the CronJob controller only checks every 10 seconds");
  v.range(p + ".successfulJobsHistoryLimit", a.successfulJobsHistoryLimit, schema::kJobsHistoryMin,
          schema::kJobsHistoryMax, "");
  v.range(p + ".failedJobsHistoryLimit", a.failedJobsHistoryLimit, schema::kJobsHistoryMin,
          schema::kJobsHistoryMax, "");
  if (!a.resources.is_object()) {
    v.invalid(p + ".resources", a.resources.dump(), "must be an object with requests and limits");
    return;
  }
  for (auto it = a.resources.begin(); it != a.resources.end(); ++it) {
    std::string rp = p + ".resources." + it.key();
    if (it.key() != "requests" && it.key() != "limits") {
      v.errors.push_back({rp, it.key(), "resources has only requests and limits", Kind::Unknown});
      continue;
    }
    if (!it->is_object()) {
      v.invalid(rp, it->dump(), "must be a map of resource name to quantity");
      continue;
    }
    if (it->size() > schema::kMaxResourceEntries) v.tooMany(rp, it->size(), schema::kMaxResourceEntries);
    for (auto q = it->begin(); q != it->end(); ++q) {
      std::string qp = rp + "." + q.key();
      if (q.key().size() > schema::kDnsSubdomainMax || !schema::matches(schema::kResourceName, q.key()))
        v.invalid(qp, q.key(), "must be a resource name such as cpu or memory");
      std::string value = q->is_string() ? q->get<std::string>() : q->dump();
      if (!(q->is_string() || q->is_number_integer()) || value.size() > 64 ||
          !schema::matches(schema::kQuantity, value))
        v.invalid(qp, value, "must be a quantity such as \"100m\" or \"128Mi\"");
    }
  }
}

void validateRecovery(Validator& v, const RecoverySpec& r) {
  const std::string p = "spec.recovery";
  if (const auto& n = r.resetGlobalNetworkPolicies) {
    std::string np = p + ".resetGlobalNetworkPolicies";
    v.requestId(np + ".requestId", n->requestId);
    v.organisations(np + ".organisations", n->organisations);
    v.duration(np + ".restoreAfter", n->restoreAfter, false, schema::kRuleRestoreAfterPositive);
  }
  if (const auto& s = r.disableSSOEnforcement) {
    std::string sp = p + ".disableSSOEnforcement";
    v.requestId(sp + ".requestId", s->requestId);
    v.organisations(sp + ".organisations", s->organisations);
    if (!s->requestId.empty() && s->organisations.empty())
      v.required(sp + ".organisations",
                 std::string(schema::kRuleSsoNeedsOrganisations) +
                     "; list the organisations whose SSO enforcement to lift");
  }
}

}  // namespace

std::string FieldError::toString() const {
  std::string out = field + ": ";
  switch (kind) {
    case Kind::Invalid: return out + "Invalid value: \"" + value + "\": " + message;
    case Kind::Required: return out + "Required value: " + message;
    case Kind::Duplicate: return out + "Duplicate value: \"" + value + "\": " + message;
    case Kind::Unsupported: return out + "Unsupported value: \"" + value + "\": " + message;
    case Kind::TooMany: return out + "Too many: " + value + ": " + message;
    case Kind::TooLong: return out + "Too long: " + message;
    case Kind::Unknown: return out + "unknown field \"" + value + "\": " + message;
  }
  return out + message;
}

std::vector<FieldError> validateSpec(const PhaseMaintenanceSpec& s) {
  Validator v;
  if (v.text("spec.version", s.version, false, kVersionMaxLength, nullptr, "a Phase version such as v2.73.2")) {
    std::string why;
    if (!parseVersion(s.version, &why) || !schema::matches(kVersionPattern, s.version))
      v.invalid("spec.version", s.version,
                why.empty() ? "must be a Phase version such as v2.73.2, or empty to follow the backend Deployment" : why);
  }
  v.text("spec.backendImage", s.backendImage, true, schema::kImageMax, schema::kImageRepository,
         "an image repository without a tag, such as docker.io/phasehq/backend (the tag comes "
         "from spec.version)");
  v.text("spec.operatorImage", s.operatorImage, false, schema::kImageMax, schema::kOptionalImageReference,
         "empty (the operator's own image) or an image reference such as "
         "ghcr.io/example/phase-maintenance-operator:v0.1.0");
  validateWorkloads(v, s);
  validateDatabase(v, s.database);
  validateMigrations(v, s.migrations);
  validateAuditLogs(v, s.auditLogs);
  validateRecovery(v, s.recovery);
  return std::move(v.errors);
}

}  // namespace pmo::maintenance
