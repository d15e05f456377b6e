#pragma once
// Internals shared by migration_*.cpp (not for use outside the planner).
#include <chrono>
#include <optional>
#include <string>

#include "maintenance/migration/planner.hpp"
#include "maintenance/plan_types.hpp"
#include "maintenance/version.hpp"

namespace pmo::maintenance::migration {

using namespace std::chrono_literals;

// Requeue delays: safety nets (watches on owned Jobs and named Deployments wake the
// reconciler first), chosen so that no state polls faster than every 2 s.
inline constexpr std::chrono::milliseconds kRequeueStart = 1s;
inline constexpr std::chrono::milliseconds kRequeuePatch = 2s;
inline constexpr std::chrono::milliseconds kRequeueJob = 5s;
inline constexpr std::chrono::milliseconds kRequeueMaintenanceJobs = 10s;
inline constexpr std::chrono::milliseconds kRequeueRollout = 10s;
inline constexpr std::chrono::milliseconds kRequeueBlocked = 30s;  // missing references

inline constexpr std::size_t kHistoryLimit = 10;

// The planning context: the input, the plan being built, and the status before this call
// (to emit Events only on transitions).
struct Ctx {
  const Observed& in;
  Plan& plan;
  Json old;          // the observed status
  long generation;
  std::string name;  // the PhaseMaintenance
  std::string ns;

  Ctx(const Observed& observed, Plan& out);

  Json& status() { return plan.status; }
  void event(const std::string& type, const std::string& reason, const std::string& message);
  // Sets a condition; when `eventType` is given, also emits an Event with the same reason and
  // message if status, reason or message differ from the observed condition.
  void condition(const std::string& type, bool value, const std::string& reason,
                 const std::string& message, const char* eventType = nullptr);
  // Plans `ops` for the Deployment: appended to the patch already planned for it in this
  // pass (one write per Deployment per pass, at the position of its first ops), else a new
  // JsonPatch action. Ops must be computed against the Deployment as projected()
  // (the observed one with this pass's earlier ops applied).
  void patchDeployment(const std::string& deployment, const Json& ops);
  // As condition(), with status "Unknown": the operator cannot tell.
  void conditionUnknown(const std::string& type, const std::string& reason, const std::string& message,
                        const char* eventType = nullptr);
  // The observed Deployment with the ops this pass already planned for it applied.
  Json projected(const std::string& deployment, const Json& observed) const;
  void phase(Phase value) { setPhase(plan.status, value); }
  void setConditionStatus(const std::string& type, const std::string& status, const std::string& reason,
                          const std::string& message, const char* eventType);
  // The observed Deployments (callers check references first).
  const Json& backend() const { return *in.backend; }
  const Json& worker() const { return *in.worker; }
};

// status.migration accessors.
Json& migration(Ctx& ctx);  // creates it when absent
std::string migrationField(const Json& status, const char* field);
// status.migration.step of `status` (nullopt when absent or not a Step).
std::optional<Step> migrationStep(const Json& status);
void setStep(Ctx& ctx, Step step, const std::string& message);
// Appends {from,to,migrationJob,backupJob,backupPath,startTime,completionTime,result,message}
// newest first, at most kHistoryLimit.
void recordHistory(Ctx& ctx, const std::string& result, const std::string& message);
void pushHistory(Ctx& ctx, Json entry);
// Fails the move: step Failed, Migrated=False with `reason` (Event on transition), a
// history entry (once).
void failMigration(Ctx& ctx, const std::string& reason, const std::string& message);

// An owned Job as the planner sees it.
struct JobView {
  enum class State { Absent, Stale, Deleting, Active, Succeeded, Failed } state = State::Absent;
  const Json* job = nullptr;
  std::string reason;              // Failed: the Job's condition reason (BackoffLimitExceeded...)
  std::string message;             // Failed: the Job's condition message
  std::string terminationMessage;  // the newest pod's container termination message
};
// Looks the Job up by name among in.jobs; one whose kMigrationRun annotation differs from
// `runId` is Stale (an earlier move's), one being deleted is Deleting.
JobView findJob(const Observed& in, const std::string& name, const std::string& runId);
// A purge or vacuum Job (label component) of this instance still running, if any. in.jobs
// holds this instance's Jobs: the caller selects them by the owner label, which the
// CronJobs' job templates carry too (their controller is the CronJob, not us).
const Json* activeMaintenanceJob(const Observed& in);

// Steps of the move, implemented in maintenance/migration/steps.cpp. Runs from status.migration.step.
void runSteps(Ctx& ctx);
// Writes for the Deployments so they run `version` (Managed) and carry none of the
// operator's gate changes, in one guarded patch each; returns true when any was planned.
bool releaseWorkloads(Ctx& ctx, const std::string& version, bool setImages);
// RolledOut from the observed Deployments; true when both rollouts are complete.
bool reportRollout(Ctx& ctx, const std::string& version);

// The schema gate (schema_gate.hpp) on backend and worker, EXTERNAL_MIGRATION=true on the
// backend: planned on every pass that found both Deployments, merged into the pass's own
// patch of each (so a Managed image change and the gate's image land in one rollout).
// Announced by an Event when the gate is first added.
void keepSchemaGate(Ctx& ctx);

// SchemaAhead (migration/schema_ahead.cpp): True while, with no move in progress, backend or
// worker (as this pass leaves them) runs a version older than status.currentVersion; set False
// once that ends, left absent when it never held (no write for it at rest either way).
void reportSchemaAhead(Ctx& ctx);

// The target moved away from status.migration.to. Wait: a running migration Job finishes
// first (nothing else planned). Continue: status.migration was resolved, either committed
// (the migration Job succeeded: currentVersion = its version) or abandoned (an active
// backup Job of it deleted), and planning goes on from status.currentVersion.
enum class Retarget { Wait, Continue };
Retarget retarget(Ctx& ctx, const std::string& newTarget);

// status.phase while the move waits at `step`.
Phase phaseForStep(Step step);

}  // namespace pmo::maintenance::migration
