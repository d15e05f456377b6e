// How the planner reads its Jobs (and their pods' termination messages).
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/owner.hpp"  // annotations::kMigrationRun

namespace pmo::maintenance::migration {
namespace {

constexpr std::size_t kMaxTerminationMessage = 1024;

std::optional<Condition> jobCondition(const Json& job, const std::string& type) {
  const Json conds = job.value("/status/conditions"_json_pointer, Json::array());
  if (!conds.is_array()) return std::nullopt;
  for (const auto& c : conds)
    if (c.value("type", "") == type && c.value("status", "") == "True")
      return Condition{type, "True", c.value("reason", ""), c.value("message", "")};
  return std::nullopt;
}

std::string podJobName(const Json& pod) {
  for (const char* key : {"batch.kubernetes.io/job-name", "job-name"}) {
    const Json::json_pointer ptr("/metadata/labels/" + pointerToken(key));
    if (pod.contains(ptr) && pod.at(ptr).is_string()) return pod.at(ptr).get<std::string>();
  }
  return "";
}

// The newest pod's first terminated-container message (last kMaxTerminationMessage bytes:
// with FallbackToLogsOnError the end of the log carries the error).
std::string terminationMessage(const Observed& in, const std::string& jobName) {
  const Json* newest = nullptr;
  for (const auto& pod : in.pods) {
    if (podJobName(pod) != jobName) continue;
    if (!newest || pod.value("/metadata/creationTimestamp"_json_pointer, std::string()) >
                       newest->value("/metadata/creationTimestamp"_json_pointer, std::string()))
      newest = &pod;
  }
  if (!newest) return "";
  const Json statuses = newest->value("/status/containerStatuses"_json_pointer, Json::array());
  for (const auto& cs : statuses) {
    for (const char* state : {"state", "lastState"}) {
      const Json::json_pointer ptr(std::string("/") + state + "/terminated/message");
      if (cs.contains(ptr) && cs.at(ptr).is_string()) {
        std::string msg = cs.at(ptr).get<std::string>();
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        if (msg.size() > kMaxTerminationMessage) msg = "..." + msg.substr(msg.size() - kMaxTerminationMessage);
        if (!msg.empty()) return msg;
      }
    }
  }
  return "";
}

}  // namespace

JobView findJob(const Observed& in, const std::string& name, const std::string& runId) {
  JobView view;
  for (const auto& job : in.jobs) {
    if (job.value("/metadata/name"_json_pointer, std::string()) != name) continue;
    view.job = &job;
    if (job.contains("/metadata/deletionTimestamp"_json_pointer)) {
      view.state = JobView::State::Deleting;
    } else if (annotation(job, annotations::kMigrationRun).value_or("") != runId) {
      view.state = JobView::State::Stale;
    } else if (auto failed = jobCondition(job, "Failed")) {
      view.state = JobView::State::Failed;
      view.reason = failed->reason;
      view.message = failed->message;
    } else if (jobCondition(job, "Complete") ||
               job.value("/status/succeeded"_json_pointer, 0) >= 1) {
      view.state = JobView::State::Succeeded;
    } else {
      view.state = JobView::State::Active;
    }
    view.terminationMessage = terminationMessage(in, name);
    return view;
  }
  return view;
}

const Json* activeMaintenanceJob(const Observed& in) {
  for (const auto& job : in.jobs) {
    const std::string component =
        job.value("/metadata/labels"_json_pointer, Json::object()).value(labels::kComponent, "");
    if (component != labels::kComponentPurge && component != labels::kComponentVacuum) continue;
    if (jobCondition(job, "Complete") || jobCondition(job, "Failed")) continue;
    if (job.value("/status/succeeded"_json_pointer, 0) >= 1) continue;
    return &job;
  }
  return nullptr;
}

}  // namespace pmo::maintenance::migration
