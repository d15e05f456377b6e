#include "maintenance/auditlogs/results.hpp"

#include <cstdio>
#include <functional>

#include "maintenance/labels.hpp"
#include "maintenance/auditlogs/termination_summary.hpp"

namespace pmo::maintenance::audit {
namespace {

constexpr std::size_t kMaxMessage = 1024;

std::string str(const Json& j, const char* ptr) {
  const Json::json_pointer p(ptr);
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : std::string();
}

std::string bounded(std::string s) {
  if (s.size() > kMaxMessage) s = s.substr(0, kMaxMessage - 3) + "...";
  return s;
}

bool ownedBy(const Json& child, const std::string& kind, const Json& owner) {
  const std::string uid = str(owner, "/metadata/uid");
  const std::string name = str(owner, "/metadata/name");
  const Json refs = child.value("/metadata/ownerReferences"_json_pointer, Json::array());
  if (!refs.is_array()) return false;
  for (const auto& ref : refs) {
    if (!ref.is_object() || ref.value("kind", "") != kind) continue;
    if (!uid.empty() && ref.value("uid", "") == uid) return true;
    if (uid.empty() && !name.empty() && ref.value("name", "") == name) return true;
  }
  return false;
}

std::optional<Json> trueCondition(const Json& job, const char* type) {
  const Json conds = job.value("/status/conditions"_json_pointer, Json::array());
  if (!conds.is_array()) return std::nullopt;
  for (const auto& c : conds) {
    if (c.is_object() && c.value("type", "") == type && c.value("status", "") == "True") return c;
  }
  return std::nullopt;
}

bool podOfJob(const Json& pod, const Json& job) {
  if (ownedBy(pod, "Job", job)) return true;
  const Json labels = pod.value("/metadata/labels"_json_pointer, Json::object());
  if (!labels.is_object()) return false;
  const std::string name = str(job, "/metadata/name");
  for (const char* key : {"batch.kubernetes.io/job-name", "job-name"}) {
    if (labels.value(key, std::string()) == name && !name.empty()) return true;
  }
  return false;
}

std::string podTerminationMessage(const Json& pod) {
  const Json statuses = pod.value("/status/containerStatuses"_json_pointer, Json::array());
  if (!statuses.is_array()) return "";
  for (const auto& cs : statuses) {
    const Json::json_pointer p("/state/terminated/message");
    if (cs.is_object() && cs.contains(p) && cs.at(p).is_string() && !cs.at(p).get<std::string>().empty())
      return cs.at(p).get<std::string>();
  }
  return "";
}

std::string humanBytes(long long bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes < 0 ? -bytes : bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%s%.0f %s" : "%s%.1f %s", bytes < 0 ? "-" : "", v, units[u]);
  return buf;
}

std::string secondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string logsHint(const Observed& in, const FinishedJob& job) {
  return "; logs: kubectl logs -n " + str(in.object, "/metadata/namespace") + " job/" + job.name;
}

std::string unreadable(const Observed& in, const FinishedJob& job) {
  std::string what = job.succeeded ? "the Job succeeded" : "the Job failed";
  if (!job.succeeded && !job.failure.empty()) what += " (" + job.failure + ")";
  const char* why = job.podFound ? "" : " (its pod is gone)";
  return bounded(std::string(kSummaryUnreadable) + why + "; " + what + logsHint(in, job));
}

// What one finished Job means for the status.
struct Interpreted {
  Json lastResult;
  bool hasSummary = false;
  long long rows = 0;
  long long bytes = 0;
  std::optional<Json> table;
  std::string subject;  // for the Event: "purge of SpaceX"
};

using Interpreter = std::function<Interpreted(const FinishedJob&)>;

void update(const Observed& in, const Json* cronJob, const Json& previousEntry, Json& entry, AuditLogPlan& plan,
            const Interpreter& interpret, const char* successReason, const char* failureReason, Json* table) {
  const Json prev = previousEntry.is_object() ? previousEntry.value("lastResult", Json()) : Json();
  if (prev.is_object()) entry["lastResult"] = prev;
  if (!cronJob) return;
  const auto job = newestFinishedJob(in, *cronJob);
  if (!job) return;
  if (prev.is_object()) {
    const auto recorded = parseTime(prev.value("finishedAt", ""));
    if (recorded && *recorded > job->finishedAt) return;  // the recorded run is newer
  }
  if (!job->podFound && in.now - job->finishedAt < kPodGracePeriod) {
    plan.requeueNoLaterThan(kPodGraceRequeue);  // the pod cache may lag the Job cache
    return;
  }
  const bool sameJob = prev.is_object() && prev.value("job", "") == job->name;
  const bool recordedSummary = sameJob && prev.value("message", "").rfind(kSummaryUnreadable, 0) != 0;
  Interpreted r = interpret(*job);
  if (sameJob && (recordedSummary || !r.hasSummary)) return;
  entry["lastResult"] = r.lastResult;
  plan.newRowsPurged += r.rows;
  plan.newBytesReclaimed += r.bytes;
  if (table && r.table) *table = *r.table;
  if (sameJob) return;  // its Event was sent when it was first recorded
  const bool ok = r.lastResult.value("success", false);
  Action event{Action::Kind::Event, "", "", {}, {}, ok ? "Normal" : "Warning", ok ? successReason : failureReason,
               bounded(r.subject + ", Job " + job->name + ": " + r.lastResult.value("message", ""))};
  plan.actions.push_back(std::move(event));
}

Interpreted interpretPurge(const Observed& in, const Json& entry, const FinishedJob& job) {
  Interpreted r;
  const auto s = parsePurgeSummary(job.terminationMessage);
  const bool success = job.succeeded && (!s || s->success);
  r.subject = "purge of " + entry.value("organisation", std::string());
  Json result = {{"job", job.name}, {"success", success}, {"finishedAt", formatTime(job.finishedAt)}};
  if (!s) {
    result["message"] = unreadable(in, job);
    r.lastResult = result;
    return r;
  }
  r.hasSummary = true;
  r.rows = s->dryRun ? 0 : s->deleted;
  result["rowsDeleted"] = s->dryRun ? 0 : s->deleted;
  result["remaining"] = s->remaining;
  result["durationSeconds"] = s->durationSeconds;
  std::string msg;
  if (!success) {
    msg = "failed: " + (!s->error.empty() ? s->error : job.failure.empty() ? "see the logs" : job.failure) +
          logsHint(in, job);
    if (s->deleted > 0)
      msg += "; before failing it deleted " + std::to_string(s->deleted) + " read events in " + std::to_string(s->batches) +
             " batches (cutoff " + s->cutoff + "); a rerun finishes the work";
  } else if (s->nothingToDo) {
    msg = "nothing to do: the organisation has no apps";
  } else {
    msg = std::string(s->dryRun ? "dry run: would delete " : "deleted ") +
          std::to_string(s->dryRun ? s->wouldDelete : s->deleted) + " read events older than " +
          std::to_string(s->retainDays) + " days in " + std::to_string(s->batches) + " batches (" +
          secondsText(s->durationSeconds) + ")";
    if (s->stoppedEarly) msg += "; stopped at its time limit, " + std::to_string(s->remaining) + " left for the next run";
  }
  if (s->skippedLocked > 0) {
    result["warning"] = bounded(std::to_string(s->skippedLocked) + " read events left for the next run: " +
                                (s->skippedReason.empty() ? "held by another transaction" : s->skippedReason));
  }
  result["message"] = bounded(msg);
  r.lastResult = result;
  return r;
}

Json tableStatus(const TableStats& t, const std::string& table) {
  return {{"name", !t.table.empty() ? t.table : !table.empty() ? table : "api_secretevent"},
          {"totalBytes", t.totalBytes},
          {"tableBytes", t.tableBytes},
          {"indexBytes", t.indexBytes},
          {"liveTuples", t.liveTuples},
          {"deadTuples", t.deadTuples},
          {"measuredAt", t.checkedAt}};
}

Interpreted interpretVacuum(const Observed& in, const FinishedJob& job) {
  Interpreted r;
  const auto s = parseVacuumSummary(job.terminationMessage);
  const bool success = job.succeeded && (!s || s->success);
  Json result = {{"job", job.name}, {"success", success}, {"finishedAt", formatTime(job.finishedAt)}};
  r.subject = "vacuum";
  if (!s) {
    result["skipped"] = false;
    result["message"] = unreadable(in, job);
    r.lastResult = result;
    return r;
  }
  r.hasSummary = true;
  const char* what = s->method == "Repack" ? "repack" : s->full ? "VACUUM FULL" : "vacuum";
  r.subject = std::string(what) + " of " + (s->table.empty() ? "api_secretevent" : s->table);
  result["skipped"] = s->skipped;
  result["bytesReclaimed"] = s->bytesReclaimed;
  result["durationSeconds"] = s->durationSeconds;
  r.bytes = s->bytesReclaimed > 0 ? s->bytesReclaimed : 0;
  std::string msg;
  if (!success) {
    const std::string why = !s->error.empty() ? s->error : !s->message.empty() ? s->message : job.failure;
    msg = std::string(s->gaveUp ? "gave up: " : "failed: ") + (why.empty() ? "see the logs" : why) + logsHint(in, job);
  } else if (s->skipped) {
    msg = "skipped: " + s->message;
  } else {
    msg = "reclaimed " + humanBytes(s->bytesReclaimed) + " in " + secondsText(s->durationSeconds);
    if (s->before && s->after)
      msg += "; dead tuples " + std::to_string(s->before->deadTuples) + " -> " + std::to_string(s->after->deadTuples);
  }
  result["message"] = bounded(msg);
  if (s->after) {
    r.table = tableStatus(*s->after, s->table);
  } else if (s->before) {
    r.table = tableStatus(*s->before, s->table);
  }
  r.lastResult = result;
  return r;
}

}  // namespace

std::optional<FinishedJob> newestFinishedJob(const Observed& in, const Json& cronJob) {
  std::optional<FinishedJob> best;
  const Json* bestJob = nullptr;
  for (const auto& job : in.jobs) {
    if (!ownedBy(job, "CronJob", cronJob)) continue;
    FinishedJob f;
    f.name = str(job, "/metadata/name");
    if (const auto complete = trueCondition(job, "Complete")) {
      f.succeeded = true;
      auto t = parseTime(str(job, "/status/completionTime"));
      if (!t) t = parseTime(complete->value("lastTransitionTime", ""));
      f.finishedAt = t.value_or(TimePoint{});
    } else if (const auto failed = trueCondition(job, "Failed")) {
      f.failure = failed->value("reason", "") + ": " + failed->value("message", "");
      f.finishedAt = parseTime(failed->value("lastTransitionTime", "")).value_or(TimePoint{});
    } else {
      continue;
    }
    if (best && (f.finishedAt < best->finishedAt || (f.finishedAt == best->finishedAt && f.name < best->name)))
      continue;
    best = f;
    bestJob = &job;
  }
  if (!best) return best;
  const Json* newestPod = nullptr;
  for (const auto& pod : in.pods) {
    if (!podOfJob(pod, *bestJob)) continue;
    const std::string created = str(pod, "/metadata/creationTimestamp");
    if (!newestPod || created > str(*newestPod, "/metadata/creationTimestamp") ||
        (created == str(*newestPod, "/metadata/creationTimestamp") &&
         str(pod, "/metadata/name") > str(*newestPod, "/metadata/name")))
      newestPod = &pod;
  }
  if (newestPod) {
    best->podFound = true;
    best->terminationMessage = podTerminationMessage(*newestPod);
  }
  return best;
}

void updatePurgeResult(const Observed& in, const Json* cronJob, const Json& previousEntry, Json& entry,
                       AuditLogPlan& plan) {
  update(in, cronJob, previousEntry, entry, plan,
         [&](const FinishedJob& job) { return interpretPurge(in, entry, job); }, audit_reasons::kPurgeSucceeded,
         audit_reasons::kPurgeFailed, nullptr);
}

void updateVacuumResult(const Observed& in, const Json* cronJob, const Json& previousEntry, Json& entry,
                        Json& table, AuditLogPlan& plan) {
  update(in, cronJob, previousEntry, entry, plan, [&](const FinishedJob& job) { return interpretVacuum(in, job); },
         audit_reasons::kVacuumSucceeded, audit_reasons::kVacuumFailed, &table);
}

}  // namespace pmo::maintenance::audit
