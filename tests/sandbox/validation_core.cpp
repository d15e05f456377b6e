// The core, coordination and RBAC kinds the operator and its install paths write:
// pkg/apis/core/validation/validation.go (ValidatePodCreate / ValidatePodUpdate,
// ValidateSecret(Update), ValidateConfigMap(Update), ValidateService, ValidateNamespace,
// ValidateServiceAccount), pkg/apis/core/validation/events.go (legacyValidateEvent),
// pkg/apis/coordination/validation/validation.go (ValidateLeaseSpec),
// pkg/apis/rbac/validation/validation.go (ValidatePolicyRule, ValidateRoleBinding(Update),
// ValidateRoleBindingSubject), Kubernetes 1.32.
#include <set>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

constexpr size_t kMaxSecretSize = 1024 * 1024;

size_t base64DecodedSize(const std::string& s) {
  size_t pad = 0;
  while (pad < 2 && pad < s.size() && s[s.size() - 1 - pad] == '=') ++pad;
  return s.size() / 4 * 3 - pad;
}

void immutableWhenSet(Errors& e, const Json& now, const Json& old, const std::vector<const char*>& fields) {
  if (old.value("immutable", false) != true) return;
  if (now.value("immutable", Json()) != old.value("immutable", Json()))
    e.forbidden("immutable", "field is immutable when `immutable` is set");
  for (const char* f : fields)
    if (now.value(f, Json()) != old.value(f, Json())) e.forbidden(f, "field is immutable when `immutable` is set");
}

std::string goServicePortKey(const std::string& protocol, long long port) {
  return "core.ServicePort{Name:\"\", Protocol:" + goQuote(protocol) +
         ", AppProtocol:(*string)(nil), Port:" + std::to_string(port) +
         ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}";
}

}  // namespace

void pod(Errors& e, const Json& p, const Json* old) {
  if (!old) return podSpec(e, obj(p, "spec"), "spec", true);
  // ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative
  // terminationGracePeriodSeconds may change
  Json a = obj(p, "spec"), b = obj(*old, "spec");
  for (auto* s : {&a, &b})
    for (const char* list : {"containers", "initContainers"})
      if (s->contains(list) && (*s)[list].is_array())
        for (auto& c : (*s)[list])
          if (c.is_object()) c.erase("image");
  for (auto* s : {&a, &b}) s->erase("activeDeadlineSeconds");
  const Json& oldTol = arr(b, "tolerations");
  const Json& newTol = arr(a, "tolerations");
  if (newTol.size() >= oldTol.size() && std::equal(oldTol.begin(), oldTol.end(), newTol.begin()))
    a.erase("tolerations"), b.erase("tolerations");
  if (integer(b, "terminationGracePeriodSeconds").value_or(0) < 0) a.erase("terminationGracePeriodSeconds"), b.erase("terminationGracePeriodSeconds");
  if (a != b)
    e.forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
                "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
  auto deadline = integer(obj(p, "spec"), "activeDeadlineSeconds");
  if (deadline && (*deadline < 1 || *deadline > 2147483647LL))
    e.invalidAs("spec.activeDeadlineSeconds", std::to_string(*deadline), inclusiveRangeError(1, 2147483647LL));
}

void secret(Errors& e, const Json& s, const Json* old) {
  size_t total = 0;
  const Json& data = obj(s, "data");
  for (auto it = data.begin(); it != data.end(); ++it) {
    for (const auto& m : isConfigMapKey(it.key())) e.invalid("data[" + it.key() + "]", Json(it.key()), m);
    if (it->is_string()) total += base64DecodedSize(it->get<std::string>());
  }
  if (total > kMaxSecretSize) e.tooLong("data", kMaxSecretSize);
  const std::string type = str(s, "type").empty() ? "Opaque" : str(s, "type");
  auto present = [&](const char* key) { return data.contains(key); };
  if (type == "kubernetes.io/service-account-token") {
    if (str(obj(obj(s, "metadata"), "annotations"), "kubernetes.io/service-account.name").empty())
      e.required("metadata.annotations.kubernetes.io/service-account.name");
  } else if (type == "kubernetes.io/dockercfg" || type == "kubernetes.io/dockerconfigjson") {
    const char* key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
    if (!present(key)) e.required(std::string("data[") + key + "]");
  } else if (type == "kubernetes.io/basic-auth") {
    if (!present("username") && !present("password")) {
      e.required("data[%s][username]");
      e.required("data[%s][password]");
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (str(data, "ssh-privatekey").empty()) e.required("data[%s][ssh-privatekey]");
  } else if (type == "kubernetes.io/tls") {
    if (!present("tls.crt")) e.required("data[tls.crt]");
    if (!present("tls.key")) e.required("data[tls.key]");
  }
  if (!old) return;
  const std::string oldType = str(*old, "type").empty() ? "Opaque" : str(*old, "type");
  if (type != oldType) e.invalid("type", Json(type), "field is immutable");
  immutableWhenSet(e, s, *old, {"data"});
}

void configMap(Errors& e, const Json& c, const Json* old) {
  size_t total = 0;
  const Json& data = obj(c, "data");
  const Json& binary = obj(c, "binaryData");
  for (auto it = data.begin(); it != data.end(); ++it) {
    for (const auto& m : isConfigMapKey(it.key())) e.invalid("data[" + it.key() + "]", Json(it.key()), m);
    if (binary.contains(it.key())) e.invalid("data[" + it.key() + "]", Json(it.key()), "duplicate of key present in binaryData");
    if (it->is_string()) total += it->get<std::string>().size();
  }
  for (auto it = binary.begin(); it != binary.end(); ++it) {
    for (const auto& m : isConfigMapKey(it.key())) e.invalid("binaryData[" + it.key() + "]", Json(it.key()), m);
    if (it->is_string()) total += base64DecodedSize(it->get<std::string>());
  }
  if (total > kMaxSecretSize) e.tooLong("", kMaxSecretSize);
  if (old) immutableWhenSet(e, c, *old, {"data", "binaryData"});
}

void service(Errors& e, const Json& s, const Json*) {
  const Json& spec = obj(s, "spec");
  const std::string type = str(spec, "type").empty() ? "ClusterIP" : str(spec, "type");
  const bool headless = str(spec, "clusterIP") == "None";
  const Json& ports = arr(spec, "ports");
  if (ports.empty() && !headless && type != "ExternalName") e.required("spec.ports");
  std::set<std::string> names;
  std::set<std::pair<std::string, long long>> seen;
  for (size_t i = 0; i < ports.size(); ++i) {
    const std::string p = "spec.ports[" + std::to_string(i) + "]";
    const Json& sp = ports[i];
    const std::string name = str(sp, "name");
    if (ports.size() > 1 && name.empty()) {
      e.required(p + ".name");
    } else if (!name.empty()) {
      for (const auto& m : isDns1123Label(name)) e.invalid(p + ".name", Json(name), m);
      if (!names.insert(name).second) e.duplicate(p + ".name", Json(name));
    }
    const long long port = integer(sp, "port").value_or(0);
    for (const auto& m : isValidPortNum(port)) e.invalidAs(p + ".port", std::to_string(port), m);
    const std::string proto = str(sp, "protocol").empty() ? "TCP" : str(sp, "protocol");
    if (proto != "TCP" && proto != "UDP" && proto != "SCTP") e.notSupported(p + ".protocol", Json(proto), {"SCTP", "TCP", "UDP"});
    const Json target = sp.value("targetPort", Json());
    if (target.is_string() && !target.get<std::string>().empty()) {
      for (const auto& m : isValidPortName(target.get<std::string>())) e.invalid(p + ".targetPort", target, m);
    } else if (target.is_number_integer() && target.get<long long>() != 0) {
      for (const auto& m : isValidPortNum(target.get<long long>())) e.invalidAs(p + ".targetPort", target.dump(), m);
    }
    if (!seen.insert({proto, port}).second) e.duplicateAs(p, goServicePortKey(proto, port));
  }
  validateLabels(e, obj(spec, "selector"), "spec.selector");
  const std::string affinity = str(spec, "sessionAffinity");
  if (!affinity.empty() && affinity != "ClientIP" && affinity != "None")
    e.notSupported("spec.sessionAffinity", Json(affinity), {"ClientIP", "None"});
  if (type != "ClusterIP" && type != "ExternalName" && type != "LoadBalancer" && type != "NodePort")
    e.notSupported("spec.type", Json(type), {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
}

void serviceAccount(Errors&, const Json&) {}

void namespaceSpec(Errors& e, const Json& ns) {
  for (const auto& f : arr(obj(ns, "spec"), "finalizers")) {
    const std::string name = f.is_string() ? f.get<std::string>() : "";
    for (const auto& m : isQualifiedName(name)) e.invalid("spec.finalizers", Json(name), m);
    if (name.find('/') == std::string::npos && name != "kubernetes" && name != "orphan" && name != "foregroundDeletion")
      e.invalid("spec.finalizers", Json(name), "name is neither a standard finalizer name nor is it fully qualified");
  }
}

void event(Errors& e, const Json& ev) {
  const std::string ns = str(obj(ev, "metadata"), "namespace");
  const std::string involvedNs = str(obj(ev, "involvedObject"), "namespace");
  const char* mismatch = "does not match event.namespace";
  if (!has(ev, "eventTime")) {
    if (involvedNs.empty() ? (!ns.empty() && ns != "default") : ns != involvedNs)
      e.invalid("involvedObject.namespace", Json(involvedNs), mismatch);
  } else {
    if (involvedNs.empty() && ns != "default" && ns != "kube-system")
      e.invalid("involvedObject.namespace", Json(involvedNs), mismatch);
    const std::string controller = str(ev, "reportingComponent");
    if (controller.empty()) e.required("reportingComponent");
    for (const auto& m : isQualifiedName(controller)) e.invalid("reportingComponent", Json(controller), m);
    for (const auto& [field, limit] : {std::pair<const char*, size_t>{"reportingInstance", 128}, {"action", 128}, {"reason", 128}}) {
      const std::string v = str(ev, field);
      if (v.empty()) e.required(field);
      if (v.size() > limit) e.invalid(field, Json(""), "can have at most " + std::to_string(limit) + " characters");
    }
    if (str(ev, "message").size() > 1024) e.invalid("message", Json(""), "can have at most 1024 characters");
  }
  for (const auto& m : isDns1123Subdomain(ns)) e.invalid("namespace", Json(ns), m);
}

void lease(Errors& e, const Json& l) {
  const Json& spec = obj(l, "spec");
  auto duration = integer(spec, "leaseDurationSeconds");
  if (duration && *duration <= 0) e.invalidAs("spec.leaseDurationSeconds", std::to_string(*duration), "must be greater than 0");
  auto transitions = integer(spec, "leaseTransitions");
  if (transitions && *transitions < 0)
    e.invalidAs("spec.leaseTransitions", std::to_string(*transitions), "must be greater than or equal to 0");
}

void rbacRules(Errors& e, const Json& role, bool namespaced) {
  const Json& rules = arr(role, "rules");
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string p = "rules[" + std::to_string(i) + "]";
    const Json& r = rules[i];
    if (arr(r, "verbs").empty()) e.required(p + ".verbs", "verbs must contain at least one value");
    const Json& urls = arr(r, "nonResourceURLs");
    if (!urls.empty()) {
      if (namespaced) e.invalidAs(p + ".nonResourceURLs", goStrings(urls), "namespaced rules cannot apply to non-resource URLs");
      if (!arr(r, "apiGroups").empty() || !arr(r, "resources").empty() || !arr(r, "resourceNames").empty())
        e.invalidAs(p + ".nonResourceURLs", goStrings(urls), "rules cannot apply to both regular resources and non-resource URLs");
      continue;
    }
    if (arr(r, "apiGroups").empty()) e.required(p + ".apiGroups", "resource rules must supply at least one api group");
    if (arr(r, "resources").empty()) e.required(p + ".resources", "resource rules must supply at least one resource");
  }
  if (!namespaced && has(role, "aggregationRule") && arr(role["aggregationRule"], "clusterRoleSelectors").empty())
    e.required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil");
}

void rbacBinding(Errors& e, const Json& b, const Json* old, bool namespaced) {
  const std::string group = "rbac.authorization.k8s.io";
  const Json& ref = obj(b, "roleRef");
  const std::string refGroup = str(ref, "apiGroup").empty() ? group : str(ref, "apiGroup");  // defaulted
  if (refGroup != group) e.notSupported("roleRef.apiGroup", Json(refGroup), {group});
  const std::string kind = str(ref, "kind");
  if (namespaced ? (kind != "Role" && kind != "ClusterRole") : kind != "ClusterRole")
    e.notSupported("roleRef.kind", Json(kind), namespaced ? std::vector<std::string>{"Role", "ClusterRole"}
                                                          : std::vector<std::string>{"ClusterRole"});
  const std::string name = str(ref, "name");
  if (name.empty()) e.required("roleRef.name");
  else
    for (const auto& m : checkName(NameRule::PathSegment, name, false)) e.invalid("roleRef.name", Json(name), m);
  const Json& subjects = arr(b, "subjects");
  for (size_t i = 0; i < subjects.size(); ++i) {
    const std::string p = "subjects[" + std::to_string(i) + "]";
    const Json& s = subjects[i];
    const std::string sk = str(s, "kind"), sn = str(s, "name");
    if (sn.empty()) e.required(p + ".name");
    if (sk == "ServiceAccount") {
      if (!sn.empty())
        for (const auto& m : isDns1123Subdomain(sn)) e.invalid(p + ".name", Json(sn), m);
      if (!str(s, "apiGroup").empty()) e.notSupported(p + ".apiGroup", Json(str(s, "apiGroup")), {""});
      if (!namespaced && str(s, "namespace").empty()) e.required(p + ".namespace");
    } else if (sk == "User" || sk == "Group") {
      const std::string g = str(s, "apiGroup").empty() ? group : str(s, "apiGroup");  // defaulted
      if (g != group) e.notSupported(p + ".apiGroup", Json(g), {group});
    } else {
      e.notSupported(p + ".kind", Json(sk), {"ServiceAccount", "User", "Group"});
    }
  }
  if (!old) return;
  const Json& oldRef = obj(*old, "roleRef");
  const std::string oldGroup = str(oldRef, "apiGroup").empty() ? group : str(oldRef, "apiGroup");
  if (refGroup != oldGroup || kind != str(oldRef, "kind") || name != str(oldRef, "name"))
    e.invalidAs("roleRef",
                "rbac.RoleRef{APIGroup:" + goQuote(refGroup) + ", Kind:" + goQuote(kind) + ", Name:" + goQuote(name) + "}",
                "cannot change roleRef");
}

}  // namespace pmo::sandbox::validation
