#include "support/phase_chart.hpp"

#include <stdexcept>

#include "support/fixtures.hpp"

namespace pmo::testing::phase_chart {

nlohmann::json object(const std::string& name, const std::string& ns) {
  nlohmann::json o = loadFixture("phase-chart/" + name + ".json");
  o["metadata"]["namespace"] = ns;
  return o;
}

std::vector<nlohmann::json> release(const std::string& ns) {
  std::vector<nlohmann::json> out;
  // Helm's install order: ConfigMap, Service, Deployment, HPA, StatefulSet, Ingress
  for (const char* name : {"configmap", "backend-service", "frontend-service", "postgres-service", "redis-service",
                           "backend-deployment", "redis-deployment", "worker-deployment", "backend-hpa", "worker-hpa",
                           "postgres-statefulset", "ingress"})
    out.push_back(object(name, ns));
  return out;
}

std::string collection(const nlohmann::json& o) {
  const std::string api = o.value("apiVersion", ""), kind = o.value("kind", "");
  const std::string ns = o["metadata"].value("namespace", "");
  std::string plural;
  if (kind == "ConfigMap") plural = "configmaps";
  else if (kind == "Service") plural = "services";
  else if (kind == "Deployment") plural = "deployments";
  else if (kind == "StatefulSet") plural = "statefulsets";
  else if (kind == "HorizontalPodAutoscaler") plural = "horizontalpodautoscalers";
  else if (kind == "Ingress") plural = "ingresses";
  else if (kind == "Job") plural = "jobs";
  else if (kind == "Secret") plural = "secrets";
  else throw std::runtime_error("phase chart: no collection for kind " + kind);
  const std::string base = api.find('/') == std::string::npos ? "/api/" + api : "/apis/" + api;
  return base + "/namespaces/" + ns + "/" + plural;
}

void setVersion(nlohmann::json& o, const std::string& version, const std::string& repository) {
  for (auto& c : o["spec"]["template"]["spec"]["containers"]) {
    const std::string image = c.value("image", "");
    if (image.rfind(std::string(kRepository) + ":", 0) == 0 || c.value("name", "") == "backend" ||
        c.value("name", "") == "worker" || c.value("name", "") == "migrations")
      c["image"] = repository + ":" + version;
  }
}

}  // namespace pmo::testing::phase_chart
