#pragma once
// The per-kind validators behind builtin_validation.hpp; each adds field errors to `e`.
#include <optional>
#include <string>

#include "sandbox/validation_util.hpp"

namespace pmo::sandbox::validation {

// ObjectMeta (apimachinery/pkg/api/validation/objectmeta.go; `kubeFinalizers`: the extra
// finalizer-name rule of pkg/apis/core/validation for the kinds that use it).
void objectMeta(Errors& e, const Json& meta, NameRule rule, bool kubeFinalizers);
void objectMetaUpdate(Errors& e, const Json& meta, const Json& oldMeta, bool kubeFinalizers);

// pkg/apis/core/validation: pod templates and pod specs (`path` ends in "template" / "spec").
void podTemplateSpec(Errors& e, const Json& tmpl, const std::string& path);
void podSpec(Errors& e, const Json& spec, const std::string& path, bool isPod);
// pkg/apis/core/validation: a container's probes (validation_probe.cpp); a regular init
// container may carry none.
enum class ProbeKind { Liveness, Readiness, Startup };
void probe(Errors& e, const Json& probe, const std::string& path, ProbeKind kind);
void containerProbes(Errors& e, const Json& container, const std::string& path, bool initContainer);

// pkg/apis/apps/validation and pkg/registry/apps/deployment (selector immutability).
void deployment(Errors& e, const Json& d, const Json* old);
// pkg/apis/apps/validation: StatefulSets (spec, and the fields an update may change).
void statefulSet(Errors& e, const Json& sts, const Json* old);
// pkg/apis/networking/validation: Ingresses.
void ingress(Errors& e, const Json& ing, const Json* old);
// pkg/apis/autoscaling/validation: HorizontalPodAutoscalers (autoscaling/v2).
void horizontalPodAutoscaler(Errors& e, const Json& hpa, const Json* old);
// pkg/apis/batch/validation.
void job(Errors& e, const Json& j, const Json* old);
void cronJob(Errors& e, const Json& cj, const Json* old);
// pkg/apis/core/validation and friends.
void pod(Errors& e, const Json& p, const Json* old);
void secret(Errors& e, const Json& s, const Json* old);
void configMap(Errors& e, const Json& c, const Json* old);
void service(Errors& e, const Json& s, const Json* old);
void serviceAccount(Errors& e, const Json& sa);
void namespaceSpec(Errors& e, const Json& ns);
void event(Errors& e, const Json& ev);
void lease(Errors& e, const Json& l);
// pkg/apis/rbac/validation.
void rbacRules(Errors& e, const Json& role, bool namespaced);
void rbacBinding(Errors& e, const Json& binding, const Json* old, bool namespaced);

// robfig/cron/v3 ParseStandard: the error it returns for `spec`, or nullopt when it parses.
std::optional<std::string> cronScheduleError(const std::string& spec);
// Go's time.LoadLocation against the tz database: the error text, or nullopt.
std::optional<std::string> loadLocationError(const std::string& name);

}  // namespace pmo::sandbox::validation
