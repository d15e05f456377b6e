#pragma once
// Internal to the audit-log planner: the last result of a purge or vacuum CronJob, read
// from its newest finished Job and that Job's pod termination message.
#include <optional>
#include <string>

#include "maintenance/auditlogs/planner.hpp"

namespace pmo::maintenance::audit {

struct FinishedJob {
  std::string name;
  bool succeeded = false;
  TimePoint finishedAt{};
  std::string failure;  // the Failed condition's "reason: message"
  bool podFound = false;
  std::string terminationMessage;  // the newest pod's, "" when none
};

// The newest Job of `cronJob` (ownerReference kind CronJob, by uid or name) that is
// Complete or Failed; its newest pod's termination message when a pod is observed.
std::optional<FinishedJob> newestFinishedJob(const Observed& in, const Json& cronJob);

// Sets entry["lastResult"] from the previous entry's lastResult and the newest finished
// Job of `cronJob` (nullptr: not observed yet). Adds to `plan` the Event, the counters and
// the requeue of a newly recorded result (see maintenance/auditlogs/planner.hpp).
void updatePurgeResult(const Observed& in, const Json* cronJob, const Json& previousEntry, Json& entry,
                       AuditLogPlan& plan);
// The same for vacuum; a newly recorded summary also replaces `table` (status.auditLogs.table).
void updateVacuumResult(const Observed& in, const Json* cronJob, const Json& previousEntry, Json& entry,
                        Json& table, AuditLogPlan& plan);

}  // namespace pmo::maintenance::audit
