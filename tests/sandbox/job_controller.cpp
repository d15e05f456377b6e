#include "sandbox/api_error.hpp"
#include "sandbox/controllers.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {
const std::string kJobs = "batch/jobs";
const std::string kPods = "pods";
const std::string kCronJobs = "batch/cronjobs";

bool startedAlready(const nlohmann::json& job) {
  return job.contains("status") && job["status"].contains("startTime");
}
}  // namespace

void setCondition(nlohmann::json& status, const std::string& type, const std::string& value, const std::string& reason,
                  const std::string& message, bool withUpdateTime) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) status["conditions"] = nlohmann::json::array();
  const std::string now = nowRfc3339();
  for (auto& c : status["conditions"]) {
    if (c.value("type", "") != type) continue;
    if (c.value("status", "") != value) c["lastTransitionTime"] = now;
    if (withUpdateTime && (c.value("status", "") != value || c.value("reason", "") != reason ||
                           c.value("message", "") != message))
      c["lastUpdateTime"] = now;
    c["status"] = value;
    c["reason"] = reason;
    c["message"] = message;
    return;
  }
  nlohmann::json c = {{"type", type}, {"status", value}, {"reason", reason}, {"message", message},
                      {"lastTransitionTime", now}};
  if (withUpdateTime) c["lastUpdateTime"] = now;
  else c["lastProbeTime"] = now;
  status["conditions"].push_back(c);
}

JobController::JobController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void JobController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (e.typeKey != kJobs || e.type == "DELETED" || !w_.jobsEnabled) return;
    const auto& job = *e.object;
    if (startedAlready(job) || job["metadata"].contains("deletionTimestamp")) return;
    if (job.value("spec", nlohmann::json::object()).value("suspend", false)) return;
    std::string ns = metaString(job, "namespace"), name = metaString(job, "name"), uid = metaString(job, "uid");
    if (started_.count(uid)) return;
    runner_.after(std::chrono::milliseconds(0), [this, ns, name, uid] { start(ns, name, uid); });
  });
}

void JobController::resync() {
  auto lock = w_.store.lock();
  for (const auto& job : w_.store.list(kJobs, "")) {
    if (startedAlready(*job)) continue;
    std::string ns = metaString(*job, "namespace"), name = metaString(*job, "name"), uid = metaString(*job, "uid");
    runner_.after(std::chrono::milliseconds(0), [this, ns, name, uid] { start(ns, name, uid); });
  }
}

void JobController::start(const std::string& ns, const std::string& name, const std::string& uid) {
  if (!w_.jobsEnabled) return;
  JobBehaviour b = w_.behaviourFor(name);
  auto lock = w_.store.lock();
  ObjectPtr job = w_.store.find(kJobs, ns, name);
  if (!job || metaString(*job, "uid") != uid || started_.count(uid) || startedAlready(*job)) return;
  if ((*job)["spec"].value("suspend", false)) return;
  started_.insert(uid);
  const std::string now = nowRfc3339();
  const auto& tmpl = (*job)["spec"].value("template", nlohmann::json::object());
  nlohmann::json pod = {{"metadata",
                         {{"generateName", name + "-"},
                          {"namespace", ns},
                          {"labels", tmpl.value("metadata", nlohmann::json::object())
                                         .value("labels", nlohmann::json::object())},
                          {"ownerReferences",
                           {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", name}, {"uid", uid},
                             {"controller", true}, {"blockOwnerDeletion", true}}}}}},
                        {"spec", tmpl.value("spec", nlohmann::json::object())}};
  auto& labels = pod["metadata"]["labels"];
  labels["job-name"] = name;
  labels["controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = name;
  labels["batch.kubernetes.io/controller-uid"] = uid;
  pod["spec"]["nodeName"] = "sandbox-node";
  nlohmann::json statuses = nlohmann::json::array();
  for (const auto& c : pod["spec"].value("containers", nlohmann::json::array()))
    // imageID is required in a ContainerStatus (core/v1 OpenAPI); the simulated kubelet
    // pulled nothing, so a digest of zeros stands for the image it would have resolved.
    statuses.push_back({{"name", c.value("name", "")}, {"image", c.value("image", "")},
                        {"imageID", c.value("image", "") + "@sha256:" + std::string(64, '0')}, {"ready", true},
                        {"started", true}, {"restartCount", 0}, {"state", {{"running", {{"startedAt", now}}}}}});
  pod["status"] = {{"phase", "Running"}, {"startTime", now}, {"podIP", "10.244.0.10"}, {"containerStatuses", statuses}};
  auto podType = w_.types.byKey(kPods);
  ObjectPtr created = createInternal(w_, *podType, pod);
  nlohmann::json status = (*job).value("status", nlohmann::json::object());
  status["startTime"] = now;
  status["active"] = 1;
  status["ready"] = 0;
  status["terminating"] = 0;
  status["uncountedTerminatedPods"] = nlohmann::json::object();
  writeStatusInternal(w_, kJobs, job, status);
  std::string podName = metaString(*created, "name");
  runner_.after(b.duration, [this, ns, name, uid, podName, b] { finish(ns, name, uid, podName, b); });
}

void JobController::finish(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& podName, const JobBehaviour& b) {
  auto lock = w_.store.lock();
  const std::string now = nowRfc3339();
  if (ObjectPtr pod = w_.store.find(kPods, ns, podName)) {
    nlohmann::json status = (*pod)["status"];
    status["phase"] = b.succeed ? "Succeeded" : "Failed";
    for (auto& cs : status["containerStatuses"]) {
      std::string startedAt = cs["state"].contains("running") ? cs["state"]["running"].value("startedAt", now) : now;
      nlohmann::json term = {{"exitCode", b.succeed ? 0 : 1}, {"reason", b.succeed ? "Completed" : "Error"},
                             {"startedAt", startedAt}, {"finishedAt", now},
                             {"containerID", "containerd://" + uid.substr(0, 8)}};
      if (!b.terminationMessage.empty()) term["message"] = b.terminationMessage;
      cs["state"] = {{"terminated", term}};
      cs["ready"] = false;
      cs["started"] = false;
    }
    w_.podLogs[ns + "/" + podName] = b.log;
    writeStatusInternal(w_, kPods, pod, status);
  }
  ObjectPtr job = w_.store.find(kJobs, ns, name);
  if (!job || metaString(*job, "uid") != uid) return;
  // A migration that succeeded raises the schema before the Job says Complete, so whoever
  // sees the Job complete sees the schema moved too.
  if (auto image = migrationImage(*job); image && b.succeed)
    w_.schema.advance(ns, w_.schema.imageVersion(*image), w_.store.currentRv());
  nlohmann::json status = (*job).value("status", nlohmann::json::object());
  status["active"] = 0;
  status["ready"] = 0;
  if (b.succeed) {
    status["succeeded"] = 1;
    status["completionTime"] = now;
    setCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of completions");
    setCondition(status, "Complete", "True", "CompletionsReached", "Reached expected number of completions");
  } else {
    status["failed"] = 1;
    std::string message = b.failureReason == "DeadlineExceeded" ? "Job was active longer than specified deadline"
                                                                : "Job has reached the specified backoff limit";
    setCondition(status, "FailureTarget", "True", b.failureReason, message);
    setCondition(status, "Failed", "True", b.failureReason, message);
  }
  status.erase("active");
  ObjectPtr updated = writeStatusInternal(w_, kJobs, job, status);
  updateCronJob(updated ? *updated : *job, b.succeed, now);
}

void JobController::updateCronJob(const nlohmann::json& job, bool succeeded, const std::string& completionTime) {
  const auto& meta = job["metadata"];
  if (!meta.contains("ownerReferences")) return;
  for (const auto& ref : meta["ownerReferences"]) {
    if (ref.value("kind", "") != "CronJob") continue;
    const std::string ns = meta.value("namespace", "");
    ObjectPtr cj = w_.store.find(kCronJobs, ns, ref.value("name", ""));
    if (!cj || metaString(*cj, "uid") != ref.value("uid", "")) continue;
    nlohmann::json status = (*cj).value("status", nlohmann::json::object());
    nlohmann::json active = nlohmann::json::array();
    for (const auto& a : status.value("active", nlohmann::json::array()))
      if (a.value("uid", "") != meta.value("uid", "")) active.push_back(a);
    if (active.empty()) status.erase("active");
    else status["active"] = active;
    if (succeeded) status["lastSuccessfulTime"] = completionTime;
    writeStatusInternal(w_, kCronJobs, cj, status);
    // history limits: the newest N finished Jobs of each outcome are kept
    const auto& spec = (*cj)["spec"];
    long keepOk = spec.value("successfulJobsHistoryLimit", 3), keepFailed = spec.value("failedJobsHistoryLimit", 1);
    std::vector<ObjectPtr> ok, failed;
    for (const auto& j : w_.store.list(kJobs, ns)) {
      bool owned = false;
      for (const auto& r : (*j)["metadata"].value("ownerReferences", nlohmann::json::array()))
        if (r.value("uid", "") == ref.value("uid", "")) owned = true;
      if (!owned) continue;
      const auto st = (*j).value("status", nlohmann::json::object());
      if (st.value("succeeded", 0) > 0) ok.push_back(j);
      else if (st.value("failed", 0) > 0) failed.push_back(j);
    }
    auto prune = [&](std::vector<ObjectPtr>& list, long keep) {
      std::sort(list.begin(), list.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
        return std::stoull(metaString(*a, "resourceVersion")) < std::stoull(metaString(*b, "resourceVersion"));
      });
      auto jobType = w_.types.byKey(kJobs);
      for (long i = 0; i + keep < static_cast<long>(list.size()); ++i) deleteInternal(w_, *jobType, list[i], "Background");
    };
    prune(ok, keepOk);
    prune(failed, keepFailed);
  }
}

std::string JobController::triggerCronJob(const std::string& ns, const std::string& name) {
  auto lock = w_.store.lock();
  ObjectPtr cj = w_.store.find(kCronJobs, ns, name);
  if (!cj) throw notFound("cronjobs", "batch", name);
  const auto& tmpl = (*cj)["spec"].value("jobTemplate", nlohmann::json::object());
  long long now = static_cast<long long>(std::time(nullptr));
  std::string jobName = name + "-" + std::to_string(now / 60);
  if (w_.store.find(kJobs, ns, jobName)) jobName = name + "-" + std::to_string(now);
  for (int i = 2; w_.store.find(kJobs, ns, jobName); ++i) jobName = name + "-" + std::to_string(now) + "-" + std::to_string(i);
  nlohmann::json job = {{"metadata",
                         {{"name", jobName},
                          {"namespace", ns},
                          {"labels", tmpl.value("metadata", nlohmann::json::object()).value("labels", nlohmann::json::object())},
                          {"annotations", tmpl.value("metadata", nlohmann::json::object())
                                              .value("annotations", nlohmann::json::object())},
                          {"ownerReferences",
                           {{{"apiVersion", "batch/v1"}, {"kind", "CronJob"}, {"name", name},
                             {"uid", metaString(*cj, "uid")}, {"controller", true}, {"blockOwnerDeletion", true}}}}}},
                        {"spec", tmpl.value("spec", nlohmann::json::object())}};
  const std::string ts = nowRfc3339();
  job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] = ts;
  auto jobType = w_.types.byKey(kJobs);
  defaultOnCreate(w_, *jobType, job);
  ObjectPtr created = createInternal(w_, *jobType, job);
  nlohmann::json status = (*cj).value("status", nlohmann::json::object());
  if (!status.contains("active")) status["active"] = nlohmann::json::array();
  status["active"].push_back({{"kind", "Job"}, {"namespace", ns}, {"name", jobName},
                              {"uid", metaString(*created, "uid")}, {"apiVersion", "batch/v1"},
                              {"resourceVersion", metaString(*created, "resourceVersion")}});
  status["lastScheduleTime"] = ts;
  writeStatusInternal(w_, kCronJobs, cj, status);
  return jobName;
}

}  // namespace pmo::sandbox
