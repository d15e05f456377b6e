// Container probes, ported from kubernetes/kubernetes pkg/apis/core/validation/validation.go:
// validateLivenessProbe, validateReadinessProbe, validateStartupProbe, validateProbe,
// validateHandler (handlerFromProbe: exec, httpGet, tcpSocket, grpc), validateExecAction,
// validateHTTPGetAction, ValidatePortNumOrName, validateTCPSocketAction, validateGRPCAction,
// and validateInitContainers' rule that a regular init container carries no probe or
// lifecycle. The API server validates after v1 defaulting (pkg/apis/core/v1/defaults.go
// SetDefaults_Probe: timeoutSeconds 1, periodSeconds 10, successThreshold 1,
// failureThreshold 3 when 0; SetDefaults_HTTPGetAction: path "/", scheme HTTP), so those
// count as defaulted when absent or 0 here.
#include <regex>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

long long defaulted(const Json& p, const char* key, long long fallback) {
  auto v = integer(p, key);
  return !v || *v == 0 ? fallback : *v;
}

void nonNegativeValue(Errors& e, long long v, const std::string& path) {
  if (v < 0) e.invalidAs(path, std::to_string(v), "must be greater than or equal to 0");
}

// ValidatePortNumOrName (an intstr.IntOrString)
void portNumOrName(Errors& e, const Json& port, const std::string& path) {
  if (port.is_string()) {
    for (const auto& m : isValidPortName(port.get<std::string>())) e.invalid(path, port, m);
    return;
  }
  const long long n = port.is_number_integer() ? port.get<long long>() : 0;
  for (const auto& m : isValidPortNum(n)) e.invalidAs(path, std::to_string(n), m);
}

// validation.IsHTTPHeaderName (apimachinery pkg/util/validation)
void httpHeaderName(Errors& e, const std::string& name, const std::string& path) {
  static const std::regex re("^[-A-Za-z0-9]+$");
  if (!std::regex_match(name, re))
    e.invalid(path, Json(name),
              "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used "
              "for validation is '[-A-Za-z0-9]+')");
}

void handler(Errors& e, const Json& p, const std::string& path) {
  int handlers = 0;
  for (const char* h : {"exec", "httpGet", "tcpSocket", "grpc"}) {
    if (!has(p, h)) continue;
    const std::string hp = path + "." + h;
    if (handlers++ > 0) {
      e.forbidden(hp, "may not specify more than 1 handler type");
      continue;
    }
    const Json& a = p[h];
    if (std::string(h) == "exec") {
      if (arr(a, "command").empty()) e.required(hp + ".command");
    } else if (std::string(h) == "httpGet") {
      // path "" and scheme "" are defaulted to "/" and HTTP before validation
      portNumOrName(e, a.value("port", Json(0)), hp + ".port");
      const std::string scheme = str(a, "scheme");
      if (!scheme.empty() && scheme != "HTTP" && scheme != "HTTPS")
        e.notSupported(hp + ".scheme", Json(scheme), {"HTTP", "HTTPS"});
      for (const auto& header : arr(a, "httpHeaders")) httpHeaderName(e, str(header, "name"), hp + ".httpHeaders");
    } else if (std::string(h) == "tcpSocket") {
      portNumOrName(e, a.value("port", Json(0)), hp + ".port");
    } else {  // grpc: port is an int32
      portNumOrName(e, Json(a.value("port", 0LL)), hp + ".port");
    }
  }
  if (handlers == 0) e.required(path, "must specify a handler type");
}

}  // namespace

void probe(Errors& e, const Json& p, const std::string& path, ProbeKind kind) {
  if (!p.is_object()) return;
  handler(e, p, path);
  nonNegativeValue(e, integer(p, "initialDelaySeconds").value_or(0), path + ".initialDelaySeconds");
  nonNegativeValue(e, defaulted(p, "timeoutSeconds", 1), path + ".timeoutSeconds");
  nonNegativeValue(e, defaulted(p, "periodSeconds", 10), path + ".periodSeconds");
  const long long success = defaulted(p, "successThreshold", 1);
  nonNegativeValue(e, success, path + ".successThreshold");
  nonNegativeValue(e, defaulted(p, "failureThreshold", 3), path + ".failureThreshold");
  if (auto grace = integer(p, "terminationGracePeriodSeconds"); grace && *grace <= 0)
    e.invalidAs(path + ".terminationGracePeriodSeconds", std::to_string(*grace), "must be greater than 0");
  if (kind == ProbeKind::Readiness) {
    if (auto grace = integer(p, "terminationGracePeriodSeconds"))
      e.invalidAs(path + ".terminationGracePeriodSeconds", std::to_string(*grace), "must not be set for readinessProbes");
  } else if (success != 1) {
    e.invalidAs(path + ".successThreshold", std::to_string(success), "must be 1");
  }
}

void containerProbes(Errors& e, const Json& c, const std::string& path, bool initContainer) {
  const bool restartable = initContainer && str(c, "restartPolicy") == "Always";
  if (initContainer && !restartable) {
    for (const char* f : {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"})
      if (has(c, f)) e.forbidden(path + "." + f, "may not be set for init containers without restartPolicy=Always");
    return;
  }
  probe(e, c.value("livenessProbe", Json()), path + ".livenessProbe", ProbeKind::Liveness);
  probe(e, c.value("readinessProbe", Json()), path + ".readinessProbe", ProbeKind::Readiness);
  probe(e, c.value("startupProbe", Json()), path + ".startupProbe", ProbeKind::Startup);
}

}  // namespace pmo::sandbox::validation
