// The target moved while a move was in progress (spec.version edited, or in Follow mode the
// Deployments' image changed again). Decision, by how far the move got:
//  - its migration Job succeeded (step Migrating with the Job Complete, or RollingOut): the
//    schema is at the old target, so that version is committed as currentVersion (history
//    Succeeded) and the new target is planned from it: a new move, or a refused downgrade;
//  - its migration Job is running: it is left to finish (killing `migrate` midway gains
//    nothing), then the previous rule applies;
//  - otherwise (nothing ran against the schema yet, or the migration failed): the move is
//    abandoned, an active (or not yet cached) backup Job of it deleted, and the new target is planned from the
//    unchanged currentVersion. Gate changes (pause, scale to 0) stay in place for the next
//    move, or are undone when the new target is the current version.
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/names.hpp"

namespace pmo::maintenance::migration {

Retarget retarget(Ctx& ctx, const std::string& newTarget) {
  const Json m = ctx.status()["migration"];
  const std::optional<Step> step = migrationStep(ctx.status());
  const std::string from = m.value("from", ""), to = m.value("to", "");
  const std::string runId = m.value("startedAt", "");
  const std::string migrationJob = migrationJobName(ctx.name, to);
  const JobView view = findJob(ctx.in, migrationJob, runId);
  using S = JobView::State;

  if (step == Step::RollingOut || (step == Step::Migrating && view.state == S::Succeeded)) {
    migration(ctx)["migrationJob"] = migrationJob;
    recordHistory(ctx, "Succeeded",
                  "migrated from " + from + " to " + to + "; the target moved to " + newTarget +
                      " before the rollout completed");
    ctx.status()["currentVersion"] = to;
    ctx.status().erase("migration");
    ctx.event("Normal", reasons::kMigrationSucceeded,
              "migrations of " + to + " ran (Job " + migrationJob + "); moving on to " + newTarget);
    return Retarget::Continue;
  }
  if (step == Step::Migrating && (view.state == S::Active || view.state == S::Deleting)) {
    const std::string msg = "the target is now " + newTarget + "; the running migration to " + to + " (Job " +
                            migrationJob + ") finishes first";
    setStep(ctx, Step::Migrating, msg);
    ctx.condition(conditions::kMigrated, false, stepName(Step::Migrating), msg);
    ctx.plan.requeueNoLaterThan(kRequeueJob);
    return Retarget::Wait;
  }
  // An active backup of the abandoned move goes; so does one the Job cache has not seen
  // yet while the status says it was started (deleting what is not there is a no-op).
  const std::string backupJob = m.value("backupJob", "");
  const S backup = backupJob.empty() ? S::Absent : findJob(ctx.in, backupJob, runId).state;
  if (backup == S::Active || (!backupJob.empty() && backup == S::Absent && step == Step::BackingUp))
    ctx.plan.actions.push_back(Action{Action::Kind::Delete, "jobs", backupJob, {}, {}, "", "", ""});
  ctx.event("Normal", "MigrationSuperseded",
            "the move from " + from + " to " + to + " was abandoned at step " + migrationField(ctx.status(), "step") + ": the target is now " +
                newTarget);
  ctx.status().erase("migration");
  return Retarget::Continue;
}

}  // namespace pmo::maintenance::migration
