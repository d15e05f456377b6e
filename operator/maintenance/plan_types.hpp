#pragma once
// The vocabulary of the pure planner (docs/architecture.md, principle 1): what the reconciler
// observed, and what it must do. plan*(observed) -> actions + status is pure and
// deterministic; only the reconciler (operator/controller) executes actions.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "maintenance/spec/spec.hpp"

namespace pmo::maintenance {

using Json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

// Everything the planner may look at, read from the informer caches by the reconciler.
struct Observed {
  Json object;                         // the PhaseMaintenance (metadata, spec, status)
  PhaseMaintenanceSpec spec;           // parsed and validated spec
  std::optional<Json> backend;         // the backend Deployment, if it exists
  std::optional<Json> worker;          // the worker Deployment, if it exists
  std::vector<Json> jobs;              // Jobs owned by this PhaseMaintenance
  std::vector<Json> cronJobs;          // CronJobs owned by this PhaseMaintenance
  std::vector<Json> pods;              // Pods of owned Jobs (termination messages)
  bool passwordSecretFound = true;     // spec.database.passwordSecretRef resolves (name and key)
  // The Jobs of the namespace that run `manage.py migrate` and are not this operator's
  // (migration/foreign_jobs.hpp). Not cached: read with one LIST only when a plan asks for
  // them (Plan::needsForeignJobs), i.e. just before the operator's migration Job would start.
  // nullopt: not read in this pass (never taken to mean "none").
  std::optional<std::vector<Json>> foreignJobs;
  std::string operatorImage;           // this operator's own image (for CronJobs)
  TimePoint now;
};

// One write the reconciler performs. Each is idempotent: creating what exists is
// treated as success (AlreadyExists), and patches carry a JSON Patch `test` or the
// object's resourceVersion so a stale plan fails with Conflict instead of clobbering.
struct Action {
  enum class Kind {
    Create,         // object: the full object to create
    Update,         // object: full object with metadata.resourceVersion (PUT)
    JsonPatch,      // name + patch: RFC 6902 ops, starting with `test` guards
    MergePatch,     // name + patch
    Delete,         // name; propagation background
    Event,          // eventType/reason/message about the PhaseMaintenance
  };
  Kind kind;
  std::string resource;   // "jobs", "cronjobs", "deployments" (batch/apps v1)
  std::string name;
  Json object;            // Create / Update
  Json patch;             // JsonPatch / MergePatch
  std::string eventType;  // "Normal" | "Warning"
  std::string reason;     // CamelCase, e.g. MigrationStarted
  std::string message;    // never contains a secret
  std::string describe() const;  // one line for logs
};

// A metav1.Condition; lastTransitionTime is kept when status does not change.
struct Condition {
  std::string type;
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;
  std::string message;
};

namespace conditions {
inline constexpr const char* kReady = "Ready";
inline constexpr const char* kMigrated = "Migrated";
inline constexpr const char* kRolledOut = "RolledOut";
inline constexpr const char* kAuditLogMaintenanceScheduled = "AuditLogMaintenanceScheduled";
inline constexpr const char* kDatabaseReachable = "DatabaseReachable";
inline constexpr const char* kSpecValid = "SpecValid";
inline constexpr const char* kMutableVersion = "MutableVersionTag";  // warning: `latest`
inline constexpr const char* kRecovered = "RecoveryApplied";
// True while another PhaseMaintenance owns a Deployment this one names (reason
// DeploymentClaimed, controller/ownership.hpp), or, in Managed mode, while another manager
// keeps setting the image against spec.version (reason ImageSetByAnotherManager).
inline constexpr const char* kConflict = "Conflict";
// True while backend or worker runs an image whose version is older than the one the database
// was migrated to (status.currentVersion), with no move in progress: the schema carries
// migrations that image does not have (migration/schema_ahead.cpp).
inline constexpr const char* kSchemaAhead = "SchemaAhead";
}  // namespace conditions

// Sets (or replaces) a condition in status["conditions"], stamping observedGeneration
// and keeping lastTransitionTime unless the status value changes.
void setCondition(Json& status, const Condition& c, long generation, TimePoint now);
std::optional<Condition> getCondition(const Json& status, const std::string& type);

// What a sub-planner returns: actions, the status it wants (a full status object,
// edited from the observed one), and when it needs to look again even without a
// change (e.g. the next CronJob run, a restoreAfter deadline, a rollout poll).
struct Plan {
  std::vector<Action> actions;
  Json status;
  std::optional<std::chrono::milliseconds> requeueAfter;
  // Planned without Observed::foreignJobs, which this pass needs: the caller lists them and
  // plans again (this plan stops before the step that needs them).
  bool needsForeignJobs = false;

  void requeueNoLaterThan(std::chrono::milliseconds d) {
    if (!requeueAfter || d < *requeueAfter) requeueAfter = d;
  }
};

// RFC 3339 UTC with seconds ("2026-11-25T20:36:13Z"), as the API server writes times.
// status.phase, a one-word summary (the CRD's enum lists the same values; crd_test checks it).
enum class Phase { Pending, BackingUp, Migrating, RollingOut, Ready, Failed, Blocked, Suspended, Invalid, Deleting };
inline constexpr Phase kAllPhases[] = {Phase::Pending, Phase::BackingUp, Phase::Migrating, Phase::RollingOut,
                                       Phase::Ready,   Phase::Failed,    Phase::Blocked,   Phase::Suspended,
                                       Phase::Invalid, Phase::Deleting};
const char* phaseName(Phase phase);
void setPhase(Json& status, Phase phase);

std::string formatTime(TimePoint t);
// RFC 3339 with microseconds (metav1.MicroTime): for values that must differ between two
// events of the same second, such as the run id of a migration attempt.
std::string formatMicroTime(TimePoint t);
std::optional<TimePoint> parseTime(const std::string& text);

}  // namespace pmo::maintenance
