#pragma once
// The PhaseMaintenance spec as the operator reads it (maintenance.phase.dev/v1alpha1).
// Parsed from the API object by parseSpec() (maintenance/spec/parse.cpp), checked by validateSpec()
// (maintenance/spec/validation.cpp), which mirrors the CRD's OpenAPI schema and CEL rules so a
// resource that bypassed admission is still rejected with a clear message.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::maintenance {

enum class MigrationGate { HoldRollout, ScaleDown };

struct WorkloadRef {
  std::string deployment;
  std::string container;
};

struct SecretKeyRef {
  std::string name;
  std::string key;
};

// spec.database.tls: where the CA and the optional client certificate (mutual TLS) are.
struct DatabaseTlsSpec {
  bool caGiven = false;                     // tls.ca is present (then exactly one source)
  std::optional<SecretKeyRef> caSecret;     // tls.ca.secretKeyRef (key default ca.crt)
  std::optional<SecretKeyRef> caConfigMap;  // tls.ca.configMapKeyRef (key default ca.crt)
  std::string clientCertSecret;             // tls.clientCertSecretRef.name: keys tls.crt, tls.key
  bool hasCa() const { return caSecret || caConfigMap; }
  bool any() const { return hasCa() || !clientCertSecret.empty(); }
};

struct DatabaseSpec {
  std::string host;
  int port = 5432;
  std::string name;
  std::string user;
  SecretKeyRef passwordSecretRef;
  // disable|allow|prefer|require|verify-ca|verify-full. Absent from the resource: verify-full
  // when tls.ca is given, else prefer (parseSpec applies it), as Phase with DATABASE_SSL_CA_PATH.
  std::string sslMode = "prefer";
  DatabaseTlsSpec tls;
};

struct BackupSpec {
  bool enabled = false;
  std::string persistentVolumeClaim;
  int keep = 5;
  std::string image = "postgres:15";  // must carry pg_dump no older than the server
};

struct MigrationsSpec {
  MigrationGate gate = MigrationGate::HoldRollout;
  BackupSpec backup;
  bool allowDowngrade = false;
  // The schema gate in every pod (init container + startup probe, schema_gate.hpp); false
  // removes it (EXTERNAL_MIGRATION stays: the operator still migrates).
  bool podGate = true;
  int backoffLimit = 2;
  long activeDeadlineSeconds = 1800;
};

struct PurgeRule {
  std::string organisation;
  int retainDays = 30;
  std::string appId;  // empty: every app of the organisation
  std::string schedule;
};

struct VacuumSpec {
  std::string schedule;  // required when vacuum is set (parseSpec defaults it to "30 3 * * 0")
  bool full = false;     // the older spelling of method Full
  std::string lockTimeout = "5s";  // Go duration: total time FULL or Repack asks for the table lock
  long long minDeadTuples = 0;     // skip the vacuum below this many dead tuples
  // "Plain" (VACUUM), "Full" (VACUUM FULL) or "Repack" (pg_repack, online); empty: `full`
  // decides. Read it through effectiveMethod().
  std::string method;

  std::string effectiveMethod() const { return !method.empty() ? method : full ? "Full" : "Plain"; }
  bool rewritesTable() const { return effectiveMethod() != "Plain"; }
};

struct AuditLogsSpec {
  std::vector<PurgeRule> purge;
  std::optional<VacuumSpec> vacuum;
  std::string timeZone;  // IANA name for the CronJobs, empty: the controller's
  long long startingDeadlineSeconds = 300;  // CronJob: a run missed by longer is skipped
  int successfulJobsHistoryLimit = 3;
  int failedJobsHistoryLimit = 1;
  // The purge/vacuum container's resources, a core/v1 ResourceRequirements object
  // ({"requests": {...}, "limits": {...}}, quantities as strings or integers).
  nlohmann::json resources = {{"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}},
                              {"limits", {{"memory", "256Mi"}}}};
};

struct ResetNetworkPoliciesRequest {
  std::string requestId;                  // empty: no request
  std::vector<std::string> organisations; // empty: every organisation, as the guide does
  std::string restoreAfter;               // Go-style duration ("2h", "30m"); empty: never
};

struct DisableSSORequest {
  std::string requestId;
  std::vector<std::string> organisations;
  bool disableProviders = false;
};

struct RecoverySpec {
  std::optional<ResetNetworkPoliciesRequest> resetGlobalNetworkPolicies;
  std::optional<DisableSSORequest> disableSSOEnforcement;
};

struct PhaseMaintenanceSpec {
  std::string version;  // empty: Follow mode
  std::string backendImage = "docker.io/phasehq/backend";
  std::string operatorImage;  // image of the purge/vacuum CronJobs; empty: the operator's own
  WorkloadRef backend{"phase-console-backend", "backend"};
  WorkloadRef worker{"phase-console-worker", "worker"};
  DatabaseSpec database;
  MigrationsSpec migrations;
  AuditLogsSpec auditLogs;
  RecoverySpec recovery;
  bool suspend = false;

  bool managed() const { return !version.empty(); }
};

// A rejected field: path in the API's notation ("spec.auditLogs.purge[0].retainDays"),
// the offending value as text, and what to do about it.
struct FieldError {
  // As the API server's field.ErrorType; Invalid unless said otherwise.
  enum class Kind { Invalid, Required, Duplicate, Unsupported, TooMany, TooLong, Unknown };

  std::string field;
  std::string value;
  std::string message;
  Kind kind = Kind::Invalid;

  // Invalid:     "spec.x: Invalid value: \"v\": message"
  // Required:    "spec.x: Required value: message"
  // Duplicate:   "spec.x: Duplicate value: \"v\": message"
  // Unsupported: "spec.x: Unsupported value: \"v\": message"
  // TooMany:     "spec.x: Too many: v: message"
  // TooLong:     "spec.x: Too long: message"
  // Unknown:     "spec.x: unknown field \"x\": message"
  std::string toString() const;
};

struct SpecParseResult {
  PhaseMaintenanceSpec spec;
  std::vector<FieldError> errors;  // empty: valid
  bool ok() const { return errors.empty(); }
};

// Reads `object["spec"]`, applying the CRD's defaults, and validates it.
SpecParseResult parseSpec(const nlohmann::json& object);
std::vector<FieldError> validateSpec(const PhaseMaintenanceSpec& spec);

}  // namespace pmo::maintenance
