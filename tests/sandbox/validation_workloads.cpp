// Deployments, Jobs and CronJobs: pkg/apis/apps/validation/validation.go (ValidateDeployment,
// ValidateDeploymentSpec, ValidatePodTemplateSpecForReplicaSet, ValidateDeploymentStrategy,
// ValidateRollingUpdateDeployment), pkg/registry/apps/deployment/strategy.go (selector
// immutable in apps/v1), pkg/apis/batch/validation/validation.go (ValidateJob,
// validateGeneratedSelector, validateJobSpec, ValidateJobSpecUpdate, ValidateCronJobCreate,
// validateCronJobSpec, validateScheduleFormat, validateTimeZone, ValidateJobTemplateSpec),
// Kubernetes 1.32. Values the API server defaults on every write count as defaulted when
// absent (restartPolicy Always, strategy RollingUpdate 25%/25%, concurrencyPolicy Allow).
#include <algorithm>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

const char* kSelectorMismatch = "`selector` does not match template `labels`";

std::string orDefault(const std::string& v, const std::string& d) { return v.empty() ? d : v; }

std::string goInt32Ptr(const Json& o, const char* key) {
  auto v = integer(o, key);
  return v ? std::to_string(*v) : "null";
}

// ValidatePositiveIntOrPercent and IsNotMoreThan100Percent.
void intOrPercent(Errors& e, const Json& v, const std::string& path, bool atMost100) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    auto msgs = isValidPercent(s);
    for (const auto& m : msgs) e.invalidAs(path, s, m);
    if (msgs.empty() && atMost100 && std::stoll(s.substr(0, s.size() - 1)) > 100)
      e.invalidAs(path, s, "must not be greater than 100%");
  } else if (v.is_number_integer() && v.get<long long>() < 0) {
    e.invalidAs(path, v.dump(), "must be greater than or equal to 0");
  }
}

long long intOrPercentValue(const Json& v) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_string() && isValidPercent(v.get<std::string>()).empty()) {
    const std::string s = v.get<std::string>();
    return std::stoll(s.substr(0, s.size() - 1));
  }
  return 0;
}

void strategy(Errors& e, const Json& spec) {
  const Json& s = obj(spec, "strategy");
  const std::string type = orDefault(str(s, "type"), "RollingUpdate");
  if (type == "Recreate") {
    if (has(s, "rollingUpdate"))
      e.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
  } else if (type == "RollingUpdate") {
    const Json& ru = obj(s, "rollingUpdate");
    const Json unavailable = has(ru, "maxUnavailable") ? ru["maxUnavailable"] : Json("25%");
    const Json surge = has(ru, "maxSurge") ? ru["maxSurge"] : Json("25%");
    intOrPercent(e, unavailable, "spec.strategy.rollingUpdate.maxUnavailable", false);
    intOrPercent(e, surge, "spec.strategy.rollingUpdate.maxSurge", false);
    if (intOrPercentValue(unavailable) == 0 && intOrPercentValue(surge) == 0)
      e.invalidAs("spec.strategy.rollingUpdate.maxUnavailable", intOrString(unavailable),
                  "may not be 0 when `maxSurge` is 0");
    intOrPercent(e, unavailable, "spec.strategy.rollingUpdate.maxUnavailable", true);
  } else {
    e.notSupported("spec.strategy",
                   Json("apps.DeploymentStrategy{Type:" + goQuote(type) + ", RollingUpdate:(*apps.RollingUpdateDeployment)(" +
                        (has(s, "rollingUpdate") ? "0xc000000000" : "nil") + ")}"),
                   {"Recreate", "RollingUpdate"});
  }
}

// A nil selector selects nothing (labels.Nothing()), an empty one everything.
void templateMatchesSelector(Errors& e, const Json& selector, const Json& tmpl, const std::string& path) {
  const Json& labels = obj(obj(tmpl, "metadata"), "labels");
  if (selector.is_null() || (!selectorEmpty(selector) && !selectorMatches(selector, labels)))
    e.invalidAs(path + ".metadata.labels", goMap(obj(tmpl, "metadata").value("labels", Json())), kSelectorMismatch);
}

// validateJobSpec: what a Job and a CronJob's jobTemplate share (`path` ends in "spec").
void jobSpecCommon(Errors& e, const Json& spec, const std::string& path) {
  for (const char* f : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
                        "backoffLimitPerIndex", "maxFailedIndexes"})
    nonNegative(e, spec, f, path + "." + f);
  if (has(spec, "maxFailedIndexes") && !has(spec, "backoffLimitPerIndex"))
    e.required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified");
  const std::string mode = orDefault(str(spec, "completionMode"), "NonIndexed");
  if (mode != "NonIndexed" && mode != "Indexed")
    e.notSupported(path + ".completionMode", Json(mode), {"NonIndexed", "Indexed"});
  if (mode == "Indexed" && !has(spec, "completions")) e.required(path + ".completions", "when completion mode is Indexed");
  if (mode != "Indexed") {
    if (has(spec, "backoffLimitPerIndex"))
      e.invalidAs(path + ".backoffLimitPerIndex", goInt32Ptr(spec, "backoffLimitPerIndex"), "requires indexed completion mode");
    if (has(spec, "maxFailedIndexes"))
      e.invalidAs(path + ".maxFailedIndexes", goInt32Ptr(spec, "maxFailedIndexes"), "requires indexed completion mode");
  }
  const bool failurePolicy = has(spec, "podFailurePolicy");
  if (has(spec, "podReplacementPolicy")) {
    const std::string p = str(spec, "podReplacementPolicy");
    if (failurePolicy && p != "Failed")
      e.notSupported(path + ".podReplacementPolicy", Json(p), {"Failed"});
    else if (p != "Failed" && p != "TerminatingOrFailed")
      e.notSupported(path + ".podReplacementPolicy", Json(p), {"Failed", "TerminatingOrFailed"});
  }
  const Json& tmpl = obj(spec, "template");
  podTemplateSpec(e, tmpl, path + ".template");
  const std::string restart = orDefault(str(obj(tmpl, "spec"), "restartPolicy"), "Always");
  const std::string rp = path + ".template.spec.restartPolicy";
  if (restart == "Always") e.required(rp, "valid values: \"OnFailure\", \"Never\"");
  else if (restart != "OnFailure" && restart != "Never") e.notSupported(rp, Json(restart), {"OnFailure", "Never"});
  else if (failurePolicy && restart != "Never")
    e.invalid(rp, Json(restart), "only \"Never\" is supported when podFailurePolicy is specified");
}

// ValidateJobSpec: a Job's own spec (selector required and matching).
void jobSpec(Errors& e, const Json& spec) {
  jobSpecCommon(e, spec, "spec");
  if (!has(spec, "selector")) e.required("spec.selector");
  else validateLabelSelector(e, spec["selector"], "spec.selector");
  const Json selector = spec.value("selector", Json());
  if (selectorConvertible(selector)) {
    const Json& tmpl = obj(spec, "template");
    if (selector.is_null() || !selectorMatches(selector, obj(obj(tmpl, "metadata"), "labels")))
      e.invalidAs("spec.template.metadata.labels", goMap(obj(tmpl, "metadata").value("labels", Json())), kSelectorMismatch);
  }
}

void immutable(Errors& e, const Json& spec, const Json& oldSpec, const char* key, const std::string& shown) {
  const Json a = spec.is_object() ? spec.value(key, Json()) : Json(), b = oldSpec.is_object() ? oldSpec.value(key, Json()) : Json();
  if (a != b) e.invalidAs(std::string("spec.") + key, shown, "field is immutable");
}

void timeZone(Errors& e, const Json& spec) {
  if (!has(spec, "timeZone")) return;
  const std::string tz = str(spec, "timeZone");
  const std::string path = "spec.timeZone";
  if (tz.empty()) return e.invalid(path, Json(tz), "timeZone must be nil or non-empty string");
  size_t start = 0;
  while (true) {
    size_t slash = tz.find('/', start);
    const std::string part = tz.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    bool chars = !part.empty() && part.size() <= 14 && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+';
    });
    if (part == "." || part == ".." || (!part.empty() && part[0] == '-') || !chars)
      return e.invalid(path, Json(tz), "unknown time zone " + tz);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string lower = tz;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "local")
    e.invalid(path, Json(tz), "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
  if (auto err = loadLocationError(tz)) e.invalid(path, Json(tz), *err);
}

}  // namespace

void deployment(Errors& e, const Json& d, const Json* old) {
  const Json& spec = obj(d, "spec");
  nonNegative(e, spec, "replicas", "spec.replicas");
  const bool hasSelector = has(spec, "selector");
  const Json selector = hasSelector ? spec["selector"] : Json();  // null: nil
  if (!hasSelector) {
    e.required("spec.selector");
  } else {
    validateLabelSelector(e, selector, "spec.selector");
    if (selectorEmpty(selector)) e.invalidAs("spec.selector", goLabelSelector(selector), "empty selector is invalid for deployment");
  }
  if (!selectorConvertible(selector)) {
    e.invalidAs("spec.selector", goLabelSelector(selector), "invalid label selector");
  } else {
    const Json& tmpl = obj(spec, "template");
    templateMatchesSelector(e, selector, tmpl, "spec.template");
    podTemplateSpec(e, tmpl, "spec.template");
    const std::string restart = orDefault(str(obj(tmpl, "spec"), "restartPolicy"), "Always");
    if (restart != "Always") e.notSupported("spec.template.spec.restartPolicy", Json(restart), {"Always"});
    if (has(obj(tmpl, "spec"), "activeDeadlineSeconds"))
      e.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported");
  }
  strategy(e, spec);
  nonNegative(e, spec, "minReadySeconds", "spec.minReadySeconds");
  nonNegative(e, spec, "revisionHistoryLimit", "spec.revisionHistoryLimit");
  if (auto pds = integer(spec, "progressDeadlineSeconds")) {
    nonNegative(e, spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds");
    if (*pds <= integer(spec, "minReadySeconds").value_or(0))
      e.invalidAs("spec.progressDeadlineSeconds", std::to_string(*pds), "must be greater than minReadySeconds");
  }
  if (old) immutable(e, spec, obj(*old, "spec"), "selector", goLabelSelector(selector));
}

void job(Errors& e, const Json& j, const Json* old) {
  const Json& spec = obj(j, "spec");
  const Json& meta = obj(j, "metadata");
  if (!old && !spec.value("manualSelector", false) && has(spec, "selector")) {
    // validateGeneratedSelector: the labels the API server put on the template
    const Json& labels = obj(obj(obj(spec, "template"), "metadata"), "labels");
    const std::string uid = str(meta, "uid"), name = str(meta, "name");
    for (const auto& [key, want] : {std::pair<std::string, std::string>{"controller-uid", uid}, {"job-name", name},
                                    {"batch.kubernetes.io/controller-uid", uid}, {"batch.kubernetes.io/job-name", name}}) {
      const std::string path = "spec.template.metadata.labels[" + key + "]";
      if (!labels.contains(key)) e.required(path);
      else if (str(labels, key.c_str()) != want) e.invalid(path, labels[key], "must be '" + want + "'");
    }
  }
  jobSpec(e, spec);
  const std::string mode = str(spec, "completionMode");
  auto completions = integer(spec, "completions");
  if (!old && mode == "Indexed" && completions && *completions > 0) {
    const std::string host = str(meta, "name") + "-" + std::to_string(*completions - 1);
    if (!isDns1123Label(host).empty())
      e.invalid("metadata.name", Json(str(meta, "name")), "will not able to create pod with invalid DNS label: " + host);
  }
  if (!old) return;
  const Json& oldSpec = obj(*old, "spec");
  if (mode != "Indexed") immutable(e, spec, oldSpec, "completions", goInt32Ptr(spec, "completions"));
  immutable(e, spec, oldSpec, "selector", goLabelSelector(spec.value("selector", Json())));
  immutable(e, spec, oldSpec, "template", "core.PodTemplateSpec{...}");
  immutable(e, spec, oldSpec, "completionMode", goValue(spec.value("completionMode", Json())));
  immutable(e, spec, oldSpec, "podFailurePolicy", "&batch.PodFailurePolicy{...}");
  immutable(e, spec, oldSpec, "backoffLimitPerIndex", goInt32Ptr(spec, "backoffLimitPerIndex"));
  immutable(e, spec, oldSpec, "managedBy", goValue(spec.value("managedBy", Json())));
  immutable(e, spec, oldSpec, "successPolicy", "&batch.SuccessPolicy{...}");
}

void cronJob(Errors& e, const Json& cj, const Json* old) {
  const Json& spec = obj(cj, "spec");
  const Json* oldSpec = old ? &obj(*old, "spec") : nullptr;
  const std::string schedule = str(spec, "schedule");
  if (schedule.empty()) {
    e.required("spec.schedule");
  } else {
    if (auto err = cronScheduleError(schedule)) e.invalid("spec.schedule", Json(schedule), *err);
    const bool allowTZ = oldSpec && str(*oldSpec, "schedule").find("TZ") != std::string::npos;
    const bool tzInSchedule = schedule.find("TZ") != std::string::npos;
    if (allowTZ && tzInSchedule && has(spec, "timeZone"))
      e.invalid("spec.schedule", Json(schedule), "cannot use both timeZone field and TZ or CRON_TZ in schedule");
    else if (!allowTZ && tzInSchedule)
      e.invalid("spec.schedule", Json(schedule), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  }
  nonNegative(e, spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds");
  if (!oldSpec || oldSpec->value("timeZone", Json()) != spec.value("timeZone", Json())) timeZone(e, spec);
  const std::string policy = orDefault(str(spec, "concurrencyPolicy"), "Allow");
  if (policy != "Allow" && policy != "Forbid" && policy != "Replace")
    e.notSupported("spec.concurrencyPolicy", Json(policy), {"Allow", "Forbid", "Replace"});
  const Json& jobSpecJson = obj(obj(spec, "jobTemplate"), "spec");
  jobSpecCommon(e, jobSpecJson, "spec.jobTemplate.spec");
  if (has(jobSpecJson, "selector"))
    e.invalidAs("spec.jobTemplate.spec.selector", goLabelSelector(jobSpecJson["selector"]), "`selector` will be auto-generated");
  if (jobSpecJson.value("manualSelector", false) == true)
    e.notSupported("spec.jobTemplate.spec.manualSelector", Json(true), {"nil", "false"});
  nonNegative(e, spec, "successfulJobsHistoryLimit", "spec.successfulJobsHistoryLimit");
  nonNegative(e, spec, "failedJobsHistoryLimit", "spec.failedJobsHistoryLimit");
  const std::string name = str(obj(cj, "metadata"), "name");
  if (!old && name.size() > 52) e.invalid("metadata.name", Json(name), "must be no more than 52 characters");
}

}  // namespace pmo::sandbox::validation
