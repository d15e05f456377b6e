#pragma once
// The audit-log planner: a pure function from what the
// reconciler observed to the CronJob writes, the status.auditLogs it must store, the
// AuditLogMaintenanceScheduled condition, and the Events of newly finished runs.
//
// Guarantees:
//  - Pure and deterministic: no I/O, no clock (Observed::now), same input -> same plan.
//  - Quiet at rest: when the CronJobs match the spec and no Job finished since the last
//    status, `actions` is empty and `status` equals the observed status, so the caller
//    sends no write at all.
//  - Reconciled by name and label: a missing CronJob is created, one whose spec hash or
//    owned fields differ is updated (PUT with its resourceVersion, so a stale plan gets a
//    Conflict), and an owned purge/vacuum CronJob no longer in the spec is deleted.
//  - While `migrationInProgress`, every desired CronJob has spec.suspend = true, and false
//    again after; that is part of the desired spec, so it is an ordinary update.
//  - Secret missing (Observed::passwordSecretFound false): no CronJob is created (its Jobs
//    could only fail); existing ones are still updated and pruned (suspension must keep
//    working); the condition is False/SecretNotFound and a requeue of a minute looks again
//    (the operator does not watch Secrets). The caller checks the Secret only when the plan
//    creates or updates a CronJob, so this condition reports what the last write found.
//  - One Event and one count per finished Job: when status lastResult.job changes (or the
//    same Job's summary becomes readable for the first time: counted, no second Event).
//    Summaries come from the newest pod's termination message; garbage or truncation
//    gives the Job's own success and the message "summary unreadable".
//  - spec.suspend of the PhaseMaintenance is the caller's business (it skips this planner).
//  - status.observedGeneration is left to the caller.
#include <chrono>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

struct AuditLogPlan : Plan {
  long long newRowsPurged = 0;      // rows deleted by purge runs first recorded by this plan
  long long newBytesReclaimed = 0;  // bytes reclaimed by vacuum runs first recorded (> 0 only)
};

AuditLogPlan planAuditLogs(const Observed& in, bool migrationInProgress);

// Requeue bounds: the next fire time of any CronJob plus a margin, within [min, max].
inline constexpr std::chrono::seconds kScheduleRequeueMargin{30};
inline constexpr std::chrono::seconds kMaxScheduleRequeue{3600};
inline constexpr std::chrono::seconds kSecretMissingRequeue{60};
// A Job finished but its pod is not in the cache yet: wait this long for the termination
// message before recording the result without it.
inline constexpr std::chrono::seconds kPodGracePeriod{60};
inline constexpr std::chrono::seconds kPodGraceRequeue{5};

inline constexpr const char* kSummaryUnreadable = "summary unreadable";

namespace audit_reasons {
// AuditLogMaintenanceScheduled
inline constexpr const char* kScheduled = "Scheduled";
inline constexpr const char* kSuspendedForMigration = "SuspendedForMigration";
inline constexpr const char* kNotConfigured = "NotConfigured";
inline constexpr const char* kSecretNotFound = "SecretNotFound";
inline constexpr const char* kImageUnknown = "OperatorImageUnknown";
// Events
inline constexpr const char* kPurgeSucceeded = "PurgeSucceeded";
inline constexpr const char* kPurgeFailed = "PurgeFailed";
inline constexpr const char* kVacuumSucceeded = "VacuumSucceeded";
inline constexpr const char* kVacuumFailed = "VacuumFailed";
}  // namespace audit_reasons

}  // namespace pmo::maintenance
