// HorizontalPodAutoscalers (autoscaling/v2): pkg/apis/autoscaling/validation/validation.go
// (ValidateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerSpec,
// ValidateCrossVersionObjectReference, validateMetrics, validateMetricSpec, the metric sources,
// validateMetricTarget, validateBehavior), Kubernetes 1.32 with the HPAScaleToZero gate off
// (alpha): minReplicas is at least 1 (absent: defaulted to 1), unless an update keeps an old
// minReplicas of 0.
#include <set>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

void crossVersionRef(Errors& e, const Json& ref, const std::string& path) {
  for (const char* f : {"kind", "name"}) {
    const std::string v = str(ref, f);
    if (v.empty()) e.required(path + "." + f);
    else
      for (const auto& m : checkName(NameRule::PathSegment, v, false)) e.invalid(path + "." + f, Json(v), m);
  }
}

// resource.Quantity.Sign() != 1: zero or negative.
bool notPositive(const Json& q) {
  if (q.is_number()) return q.get<double>() <= 0;
  if (!q.is_string()) return true;
  const std::string s = q.get<std::string>();
  if (s.empty() || s[0] == '-') return true;
  for (char c : s) {
    if (c >= '1' && c <= '9') return false;
    if (!(c == '0' || c == '.' || c == '+')) break;
  }
  return true;
}

void target(Errors& e, const Json& t, const std::string& path) {
  const std::string type = str(t, "type");
  if (type.empty()) e.required(path + ".type", "must specify a metric target type");
  if (type != "Utilization" && type != "Value" && type != "AverageValue")
    e.invalid(path + ".type", Json(type), "must be either Utilization, Value, or AverageValue");
  if (has(t, "value") && notPositive(t["value"])) e.invalid(path + ".value", t["value"], "must be positive");
  if (has(t, "averageValue") && notPositive(t["averageValue"]))
    e.invalid(path + ".averageValue", t["averageValue"], "must be positive");
  if (auto u = integer(t, "averageUtilization"); u && *u < 1)
    e.invalidAs(path + ".averageUtilization", std::to_string(*u), "must be greater than 0");
}

void metricName(Errors& e, const Json& id, const std::string& path) {
  const std::string name = str(id, "name");
  if (name.empty()) return e.required(path + ".name", "must specify a metric name");
  for (const auto& m : checkName(NameRule::PathSegment, name, false)) e.invalid(path + ".name", Json(name), m);
}

void source(Errors& e, const std::string& kind, const Json& s, const std::string& path) {
  const Json& t = obj(s, "target");
  const std::string tp = path + ".target";
  if (kind == "object") {
    crossVersionRef(e, obj(s, "describedObject"), path + ".describedObject");
    metricName(e, obj(s, "metric"), path + ".metric");
    target(e, t, tp);
    if (!has(t, "value") && !has(t, "averageValue"))
      e.required(tp + ".averageValue", "must set either a target value or averageValue");
  } else if (kind == "external") {
    metricName(e, obj(s, "metric"), path + ".metric");
    target(e, t, tp);
    if (!has(t, "value") && !has(t, "averageValue"))
      e.required(tp + ".averageValue", "must set either a target value for metric or a per-pod target");
    if (has(t, "value") && has(t, "averageValue"))
      e.forbidden(tp + ".value", "may not set both a target value for metric and a per-pod target");
  } else if (kind == "pods") {
    metricName(e, obj(s, "metric"), path + ".metric");
    target(e, t, tp);
    if (!has(t, "averageValue")) e.required(tp + ".averageValue", "must specify a positive target averageValue");
  } else {  // resource, containerResource
    if (str(s, "name").empty()) e.required(path + ".name", "must specify a resource name");
    if (kind == "containerResource") {
      const std::string c = str(s, "container");
      if (c.empty()) e.required(path + ".container", "must specify a container");
      else
        for (const auto& m : isDns1123Label(c)) e.invalid(path + ".container", Json(c), m);
    }
    target(e, t, tp);
    if (!has(t, "averageUtilization") && !has(t, "averageValue"))
      e.required(tp + ".averageUtilization", "must set either a target raw value or a target utilization");
    if (has(t, "averageUtilization") && has(t, "averageValue"))
      e.forbidden(tp + ".averageValue", "may not set both a target raw value and a target utilization");
  }
}

const std::vector<std::string> kMetricTypes = {"ContainerResource", "External", "Object", "Pods", "Resource"};

void metric(Errors& e, const Json& m, const std::string& path) {
  const std::string type = str(m, "type");
  if (type.empty()) e.required(path + ".type", "must specify a metric source type");
  // the field each type names, in the order validateMetricSpec checks them
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"object", "Object"}, {"external", "External"}, {"pods", "Pods"},
      {"resource", "Resource"}, {"containerResource", "ContainerResource"}};
  std::vector<std::string> present;
  for (const auto& [f, t] : fields)
    if (has(m, f.c_str())) {
      present.push_back(f);
      if (present.size() == 1) source(e, f, m[f], path + "." + f);
    }
  std::string expected;
  for (const auto& [f, t] : fields)
    if (t == type) expected = f;
  if (expected.empty()) {
    // once for the set of types, once more for the switch's default case, as validateMetricSpec does
    e.notSupported(path + ".type", Json(type), kMetricTypes);
    e.notSupported(path + ".type", Json(type), kMetricTypes);
  } else if (!has(m, expected.c_str())) {
    e.required(path + "." + expected, "must populate information for the given metric source");
  }
  if (present.size() != 1)
    for (const auto& f : present)
      if (f != expected) e.forbidden(path + "." + f, "must populate the given metric source only");
}

void scalingRules(Errors& e, const Json& r, const std::string& path) {
  if (auto w = integer(r, "stabilizationWindowSeconds")) {
    if (*w < 0) e.invalidAs(path + ".stabilizationWindowSeconds", std::to_string(*w), "must be greater than or equal to zero");
    if (*w > 3600) e.invalidAs(path + ".stabilizationWindowSeconds", std::to_string(*w), "must be less than or equal to 3600");
  }
  if (has(r, "selectPolicy")) {
    const std::string p = str(r, "selectPolicy");
    if (p != "Max" && p != "Min" && p != "Disabled")
      e.notSupported(path + ".selectPolicy", Json(p), {"Disabled", "Max", "Min"});
  }
  // autoscaling/v2 defaults absent policies (GenerateHPAScaleUpRules/ScaleDownRules); an empty list stays empty
  if (!has(r, "policies")) return;
  const Json& policies = arr(r, "policies");
  if (policies.empty()) e.required(path + ".policies", "must specify at least one Policy");
  for (size_t i = 0; i < policies.size(); ++i) {
    const Json& p = policies[i];
    const std::string pp = path + ".policies[" + std::to_string(i) + "]";
    const std::string type = str(p, "type");
    if (type != "Pods" && type != "Percent") e.notSupported(pp + ".type", Json(type), {"Percent", "Pods"});
    const long long value = integer(p, "value").value_or(0), period = integer(p, "periodSeconds").value_or(0);
    if (value <= 0) e.invalidAs(pp + ".value", std::to_string(value), "must be greater than zero");
    if (period <= 0) e.invalidAs(pp + ".periodSeconds", std::to_string(period), "must be greater than zero");
    if (period > 1800) e.invalidAs(pp + ".periodSeconds", std::to_string(period), "must be less than or equal to 1800");
  }
}

}  // namespace

void horizontalPodAutoscaler(Errors& e, const Json& hpa, const Json* old) {
  const Json& spec = obj(hpa, "spec");
  const auto oldMin = old ? integer(obj(*old, "spec"), "minReplicas") : std::nullopt;
  const long long lowerBound = oldMin && *oldMin == 0 ? 0 : 1;
  const long long minReplicas = integer(spec, "minReplicas").value_or(1);
  const long long maxReplicas = integer(spec, "maxReplicas").value_or(0);
  if (minReplicas < lowerBound)
    e.invalidAs("spec.minReplicas", std::to_string(minReplicas),
                "must be greater than or equal to " + std::to_string(lowerBound));
  if (maxReplicas < 1) e.invalidAs("spec.maxReplicas", std::to_string(maxReplicas), "must be greater than 0");
  if (maxReplicas < minReplicas)
    e.invalidAs("spec.maxReplicas", std::to_string(maxReplicas), "must be greater than or equal to `minReplicas`");
  crossVersionRef(e, obj(spec, "scaleTargetRef"), "spec.scaleTargetRef");
  const Json& metrics = arr(spec, "metrics");
  bool objectOrExternal = false;
  for (size_t i = 0; i < metrics.size(); ++i) {
    metric(e, metrics[i], "spec.metrics[" + std::to_string(i) + "]");
    const std::string t = str(metrics[i], "type");
    objectOrExternal = objectOrExternal || t == "Object" || t == "External";
  }
  if (minReplicas == 0 && !objectOrExternal)
    e.forbidden("spec.metrics", "must specify at least one Object or External metric to support scaling to zero replicas");
  const Json& behavior = obj(spec, "behavior");
  for (const char* f : {"scaleUp", "scaleDown"})
    if (has(behavior, f)) scalingRules(e, behavior[f], std::string("spec.behavior.") + f);
}

}  // namespace pmo::sandbox::validation
