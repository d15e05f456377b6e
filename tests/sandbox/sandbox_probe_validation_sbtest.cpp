// Container probes are validated as kube-apiserver validates them after v1 defaulting
// (validation_probe.cpp; pkg/apis/core/validation/validation.go validateProbe and friends),
// with the real server's messages.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kPods = "/api/v1/namespaces/default/pods";

Json podWith(const Json& probe, const char* kind = "startupProbe") {
  Json c = {{"name", "app"}, {"image", "phase:v1"}};
  c[kind] = probe;
  return {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", {c}}}}};
}

Json gateProbe() {
  return {{"exec", {{"command", {"/bin/sh", "-c", "python manage.py migrate --check"}}}},
          {"timeoutSeconds", 30}, {"periodSeconds", 5}, {"successThreshold", 1}, {"failureThreshold", 120}};
}

void expectInvalid(const Reply& r, const std::string& message) {
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["message"], "Pod \"p\" is invalid: " + message);
}

TEST_F(SandboxTest, ProbesAreValidatedAsKubeApiserverDoes) {
  const std::string c0 = "spec.containers[0].";
  Json p = gateProbe();
  p["successThreshold"] = 2;
  expectInvalid(client->post(kPods, podWith(p)), c0 + "startupProbe.successThreshold: Invalid value: 2: must be 1");
  expectInvalid(client->post(kPods, podWith(p, "livenessProbe")),
                c0 + "livenessProbe.successThreshold: Invalid value: 2: must be 1");
  p = gateProbe();
  p.erase("exec");
  expectInvalid(client->post(kPods, podWith(p)), c0 + "startupProbe: Required value: must specify a handler type");
  p = gateProbe();
  p["tcpSocket"] = {{"port", 8000}};
  expectInvalid(client->post(kPods, podWith(p)),
                c0 + "startupProbe.tcpSocket: Forbidden: may not specify more than 1 handler type");
  p = gateProbe();
  p["exec"]["command"] = Json::array();
  expectInvalid(client->post(kPods, podWith(p)), c0 + "startupProbe.exec.command: Required value");
  p = gateProbe();
  p["periodSeconds"] = -5;
  expectInvalid(client->post(kPods, podWith(p)),
                c0 + "startupProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0");
  p = gateProbe();
  p["terminationGracePeriodSeconds"] = 0;
  expectInvalid(client->post(kPods, podWith(p)),
                c0 + "startupProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0");
  p = {{"httpGet", {{"path", "/health"}, {"port", 0}}}};
  expectInvalid(client->post(kPods, podWith(p, "readinessProbe")),
                c0 + "readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive");
  p = {{"httpGet", {{"port", 8000}, {"scheme", "FTP"}}}};
  expectInvalid(client->post(kPods, podWith(p, "readinessProbe")),
                c0 + "readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"");
  p = {{"tcpSocket", {{"port", 8000}}}, {"terminationGracePeriodSeconds", 10}};
  expectInvalid(client->post(kPods, podWith(p, "readinessProbe")),
                c0 + "readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes");
  // what defaulting fills in is valid: a zero successThreshold becomes 1, an empty httpGet path "/"
  p = gateProbe();
  p["successThreshold"] = 0;
  EXPECT_EQ(client->post(kPods, podWith(p)).status, 201);
  ASSERT_EQ(client->del(kPods + "/p").status, 200);
  EXPECT_EQ(client->post(kPods, podWith({{"httpGet", {{"port", "http"}}}}, "readinessProbe")).status, 201);
  ASSERT_EQ(client->del(kPods + "/p").status, 200);
  EXPECT_EQ(client->post(kPods, podWith(gateProbe())).status, 201);
}

TEST_F(SandboxTest, InitContainersWithoutRestartAlwaysCarryNoProbe) {
  Json pod = podWith(gateProbe(), "readinessProbe");
  Json init = {{"name", "wait"}, {"image", "phase:v1"}, {"startupProbe", gateProbe()}};
  pod["spec"]["initContainers"] = {init};
  pod["spec"]["containers"][0].erase("readinessProbe");
  expectInvalid(client->post(kPods, pod),
                "spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without "
                "restartPolicy=Always");
  // a sidecar (restartPolicy Always) may carry one, validated as a container's
  pod["spec"]["initContainers"][0]["restartPolicy"] = "Always";
  pod["spec"]["initContainers"][0]["startupProbe"]["successThreshold"] = 3;
  expectInvalid(client->post(kPods, pod), "spec.initContainers[0].startupProbe.successThreshold: Invalid value: 3: must be 1");
  pod["spec"]["initContainers"][0]["startupProbe"]["successThreshold"] = 1;
  EXPECT_EQ(client->post(kPods, pod).status, 201);
}

}  // namespace
}  // namespace pmo::sandbox::testing
