// Ingresses (networking.k8s.io/v1): pkg/apis/networking/validation/validation.go
// (ValidateIngressCreate, ValidateIngressUpdate, ValidateIngressSpec, validateIngressRules,
// validateHTTPIngressPath, validateIngressBackend, validateIngressTLS), Kubernetes 1.32. The
// update-only relaxations (an old Ingress that already had an invalid TLS secret name or
// wildcard rule) are not carried: such objects are refused as on create.
#include <arpa/inet.h>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

bool isIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// k8s.io/apimachinery/pkg/util/validation IsWildcardDNS1123Subdomain.
std::vector<std::string> isWildcardDns1123Subdomain(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back("must be no more than 253 characters");
  const bool ok = v.rfind("*.", 0) == 0 && v.size() > 2 && isDns1123Subdomain(v.substr(2)).empty();
  if (!ok)
    errs.push_back(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist "
        "of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. "
        "'*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return errs;
}

void host(Errors& e, const std::string& h, const std::string& path) {
  const auto msgs = h.find('*') != std::string::npos ? isWildcardDns1123Subdomain(h) : isDns1123Subdomain(h);
  for (const auto& m : msgs) e.invalid(path, Json(h), m);
}

void backend(Errors& e, const Json& b, const std::string& path) {
  const bool resource = has(b, "resource"), service = has(b, "service");
  if (resource && service) return e.invalid(path, Json(""), "cannot set both resource and service backends");
  if (!resource && !service) return e.invalid(path, Json(""), "resource or service backend is required");
  if (resource) {
    const Json& r = b["resource"];
    if (has(r, "apiGroup"))
      for (const auto& m : isDns1123Subdomain(str(r, "apiGroup"))) e.invalid(path + ".resource.apiGroup", r["apiGroup"], m);
    for (const char* f : {"kind", "name"}) {
      const std::string v = str(r, f), p = path + ".resource." + f;
      if (v.empty()) e.required(p, std::string(f) + " is required");
      for (const auto& m : checkName(NameRule::PathSegment, v, false))
        if (!v.empty()) e.invalid(p, Json(v), m);
    }
    return;
  }
  const Json& s = b["service"];
  const std::string name = str(s, "name");
  if (name.empty()) e.required(path + ".service.name");
  else
    for (const auto& m : isDns1035Label(name)) e.invalid(path + ".service.name", Json(name), m);
  const Json& port = obj(s, "port");
  const std::string portName = str(port, "name");
  const long long number = integer(port, "number").value_or(0);
  if (!portName.empty() && number != 0) e.invalid(path, Json(""), "cannot set both port name & port number");
  else if (!portName.empty())
    for (const auto& m : isValidPortName(portName)) e.invalid(path + ".service.port.name", Json(portName), m);
  else if (number != 0)
    for (const auto& m : isValidPortNum(number)) e.invalidAs(path + ".service.port.number", std::to_string(number), m);
  else e.required(path, "port name or number is required");
}

void httpPath(Errors& e, const Json& p, const std::string& path) {
  if (!has(p, "pathType")) return e.required(path + ".pathType", "pathType must be specified");
  const std::string type = str(p, "pathType"), value = str(p, "path");
  if (type == "Exact" || type == "Prefix") {
    if (value.rfind('/', 0) != 0) e.invalid(path + ".path", Json(value), "must be an absolute path");
    for (const char* seq : {"//", "/./", "/../", "%2f", "%2F"})
      if (value.find(seq) != std::string::npos)
        e.invalid(path + ".path", Json(value), std::string("must not contain '") + seq + "'");
    for (const std::string suffix : {"/..", "/."})
      if (value.size() >= suffix.size() && value.compare(value.size() - suffix.size(), suffix.size(), suffix) == 0)
        e.invalid(path + ".path", Json(value), "cannot end with '" + suffix + "'");
  } else if (type == "ImplementationSpecific") {
    if (!value.empty() && value[0] != '/') e.invalid(path + ".path", Json(value), "must be an absolute path");
  } else {
    e.notSupported(path + ".pathType", Json(type), {"Exact", "ImplementationSpecific", "Prefix"});
  }
  backend(e, obj(p, "backend"), path + ".backend");
}

void rules(Errors& e, const Json& list) {
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& r = list[i];
    const std::string path = "spec.rules[" + std::to_string(i) + "]";
    const std::string h = str(r, "host");
    if (!h.empty()) {
      if (isIp(h)) e.invalid(path + ".host", Json(h), "must be a DNS name, not an IP address");
      host(e, h, path + ".host");
    }
    if (!has(r, "http")) continue;
    const Json& paths = arr(r["http"], "paths");
    if (paths.empty()) e.required(path + ".http.paths");
    for (size_t j = 0; j < paths.size(); ++j) httpPath(e, paths[j], path + ".http.paths[" + std::to_string(j) + "]");
  }
}

}  // namespace

void ingress(Errors& e, const Json& ing, const Json* old) {
  const Json& spec = obj(ing, "spec");
  const Json& ruleList = arr(spec, "rules");
  if (ruleList.empty() && !has(spec, "defaultBackend"))
    e.invalidAs("spec", "[]networking.IngressRule(nil)", "either `defaultBackend` or `rules` must be specified");
  if (has(spec, "defaultBackend")) backend(e, spec["defaultBackend"], "spec.defaultBackend");
  rules(e, ruleList);
  const Json& tls = arr(spec, "tls");
  for (size_t i = 0; i < tls.size(); ++i) {
    const std::string path = "spec.tls[" + std::to_string(i) + "]";
    const Json& hosts = arr(tls[i], "hosts");
    for (size_t j = 0; j < hosts.size(); ++j)
      host(e, hosts[j].is_string() ? hosts[j].get<std::string>() : "", path + ".hosts[" + std::to_string(j) + "]");
    const std::string secret = str(tls[i], "secretName");
    if (!secret.empty())
      for (const auto& m : isDns1123Subdomain(secret)) e.invalid(path + ".secretName", Json(secret), m);
  }
  if (has(spec, "ingressClassName")) {
    const std::string cls = str(spec, "ingressClassName");
    for (const auto& m : checkName(NameRule::Dns1123Subdomain, cls, false))
      e.invalid("spec.ingressClassName", Json(cls), m);
  }
  if (old) return;
  const Json& annotations = obj(obj(ing, "metadata"), "annotations");
  if (annotations.contains("kubernetes.io/ingress.class") && has(spec, "ingressClassName") &&
      str(annotations, "kubernetes.io/ingress.class") != str(spec, "ingressClassName"))
    e.invalid("annotations.kubernetes.io/ingress.class", annotations["kubernetes.io/ingress.class"],
              "must match `ingressClassName` when both are specified");
}

}  // namespace pmo::sandbox::validation
