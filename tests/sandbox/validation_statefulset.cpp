// StatefulSets: pkg/apis/apps/validation/validation.go (ValidateStatefulSet,
// ValidateStatefulSetSpec, ValidatePodTemplateSpecForStatefulSet, ValidateStatefulSetUpdate),
// Kubernetes 1.32, with apps/v1's defaults counted as applied when a field is absent
// (podManagementPolicy OrderedReady, updateStrategy RollingUpdate, replicas 1,
// persistentVolumeClaimRetentionPolicy Retain/Retain). As in kube-apiserver, the template's pod
// spec is not validated here (only its labels and annotations): its volume mounts may name
// volumeClaimTemplates.
#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

std::string orDefault(const std::string& v, const std::string& d) { return v.empty() ? d : v; }

void updateStrategy(Errors& e, const Json& spec) {
  const Json& s = obj(spec, "updateStrategy");
  const std::string type = orDefault(str(s, "type"), "RollingUpdate");
  if (type == "OnDelete") {
    if (has(s, "rollingUpdate"))
      e.invalidAs("spec.updateStrategy.rollingUpdate", "&apps.RollingUpdateStatefulSetStrategy{...}",
                  "only allowed for updateStrategy 'RollingUpdate'");
  } else if (type == "RollingUpdate") {
    nonNegative(e, obj(s, "rollingUpdate"), "partition", "spec.updateStrategy.rollingUpdate.partition");
  } else {
    e.invalidAs("spec.updateStrategy", "apps.StatefulSetUpdateStrategy{Type:" + goQuote(type) + ", ...}",
                "must be 'RollingUpdate' or 'OnDelete'");
  }
}

void retentionPolicy(Errors& e, const Json& spec) {
  const Json& p = obj(spec, "persistentVolumeClaimRetentionPolicy");
  for (const char* f : {"whenDeleted", "whenScaled"}) {
    const std::string v = orDefault(str(p, f), "Retain");
    if (v != "Retain" && v != "Delete")
      e.notSupported(std::string("spec.persistentVolumeClaimRetentionPolicy.") + f, Json(v), {"Retain", "Delete"});
  }
}

}  // namespace

void statefulSet(Errors& e, const Json& sts, const Json* old) {
  const Json& spec = obj(sts, "spec");
  const std::string policy = orDefault(str(spec, "podManagementPolicy"), "OrderedReady");
  if (policy != "OrderedReady" && policy != "Parallel")
    e.invalid("spec.podManagementPolicy", Json(policy), "must be 'OrderedReady' or 'Parallel'");
  updateStrategy(e, spec);
  nonNegative(e, spec, "replicas", "spec.replicas");
  nonNegative(e, spec, "minReadySeconds", "spec.minReadySeconds");
  nonNegative(e, obj(spec, "ordinals"), "start", "spec.ordinals.start");
  retentionPolicy(e, spec);
  const bool hasSelector = has(spec, "selector");
  const Json selector = hasSelector ? spec["selector"] : Json();
  if (!hasSelector) {
    e.required("spec.selector");
  } else {
    validateLabelSelector(e, selector, "spec.selector");
    if (selectorEmpty(selector))
      e.invalidAs("spec.selector", goLabelSelector(selector), "empty selector is invalid for statefulset");
  }
  const Json& tmpl = obj(spec, "template");
  const Json& tmeta = obj(tmpl, "metadata");
  if (!selectorConvertible(selector)) {
    e.invalidAs("spec.selector", goLabelSelector(selector), "");
  } else {
    if (!selector.is_null() && !selectorEmpty(selector) && !selectorMatches(selector, obj(tmeta, "labels")))
      e.invalidAs("spec.template.metadata.labels", goMap(tmeta.value("labels", Json())),
                  "`selector` does not match template `labels`");
    validateLabels(e, obj(tmeta, "labels"), "spec.template.labels");
    validateAnnotations(e, obj(tmeta, "annotations"), "spec.template.annotations");
  }
  const std::string restart = orDefault(str(obj(tmpl, "spec"), "restartPolicy"), "Always");
  if (restart != "Always") e.notSupported("spec.template.spec.restartPolicy", Json(restart), {"Always"});
  if (has(obj(tmpl, "spec"), "activeDeadlineSeconds"))
    e.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported");
  if (!old) return;
  // ValidateStatefulSetUpdate: only these spec fields may change.
  Json a = spec, b = obj(*old, "spec");
  for (const char* f : {"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                        "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}) {
    if (a.is_object()) a.erase(f);
    if (b.is_object()) b.erase(f);
  }
  if (a != b)
    e.forbidden("spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden");
}

}  // namespace pmo::sandbox::validation
