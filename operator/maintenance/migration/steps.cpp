// The steps of a move in progress (status.migration) as a state machine: the enum Step
// (planner.hpp) and one transition table (kTable below). A pass resumes at the recorded
// step, walks the table in order through the steps that apply to the spec, runs every
// step that the observed state already satisfies, and stops at the first that needs a
// write or a wait. The cursor never moves back (a purge Job that starts after the wait
// does not stall a migration). Failed leaves the walk until its Job is deleted.
#include <array>
#include <utility>

#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/migration/foreign_jobs.hpp"
#include "maintenance/migration/job_builder.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/names.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance::migration {
namespace {

enum class Outcome { Done, Wait };

struct Move {
  std::string from, to, runId;
  std::optional<Step> oldStep;
};

// Waits at `step`: records it, reports Migrated=False with the step as reason.
Outcome wait(Ctx& ctx, Step step, const std::string& message, std::chrono::milliseconds after) {
  setStep(ctx, step, message);
  ctx.condition(conditions::kMigrated, false, stepName(step), message);
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

Outcome waitForMaintenanceJobs(Ctx& ctx, const Move&) {
  const Json* job = activeMaintenanceJob(ctx.in);
  if (!job) return Outcome::Done;
  return wait(ctx, Step::WaitingForMaintenanceJobs,
              "waiting for audit-log Job \"" + job->value("/metadata/name"_json_pointer, std::string()) +
                  "\" to finish before migrating",
              kRequeueMaintenanceJobs);
}

// The pause itself is planned by holdGates (every pass, before anything else); this step
// waits until both Deployments are paused (by the operator or by someone else).
Outcome pause(Ctx& ctx, const Move& mv) {
  if (isPaused(ctx.backend()) && isPaused(ctx.worker())) return Outcome::Done;
  return wait(ctx, Step::Pausing, "pausing backend and worker until " + mv.to + " is migrated", kRequeuePatch);
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
    setStep(ctx, Step::BackingUp, msg);
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
      if (mv.oldStep != Step::BackingUp)
        ctx.event("Normal", "BackupStarted", "backing up the database to " + path + " (Job " + name + ")");
      return wait(ctx, Step::BackingUp, "backing up the database before migrating (Job " + name + ")", kRequeueJob);
    }
    case S::Stale:
      ctx.plan.actions.push_back(Action{Action::Kind::Delete, "jobs", name, {}, {}, "", "", ""});
      [[fallthrough]];
    case S::Deleting:
      return wait(ctx, Step::BackingUp, "replacing Job " + name + " left by an earlier migration", kRequeueJob);
    case S::Active:
      return wait(ctx, Step::BackingUp, "backing up the database before migrating (Job " + name + ")", kRequeueJob);
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
    if (mv.oldStep != Step::ScalingDown)
      ctx.event("Normal", "WorkloadsScaledDown",
                "scaled backend and worker to 0 (gate ScaleDown); replicas recorded in annotation " +
                    std::string(annotations::kReplicasBefore));
    return wait(ctx, Step::ScalingDown, "scaling backend and worker to 0", kRequeuePatch);
  }
  const int running = observedReplicas(ctx.backend()) + observedReplicas(ctx.worker());
  if (running > 0)
    return wait(ctx, Step::ScalingDown, "waiting for " + std::to_string(running) + " backend and worker pods to stop",
                kRequeueJob);
  return Outcome::Done;
}

// The oldest running foreign migrate Job of the namespace (the same one on every pass).
const Json* oldestForeignMigration(const Ctx& ctx) {
  const Json* oldest = nullptr;
  auto key = [](const Json& j) {
    return std::make_pair(jobStartTime(j), j.value("/metadata/name"_json_pointer, std::string()));
  };
  for (const auto& job : *ctx.in.foreignJobs)
    if (job.value("/metadata/namespace"_json_pointer, ctx.ns) == ctx.ns && isForeignMigration(job) &&
        (!oldest || key(job) < key(*oldest)))
      oldest = &job;
  return oldest;
}

// Django's migrate takes no lock: two at once can both apply a migration, and the second
// fails (or runs a data migration twice). A running migrate Job the operator does not own
// (Phase's chart's hook) is waited for, with the gates held, until it completes, fails or
// is deleted; the operator's own migrate then runs anyway (idempotent) and reports its own
// result. Past spec.migrations.activeDeadlineSeconds it is still waited for, with a Warning
// naming the fix: starting beside it is the one thing this step exists to prevent. Once
// the operator's Job of this run exists, nothing is waited for.
Outcome waitForForeignMigration(Ctx& ctx, const Move& mv) {
  using S = JobView::State;
  const S own = findJob(ctx.in, migrationJobName(ctx.name, mv.to), mv.runId).state;
  if (own == S::Active || own == S::Succeeded || own == S::Failed) return Outcome::Done;
  if (!ctx.in.foreignJobs) {  // the caller lists them and plans again
    ctx.plan.needsForeignJobs = true;
    ctx.plan.requeueNoLaterThan(kRequeueStart);
    return Outcome::Wait;
  }
  const Json* foreign = oldestForeignMigration(ctx);
  if (!foreign) return Outcome::Done;
  const std::string name = foreign->value("/metadata/name"_json_pointer, std::string());
  const std::string job = "Job " + ctx.ns + "/" + name + " (not the operator's; it runs manage.py migrate";
  const std::string since = jobStartTime(*foreign);
  const std::string why = ": Django's migrate takes no lock, so two at once can apply the same migration twice";
  if (mv.oldStep != Step::WaitingForForeignMigration)
    ctx.event("Normal", stepName(Step::WaitingForForeignMigration),
              "waiting for " + job + ") to finish before migrating to " + mv.to);
  const auto deadline = std::chrono::seconds(ctx.in.spec.migrations.activeDeadlineSeconds);
  const auto started = parseTime(since);
  if (!started || ctx.in.now - *started <= deadline)
    return wait(ctx, Step::WaitingForForeignMigration,
                "waiting for " + job + ", since " + since + ") to finish before migrating to " + mv.to + why +
                    ". The operator's migration Job starts when that Job completes, fails or is deleted",
                kRequeueJob);
  const std::string overdue =
      job + ") has run since " + since + ", longer than spec.migrations.activeDeadlineSeconds (" +
      std::to_string(deadline.count()) + "s); the operator still waits for it before migrating to " + mv.to + why +
      ". Read its logs (kubectl logs -n " + ctx.ns + " job/" + name + "); if it hangs, delete it (kubectl delete job -n " +
      ctx.ns + " " + name + ") and the operator's migration Job starts";
  setStep(ctx, Step::WaitingForForeignMigration, overdue);
  ctx.condition(conditions::kMigrated, false, reasons::kForeignMigrationOverdue, overdue, "Warning");
  ctx.plan.requeueNoLaterThan(kRequeueJob);
  return Outcome::Wait;
}

Outcome migrate(Ctx& ctx, const Move& mv) {
  const auto& spec = ctx.in.spec;
  const std::string name = migrationJobName(ctx.name, mv.to);
  migration(ctx)["migrationJob"] = name;
  const JobView view = findJob(ctx.in, name, mv.runId);
  // Follow mode: exactly the image the backend Deployment names (a mirror, a digest), the
  // code that will run; Managed mode: spec.backendImage at the target.
  const std::string image =
      spec.managed() ? spec.backendImage + ":" + mv.to : containerImage(ctx.backend(), spec.backend.container);
  const std::string running = "running python manage.py migrate in " + image + " (Job " + name + ")";
  using S = JobView::State;
  switch (view.state) {
    case S::Absent: {
      auto job = buildMigrationJob(ctx.in.object, spec, ctx.backend(), mv.to, image, mv.runId);
      if (!job) return wait(ctx, Step::Migrating, "backend container missing", kRequeueBlocked);
      ctx.plan.actions.push_back(Action{Action::Kind::Create, "jobs", name, *job, {}, "", "", ""});
      return wait(ctx, Step::Migrating, running, kRequeueJob);
    }
    case S::Stale:
      ctx.plan.actions.push_back(Action{Action::Kind::Delete, "jobs", name, {}, {}, "", "", ""});
      [[fallthrough]];
    case S::Deleting:
      return wait(ctx, Step::Migrating, "replacing Job " + name + " left by an earlier migration", kRequeueJob);
    case S::Active:
      return wait(ctx, Step::Migrating, running, kRequeueJob);
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
  if (mv.oldStep != Step::RollingOut)
    ctx.event("Normal", reasons::kMigrationSucceeded,
              "migrations of " + mv.to + " ran (Job " + job + "); rolling out backend and worker");
  ctx.condition(conditions::kMigrated, true, reasons::kMigrationSucceeded,
                "migrations of " + mv.to + " ran (Job " + job + "); waiting for the rollout");
  if (releaseWorkloads(ctx, mv.to, spec.managed())) {
    setStep(ctx, Step::RollingOut, "rolling out " + mv.to + " to backend and worker");
    ctx.condition(conditions::kRolledOut, false, reasons::kRollingOut, "rolling out " + mv.to);
    ctx.plan.requeueNoLaterThan(kRequeuePatch);
    return Outcome::Wait;
  }
  setStep(ctx, Step::RollingOut, "waiting for backend and worker to run " + mv.to);
  if (!reportRollout(ctx, mv.to)) {
    ctx.plan.requeueNoLaterThan(kRequeueRollout);
    return Outcome::Wait;
  }
  ctx.status()["currentVersion"] = mv.to;
  recordHistory(ctx, "Succeeded", "migrated from " + mv.from + " to " + mv.to + " and rolled out");
  ctx.status().erase("migration");
  ctx.condition(conditions::kMigrated, true, reasons::kUpToDate, mv.to + " is migrated");
  ctx.event("Normal", reasons::kRolloutComplete, "backend and worker run " + mv.to);
  ctx.phase(Phase::Ready);
  return Outcome::Done;
}

// The move's run id (startedAt) is stored before any Job carries it: a status write that
// fails after a create would otherwise leave a Job that the next pass finds stale.
Outcome recorded(Ctx& ctx, const Move& mv) {
  if (migrationField(ctx.old, "startedAt") == mv.runId) return Outcome::Done;
  ctx.plan.requeueNoLaterThan(kRequeueStart);
  return Outcome::Wait;
}

bool always(const PhaseMaintenanceSpec&) { return true; }
bool never(const PhaseMaintenanceSpec&) { return false; }
bool followMode(const PhaseMaintenanceSpec& spec) { return !spec.managed(); }
bool backupEnabled(const PhaseMaintenanceSpec& spec) { return spec.migrations.backup.enabled; }
bool scaleDownGate(const PhaseMaintenanceSpec& spec) { return spec.migrations.gate == MigrationGate::ScaleDown; }

// One row per step, in the order of the walk.
struct Transition {
  Step step;
  const char* name;   // status.migration.step
  Phase phase;        // status.phase while waiting here
  bool (*applies)(const PhaseMaintenanceSpec&);
  Outcome (*run)(Ctx&, const Move&);
};

const std::array<Transition, 9> kTable = {{
    {Step::Pending, "Pending", Phase::Pending, always, recorded},
    {Step::Pausing, "Pausing", Phase::Pending, followMode, pause},
    {Step::WaitingForMaintenanceJobs, "WaitingForMaintenanceJobs", Phase::Pending, always, waitForMaintenanceJobs},
    {Step::BackingUp, "BackingUp", Phase::BackingUp, backupEnabled, backUp},
    {Step::ScalingDown, "ScalingDown", Phase::Migrating, scaleDownGate, scaleDown},
    {Step::WaitingForForeignMigration, "WaitingForForeignMigration", Phase::Migrating, always, waitForForeignMigration},
    {Step::Migrating, "Migrating", Phase::Migrating, always, migrate},
    {Step::RollingOut, "RollingOut", Phase::RollingOut, always, rollOut},
    {Step::Failed, "Failed", Phase::Failed, never, nullptr},  // left by failMigration, never walked into
}};

const Transition& row(Step step) {
  for (const auto& t : kTable)
    if (t.step == step) return t;
  return kTable.front();
}

std::size_t position(Step step) { return static_cast<std::size_t>(&row(step) - kTable.data()); }

// A failed move stays failed until the failed Job is deleted (then that step runs again)
// or the target changes (retarget). Returns the step to resume at, or nullopt to stay.
std::optional<Step> resumeAfterFailure(Ctx& ctx, const Move& mv) {
  const std::string migrationJob = migrationField(ctx.status(), "migrationJob");
  const std::string job = migrationJob.empty() ? migrationField(ctx.status(), "backupJob") : migrationJob;
  const JobView view = findJob(ctx.in, job, mv.runId);
  if (job.empty() || view.state == JobView::State::Absent) {
    ctx.event("Normal", "MigrationRetried", "Job " + job + " was deleted: retrying the move from " + mv.from + " to " + mv.to);
    return migrationJob.empty() ? Step::BackingUp : Step::WaitingForForeignMigration;
  }
  ctx.phase(phaseForStep(Step::Failed));
  if (view.state == JobView::State::Deleting) ctx.plan.requeueNoLaterThan(kRequeueJob);
  return std::nullopt;
}

}  // namespace

Phase phaseForStep(Step step) { return row(step).phase; }

// The gates of a move hold on every pass, whatever the cursor, until the rollout releases
// them: Follow mode keeps backend and worker paused (from the pass that saw the new image
// on), and ScaleDown keeps at 0 a Deployment the operator scaled down. What someone else
// undid is done again, with a Warning Event naming who.
void holdGates(Ctx& ctx, const Move& mv, Step at) {
  const auto& spec = ctx.in.spec;
  if (at == Step::RollingOut) return;
  bool paused = false;
  for (const auto* ref : {&spec.backend, &spec.worker}) {
    const Json& d = ref == &spec.backend ? ctx.backend() : ctx.worker();
    const Json projected = ctx.projected(ref->deployment, d);
    if (!spec.managed()) {
      const Json ops = pausePatch(projected);
      if (!ops.empty() && annotation(d, annotations::kPausedByOperator))
        ctx.event("Warning", "GateReasserted",
                  "Deployment \"" + ref->deployment + "\" was unpaused by " +
                      lastWriterOf(d, "paused", labels::kManagedByValue) + " while moving to " + mv.to +
                      ": paused again until its migrations ran");
      paused = paused || !ops.empty();
      ctx.patchDeployment(ref->deployment, ops);
    }
    if (spec.migrations.gate == MigrationGate::ScaleDown && annotation(d, annotations::kReplicasBefore) &&
        desiredReplicas(d) != 0) {
      ctx.patchDeployment(ref->deployment, scaleDownPatch(ctx.projected(ref->deployment, d)));
      ctx.event("Warning", "GateReasserted",
                "Deployment \"" + ref->deployment + "\" was scaled to " + std::to_string(desiredReplicas(d)) +
                    " by " + lastWriterOf(d, "replicas", labels::kManagedByValue) + " while moving to " + mv.to +
                    " (gate ScaleDown): back to 0 until its migrations ran");
    }
  }
  if (paused && !annotation(ctx.backend(), annotations::kPausedByOperator) &&
      !annotation(ctx.worker(), annotations::kPausedByOperator))
    ctx.event("Normal", "WorkloadsPaused",
              "paused backend and worker (spec.paused) until the migrations of " + mv.to + " ran");
}

void runSteps(Ctx& ctx) {
  const Json& m = ctx.status()["migration"];
  Move mv{m.value("from", ""), m.value("to", ""), m.value("startedAt", ""), migrationStep(ctx.old)};
  std::optional<Step> at = migrationStep(ctx.status()).value_or(Step::Pending);
  holdGates(ctx, mv, *at);
  if (at == Step::Failed) {
    at = resumeAfterFailure(ctx, mv);
    if (!at) return;
  }
  for (std::size_t i = position(*at); i < kTable.size(); ++i) {
    const Transition& t = kTable[i];
    if (!t.applies(ctx.in.spec)) continue;
    if (t.run(ctx, mv) == Outcome::Wait) return;
  }
}

}  // namespace pmo::maintenance::migration

namespace pmo::maintenance {

const char* stepName(Step step) { return migration::row(step).name; }

std::optional<Step> parseStep(const std::string& name) {
  for (const auto& t : migration::kTable)
    if (name == t.name) return t.step;
  return std::nullopt;
}

}  // namespace pmo::maintenance
