// The steps of a move in progress (status.migration), in order:
//   Pending -> WaitingForMaintenanceJobs -> Pausing (Follow) -> BackingUp (backup.enabled)
//   -> ScalingDown (gate ScaleDown) -> Migrating -> RollingOut -> (done: status.migration removed)
// Each pass resumes at the recorded step (the cursor never moves back, so a purge Job that
// starts after the wait does not stall a migration), runs every step that is already
// satisfied by the observed state, and stops at the first that needs a write or a wait.
#include <vector>

#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/migration/job_builder.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/names.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance::migration {
namespace {

enum class Outcome { Done, Wait };

const std::vector<std::string>& canonicalOrder() {
  static const std::vector<std::string> order = {steps::kPending,     steps::kWaitingForMaintenanceJobs,
                                                 steps::kPausing,     steps::kBackingUp,
                                                 steps::kScalingDown, steps::kMigrating,
                                                 steps::kRollingOut};
  return order;
}

std::size_t rank(const std::string& step) {
  const auto& order = canonicalOrder();
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] == step) return i;
  return 0;
}

bool applies(const Ctx& ctx, const std::string& step) {
  const auto& spec = ctx.in.spec;
  if (step == steps::kPausing) return !spec.managed();
  if (step == steps::kBackingUp) return spec.migrations.backup.enabled;
  if (step == steps::kScalingDown) return spec.migrations.gate == MigrationGate::ScaleDown;
  return true;
}

struct Move {
  std::string from, to, runId, oldStep;
};

// Waits at `step`: records it, reports Migrated=False with the step as reason.
Outcome wait(Ctx& ctx, const std::string& step, const std::string& message, std::chrono::milliseconds after) {
  setStep(ctx, step, message);
  ctx.condition(conditions::kMigrated, false, step, message);
  ctx.plan.requeueNoLaterThan(after);
  return Outcome::Wait;
}

std::string jobFailureText(const Ctx& ctx, const char* what, const std::string& name, const JobView& view) {
  std::string text = std::string(what) + " Job \"" + name + "\" failed";
  if (!view.reason.empty() || !view.message.empty())
    text += " (" + view.reason + (view.message.empty() ? "" : ": " + view.message) + ")";
  if (!view.terminationMessage.empty()) text += "; its last output: " + view.terminationMessage;
  text += ". Read its logs: kubectl logs -n " + ctx.ns + " job/" + name + ". ";
  return text;
}

std::string retryText(const Ctx& ctx, const Move& mv, const std::string& name) {
  return "To retry, delete the Job (kubectl delete job -n " + ctx.ns + " " + name +
         "): the operator creates it again; or set " +
         (ctx.in.spec.managed() ? "spec.version" : "the Deployments' image") + " back to " + mv.from + ".";
}

std::string workloadsStateText(const Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  std::string text = "Deployments \"" + spec.backend.deployment + "\" and \"" + spec.worker.deployment + "\" ";
  if (!spec.managed()) return text + "stay paused so " + mv.to + " does not start on an unmigrated schema. ";
  if (spec.migrations.gate == MigrationGate::ScaleDown)
    return text + "stay at 0 replicas (gate ScaleDown); their replicas come back after a successful retry or "
                  "when spec.version is set back to " + mv.from + ". ";
  return text + "keep running " + mv.from + ". ";
}

Outcome waitForMaintenanceJobs(Ctx& ctx) {
  const Json* job = activeMaintenanceJob(ctx.in);
  if (!job) return Outcome::Done;
  return wait(ctx, steps::kWaitingForMaintenanceJobs,
              "waiting for audit-log Job \"" + job->value("/metadata/name"_json_pointer, std::string()) +
                  "\" to finish before migrating",
              kRequeueMaintenanceJobs);
}

Outcome pause(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const Json b = pausePatch(ctx.backend()), w = pausePatch(ctx.worker());
  if (b.empty() && w.empty()) return Outcome::Done;
  ctx.patchDeployment(spec.backend.deployment, b);
  ctx.patchDeployment(spec.worker.deployment, w);
  if (mv.oldStep != steps::kPausing)
    ctx.event("Normal", "WorkloadsPaused",
              "paused backend and worker (spec.paused) until the migrations of " + mv.to + " ran");
  return wait(ctx, steps::kPausing, "pausing backend and worker until " + mv.to + " is migrated", kRequeuePatch);
}

Outcome backUp(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const std::string name = backupJobName(ctx.name, mv.from, mv.to);
  migration(ctx)["backupJob"] = name;
  const JobView view = findJob(ctx.in, name, mv.runId);
  using S = JobView::State;
  if (view.state == S::Absent && !ctx.in.passwordSecretFound) {
    const std::string msg = "spec.database.passwordSecretRef: Secret \"" + spec.database.passwordSecretRef.name +
                            "\" with key \"" + spec.database.passwordSecretRef.key + "\" was not found in namespace \"" +
                            ctx.ns + "\"; the backup Job reads PGPASSWORD from it. Create it or correct the reference";
    setStep(ctx, steps::kBackingUp, msg);
    ctx.condition(conditions::kMigrated, false, reasons::kSecretNotFound, msg, "Warning");
    ctx.plan.requeueNoLaterThan(kRequeueBlocked);
    return Outcome::Wait;
  }
  switch (view.state) {
    case S::Absent: {
      const std::string path = backupDumpPath(ctx.name, mv.from, mv.to, parseTime(mv.runId).value_or(TimePoint{}));
      Action create{Action::Kind::Create, "jobs", name,
                    buildBackupJob(ctx.in.object, spec, ctx.backend(), mv.from, mv.to, mv.runId, path), {}, "", "", ""};
      ctx.plan.actions.push_back(std::move(create));
      // Once per move: the Job may be missing only from a cache that has not seen it yet
      // (its create then meets AlreadyExists), which is no new backup.
      if (mv.oldStep != steps::kBackingUp)
        ctx.event("Normal", "BackupStarted", "backing up the database to " + path + " (Job " + name + ")");
      return wait(ctx, steps::kBackingUp, "backing up the database before migrating (Job " + name + ")", kRequeueJob);
    }
    case S::Stale:
      ctx.plan.actions.push_back(Action{Action::Kind::Delete, "jobs", name, {}, {}, "", "", ""});
      [[fallthrough]];
    case S::Deleting:
      return wait(ctx, steps::kBackingUp, "replacing Job " + name + " left by an earlier migration", kRequeueJob);
    case S::Active:
      return wait(ctx, steps::kBackingUp, "backing up the database before migrating (Job " + name + ")", kRequeueJob);
    case S::Failed:
      failMigration(ctx, reasons::kBackupFailed,
                    jobFailureText(ctx, "backup", name, view) + "Nothing was migrated. " + workloadsStateText(ctx, mv) +
                        retryText(ctx, mv, name));
      return Outcome::Wait;
    case S::Succeeded: break;
  }
  std::string path = annotation(*view.job, annotations::kBackupPath).value_or("");
  if (view.terminationMessage.rfind(kBackupMountPath, 0) == 0) path = view.terminationMessage;
  if (migrationField(ctx.old, "backupPath").empty())
    ctx.event("Normal", "BackupSucceeded", "database backed up to " + path + " (Job " + name + ")");
  migration(ctx)["backupPath"] = path;
  return Outcome::Done;
}

Outcome scaleDown(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const Json b = scaleDownPatch(ctx.backend()), w = scaleDownPatch(ctx.worker());
  if (!b.empty() || !w.empty()) {
    ctx.patchDeployment(spec.backend.deployment, b);
    ctx.patchDeployment(spec.worker.deployment, w);
    if (mv.oldStep != steps::kScalingDown)
      ctx.event("Normal", "WorkloadsScaledDown",
                "scaled backend and worker to 0 (gate ScaleDown); replicas recorded in annotation " +
                    std::string(annotations::kReplicasBefore));
    return wait(ctx, steps::kScalingDown, "scaling backend and worker to 0", kRequeuePatch);
  }
  const int running = observedReplicas(ctx.backend()) + observedReplicas(ctx.worker());
  if (running > 0)
    return wait(ctx, steps::kScalingDown, "waiting for " + std::to_string(running) + " backend and worker pods to stop",
                kRequeueJob);
  return Outcome::Done;
}

Outcome migrate(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const std::string name = migrationJobName(ctx.name, mv.to);
  migration(ctx)["migrationJob"] = name;
  const JobView view = findJob(ctx.in, name, mv.runId);
  const std::string running = "running python manage.py migrate in " + spec.backendImage + ":" + mv.to + " (Job " + name + ")";
  using S = JobView::State;
  switch (view.state) {
    case S::Absent: {
      auto job = buildMigrationJob(ctx.in.object, spec, ctx.backend(), mv.to, mv.runId);
      if (!job) return wait(ctx, steps::kMigrating, "backend container missing", kRequeueBlocked);
      ctx.plan.actions.push_back(Action{Action::Kind::Create, "jobs", name, *job, {}, "", "", ""});
      return wait(ctx, steps::kMigrating, running, kRequeueJob);
    }
    case S::Stale:
      ctx.plan.actions.push_back(Action{Action::Kind::Delete, "jobs", name, {}, {}, "", "", ""});
      [[fallthrough]];
    case S::Deleting:
      return wait(ctx, steps::kMigrating, "replacing Job " + name + " left by an earlier migration", kRequeueJob);
    case S::Active:
      return wait(ctx, steps::kMigrating, running, kRequeueJob);
    case S::Failed:
      failMigration(ctx, reasons::kMigrationFailed,
                    jobFailureText(ctx, "migration", name, view) + workloadsStateText(ctx, mv) + retryText(ctx, mv, name));
      return Outcome::Wait;
    case S::Succeeded: break;
  }
  return Outcome::Done;
}

Outcome rollOut(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const std::string job = migrationField(ctx.status(), "migrationJob");
  if (mv.oldStep != steps::kRollingOut)
    ctx.event("Normal", reasons::kMigrationSucceeded,
              "migrations of " + mv.to + " ran (Job " + job + "); rolling out backend and worker");
  ctx.condition(conditions::kMigrated, true, reasons::kMigrationSucceeded,
                "migrations of " + mv.to + " ran (Job " + job + "); waiting for the rollout");
  if (releaseWorkloads(ctx, mv.to, spec.managed())) {
    setStep(ctx, steps::kRollingOut, "rolling out " + mv.to + " to backend and worker");
    ctx.condition(conditions::kRolledOut, false, reasons::kRollingOut, "rolling out " + mv.to);
    ctx.plan.requeueNoLaterThan(kRequeuePatch);
    return Outcome::Wait;
  }
  setStep(ctx, steps::kRollingOut, "waiting for backend and worker to run " + mv.to);
  if (!reportRollout(ctx, mv.to)) {
    ctx.plan.requeueNoLaterThan(kRequeueRollout);
    return Outcome::Wait;
  }
  ctx.status()["currentVersion"] = mv.to;
  recordHistory(ctx, "Succeeded", "migrated from " + mv.from + " to " + mv.to + " and rolled out");
  ctx.status().erase("migration");
  ctx.condition(conditions::kMigrated, true, reasons::kUpToDate, mv.to + " is migrated");
  ctx.event("Normal", reasons::kRolloutComplete, "backend and worker run " + mv.to);
  ctx.phase("Ready");
  return Outcome::Done;
}

Outcome runStep(Ctx& ctx, const std::string& step, const Move& mv) {
  if (step == steps::kWaitingForMaintenanceJobs) return waitForMaintenanceJobs(ctx);
  if (step == steps::kPausing) return pause(ctx, mv);
  if (step == steps::kBackingUp) return backUp(ctx, mv);
  if (step == steps::kScalingDown) return scaleDown(ctx, mv);
  if (step == steps::kMigrating) return migrate(ctx, mv);
  if (step == steps::kRollingOut) return rollOut(ctx, mv);
  return Outcome::Done;  // Pending
}

// A failed move stays failed until the failed Job is deleted (then that step runs again)
// or the target changes (retarget). Returns the step to resume at, or "" to stay.
std::string resumeAfterFailure(Ctx& ctx, const Move& mv) {
  const std::string migrationJob = migrationField(ctx.status(), "migrationJob");
  const std::string job = migrationJob.empty() ? migrationField(ctx.status(), "backupJob") : migrationJob;
  const JobView view = findJob(ctx.in, job, mv.runId);
  if (job.empty() || view.state == JobView::State::Absent) {
    ctx.event("Normal", "MigrationRetried", "Job " + job + " was deleted: retrying the move from " + mv.from + " to " + mv.to);
    return migrationJob.empty() ? steps::kBackingUp : steps::kMigrating;
  }
  ctx.phase("Failed");
  if (view.state == JobView::State::Deleting) ctx.plan.requeueNoLaterThan(kRequeueJob);
  return "";
}

}  // namespace

void runSteps(Ctx& ctx) {
  const Json& m = ctx.status()["migration"];
  Move mv{m.value("from", ""), m.value("to", ""), m.value("startedAt", ""), migrationField(ctx.old, "step")};
  std::string step = m.value("step", steps::kPending);
  if (step == steps::kFailed) {
    step = resumeAfterFailure(ctx, mv);
    if (step.empty()) return;
  }
  for (const auto& s : canonicalOrder()) {
    if (rank(s) < rank(step) || !applies(ctx, s)) continue;
    if (runStep(ctx, s, mv) == Outcome::Wait) return;
  }
}

}  // namespace pmo::maintenance::migration
