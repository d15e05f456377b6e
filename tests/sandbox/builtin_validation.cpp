// Entry points of the built-in validation: decoding with fieldValidation
// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers: create.go / update.go / patch.go,
// metainternalversion/validation ValidateFieldValidation), then per kind the registry
// strategy's Validate / ValidateUpdate.
#include "sandbox/builtin_validation.hpp"

#include "sandbox/builtin_fields.hpp"
#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox {

using validation::Errors;
using validation::Json;
using validation::NameRule;

FieldValidation parseFieldValidation(const std::string& value, const std::string& verb) {
  if (value.empty() || value == "Warn") return FieldValidation::Warn;
  if (value == "Ignore") return FieldValidation::Ignore;
  if (value == "Strict") return FieldValidation::Strict;
  Errors e;
  e.notSupported("fieldValidation", Json(value), {"", "Ignore", "Strict", "Warn"});
  e.throwIfAny(verb == "create" ? "CreateOptions" : verb == "update" ? "UpdateOptions" : "PatchOptions", "meta.k8s.io", "");
  return FieldValidation::Warn;
}

std::string warningHeader(const std::string& text) { return "299 - " + goQuote(text); }

void decodeBuiltinObject(const ResourceType& type, const std::string& version, Json& object, FieldValidation mode,
                         std::vector<std::string>* warnings) {
  if (type.custom) return;  // custom resources: pruned by their schema (schema.cpp)
  const auto unknown = decodeBuiltin(type.group, type.kind, version, object);
  if (unknown.empty() || mode == FieldValidation::Ignore) return;
  if (mode == FieldValidation::Strict) {
    std::string list;
    for (const auto& f : unknown) list += (list.empty() ? "" : ", ") + std::string("unknown field ") + goQuote(f);
    throw badRequest(type.kind + " in version " + goQuote(version) + " cannot be handled as a " + type.kind +
                     ": strict decoding error: " + list);
  }
  if (warnings)
    for (const auto& f : unknown) warnings->push_back("unknown field " + goQuote(f));
}

namespace {

struct KindRules {
  NameRule name = NameRule::Dns1123Subdomain;
  bool kubeFinalizers = true;  // pkg/apis/core/validation's ValidateObjectMeta
  bool meta = true;            // Events validate no metadata (legacyValidateEvent)
};

KindRules rulesFor(const ResourceType& t) {
  KindRules r;
  if (t.custom) r.kubeFinalizers = false;
  if (t.group.empty() && t.kind == "Namespace") r.name = NameRule::Dns1123Label;
  if (t.group.empty() && t.kind == "Service") r.name = NameRule::Dns1035Label;
  // ValidateStatefulSetName: a DNS label in current Kubernetes (a subdomain before); the stricter rule
  if (t.group == "apps" && t.kind == "StatefulSet") r.name = NameRule::Dns1123Label;
  if (t.group.empty() && t.kind == "Event") r.meta = false;
  if (t.group == "rbac.authorization.k8s.io") r.name = NameRule::PathSegment, r.kubeFinalizers = false;
  return r;
}

// The spec rules of the kind (nothing for kinds not ported here).
void kindRules(Errors& e, const ResourceType& t, const Json& o, const Json* old) {
  const std::string key = t.group + "/" + t.kind;
  if (key == "apps/Deployment") validation::deployment(e, o, old);
  else if (key == "apps/StatefulSet") validation::statefulSet(e, o, old);
  else if (key == "networking.k8s.io/Ingress") validation::ingress(e, o, old);
  else if (key == "autoscaling/HorizontalPodAutoscaler") validation::horizontalPodAutoscaler(e, o, old);
  else if (key == "batch/Job") validation::job(e, o, old);
  else if (key == "batch/CronJob") validation::cronJob(e, o, old);
  else if (key == "/Pod") validation::pod(e, o, old);
  else if (key == "/Secret") validation::secret(e, o, old);
  else if (key == "/ConfigMap") validation::configMap(e, o, old);
  else if (key == "/Service") validation::service(e, o, old);
  else if (key == "/ServiceAccount") validation::serviceAccount(e, o);
  else if (key == "/Namespace" && !old) validation::namespaceSpec(e, o);
  else if (key == "/Event") validation::event(e, o);
  else if (key == "coordination.k8s.io/Lease") validation::lease(e, o);
  else if (key == "rbac.authorization.k8s.io/Role") validation::rbacRules(e, o, true);
  else if (key == "rbac.authorization.k8s.io/ClusterRole") validation::rbacRules(e, o, false);
  else if (key == "rbac.authorization.k8s.io/RoleBinding") validation::rbacBinding(e, o, old, true);
  else if (key == "rbac.authorization.k8s.io/ClusterRoleBinding") validation::rbacBinding(e, o, old, false);
}

bool ported(const ResourceType& t) { return t.resource != "customresourcedefinitions"; }  // CRDs: resource_types.cpp

}  // namespace

void validateOnCreate(const ResourceType& type, const Json& object) {
  if (!ported(type)) return;
  Errors e;
  const KindRules r = rulesFor(type);
  const Json& meta = validation::obj(object, "metadata");
  if (r.meta) validation::objectMeta(e, meta, r.name, r.kubeFinalizers);
  if (!type.custom) kindRules(e, type, object, nullptr);
  e.throwIfAny(type.kind, type.group, validation::str(meta, "name"));
}

void validateOnUpdate(const ResourceType& type, const std::string&, const Json& object, const Json& old,
                      const std::string& subresource) {
  if (!ported(type)) return;
  Errors e;
  const KindRules r = rulesFor(type);
  const Json& meta = validation::obj(object, "metadata");
  if (r.meta) validation::objectMetaUpdate(e, meta, validation::obj(old, "metadata"), r.kubeFinalizers);
  if (!type.custom && subresource.empty()) kindRules(e, type, object, &old);
  e.throwIfAny(type.kind, type.group, validation::str(meta, "name"));
}

}  // namespace pmo::sandbox
