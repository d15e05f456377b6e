// The simulated HorizontalPodAutoscaler controller (pkg/controller/podautoscaler,
// horizontal.go reconcileAutoscaler), without metrics: what the metrics call for is
// Controls::setHpaRecommendation (default: the target's current replicas, a steady load).
// Guarantees, as the real controller:
// - a target at 0 replicas while minReplicas is not 0 is left alone (ScalingActive False,
//   ScalingDisabled): scaling to 0 switches autoscaling off;
// - otherwise the target's spec.replicas is set to the recommendation clamped to
//   [minReplicas (default 1), maxReplicas] (ScalingLimited True when clamped), through the
//   target's scale, with status currentReplicas, desiredReplicas and lastScaleTime;
// - targets other than apps/v1 Deployments and StatefulSets, or missing ones, are not scaled
//   (AbleToScale False, FailedGetScale).
// It reacts to changes of the HPA and of its target at once (the real one resyncs every 15 s)
// and applies a recommendation at once (no stabilization window). No write when nothing changed.
#include "sandbox/api_error.hpp"
#include "sandbox/controllers.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {
const std::string kHpas = "autoscaling/horizontalpodautoscalers";

std::string targetKey(const nlohmann::json& ref) {
  const std::string api = ref.value("apiVersion", ""), kind = ref.value("kind", "");
  if (api != "apps/v1") return "";
  if (kind == "Deployment") return "apps/deployments";
  if (kind == "StatefulSet") return "apps/statefulsets";
  return "";
}
}  // namespace

HpaController::HpaController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void HpaController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (!w_.deploymentsEnabled || e.type == "DELETED") return;
    if (e.typeKey == kHpas) return enqueue(e.ns, metaString(*e.object, "name"));
    if (e.typeKey != "apps/deployments" && e.typeKey != "apps/statefulsets") return;
    for (const auto& hpa : w_.store.list(kHpas, e.ns)) {
      const auto& ref = (*hpa)["spec"].value("scaleTargetRef", nlohmann::json::object());
      if (targetKey(ref) == e.typeKey && ref.value("name", "") == metaString(*e.object, "name"))
        enqueue(e.ns, metaString(*hpa, "name"));
    }
  });
}

void HpaController::resync() {
  auto lock = w_.store.lock();
  for (const auto& hpa : w_.store.list(kHpas, "")) enqueue(metaString(*hpa, "namespace"), metaString(*hpa, "name"));
}

void HpaController::recommendationChanged(const std::string& ns, const std::string& name) { enqueue(ns, name); }

void HpaController::enqueue(const std::string& ns, const std::string& name) {
  if (!queued_.insert(ns + "/" + name).second) return;
  runner_.after(std::chrono::milliseconds(0), [this, ns, name] { sync(ns, name); });
}

void HpaController::sync(const std::string& ns, const std::string& name) {
  auto lock = w_.store.lock();
  queued_.erase(ns + "/" + name);
  if (!w_.deploymentsEnabled) return;
  ObjectPtr hpa = w_.store.find(kHpas, ns, name);
  if (!hpa || (*hpa)["metadata"].contains("deletionTimestamp")) return;
  const auto& spec = (*hpa)["spec"];
  const auto& ref = spec.value("scaleTargetRef", nlohmann::json::object());
  nlohmann::json status = (*hpa).value("status", nlohmann::json::object());
  const std::string key = targetKey(ref);
  ObjectPtr target = key.empty() ? nullptr : w_.store.find(key, ns, ref.value("name", ""));
  if (!target) {
    setCondition(status, "AbleToScale", "False", "FailedGetScale",
                 "the HPA controller was unable to get the target's current scale: " + ref.value("kind", "") + " " +
                     goQuote(ref.value("name", "")) + " not found");
    status["desiredReplicas"] = status.value("desiredReplicas", 0);
    writeStatusInternal(w_, kHpas, hpa, status);
    return;
  }
  const long current = (*target)["spec"].value("replicas", 1L);
  const long minReplicas = spec.value("minReplicas", 1L), maxReplicas = spec.value("maxReplicas", 1L);
  status["currentReplicas"] = current;
  setCondition(status, "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale");
  if (current == 0 && minReplicas != 0) {
    status["desiredReplicas"] = 0;
    setCondition(status, "ScalingActive", "False", "ScalingDisabled",
                 "scaling is disabled since the replica count of the target is zero");
    writeStatusInternal(w_, kHpas, hpa, status);
    return;
  }
  auto rec = w_.hpaRecommendations.find(ns + "/" + name);
  const long wanted = rec == w_.hpaRecommendations.end() ? current : rec->second;
  const long desired = std::max(minReplicas, std::min(maxReplicas, wanted));
  setCondition(status, "ScalingActive", "True", "ValidMetricFound",
               "the HPA was able to successfully calculate a replica count from the simulated metrics");
  if (desired != wanted)
    setCondition(status, "ScalingLimited", "True", desired > wanted ? "TooFewReplicas" : "TooManyReplicas",
                 std::string("the desired replica count is ") + (desired > wanted ? "less than the minimum" : "more than the maximum") +
                     " replica count");
  else
    setCondition(status, "ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range");
  status["desiredReplicas"] = desired;
  if (desired != current) {
    nlohmann::json next = *target;
    next["spec"]["replicas"] = desired;
    next["metadata"]["generation"] = (*target)["metadata"].value("generation", 0L) + 1;  // a spec change
    replaceInternal(w_, key, target, next);
    status["currentReplicas"] = desired;
    status["lastScaleTime"] = nowRfc3339();
  }
  writeStatusInternal(w_, kHpas, hpa, status);
}

}  // namespace pmo::sandbox
