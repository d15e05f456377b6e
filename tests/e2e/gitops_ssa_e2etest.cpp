// What a real cluster does when a GitOps tool owns Phase's backend Deployment by server-side
// apply (Flux always, Argo CD with ServerSideApply=true) and the operator, in Managed mode,
// JSON-patches its image: the operator becomes the image's manager, so the tool's next apply
// of the old image is a conflict naming the operator, and a forced apply (Flux) takes the
// image back, which the operator then patches again. README "GitOps users" says what to
// configure instead.
#include <fstream>

#include <gtest/gtest.h>

#include "common/yaml_json.hpp"

#include "e2e/operator_harness.hpp"
#include "sandbox/test_client.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

const std::string kBackend = "/apis/apps/v1/namespaces/phase/deployments/phase-console-backend";

// The backend Deployment as it stands in Git: the demo instance's manifest.
Json gitManifest() {
  std::ifstream in(std::string(PMO_SOURCE_DIR) + "/deploy/examples/demo/phase-instance.yaml");
  for (const Json& doc : yaml::loadAll(in))
    if (doc.value("kind", "") == "Deployment" && doc["metadata"].value("name", "") == "phase-console-backend") return doc;
  throw std::runtime_error("deploy/examples/demo/phase-instance.yaml has no phase-console-backend Deployment");
}

sandbox::testing::Reply applyAs(sandbox::testing::Client& c, const std::string& manager, const Json& config, bool force) {
  return c.request("PATCH", kBackend + "?fieldManager=" + manager + (force ? "&force=true" : ""), config.dump(),
                   "application/apply-patch+yaml");
}

TEST(GitOpsE2E, AnApplyOfTheImageTheOperatorPatchedConflictsAndAForcedOneIsFoughtOver) {
  OperatorHarness h;
  h.installCrdAndPhase();
  sandbox::testing::Client flux(h.sandbox());
  const Json manifest = gitManifest();
  auto first = applyAs(flux, "kustomize-controller", manifest, true);
  ASSERT_EQ(first.status, 200) << first.body;

  h.applyPhaseMaintenance({{"version", "v2.73.2"}, {"database", demoDatabase()}});
  h.startOperator();
  h.waitForPm(
      [](const Json& p) {
        return p.value("/status/currentVersion"_json_pointer, std::string()) == "v2.73.2" &&
               conditionStatus(p, "Ready") == "True";
      },
      90s, "the managed upgrade to v2.73.2");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-backend"), "backend")), "v2.73.2");

  // Argo CD's default: no force. The apply of Git's image is refused, naming the operator.
  auto conflict = applyAs(flux, "argocd-controller", manifest, false);
  ASSERT_EQ(conflict.status, 409) << conflict.body;
  const std::string message = conflict.json().value("message", "");
  EXPECT_NE(message.find("conflict with \"phase-maintenance-operator\""), std::string::npos) << message;
  EXPECT_NE(message.find(".spec.template.spec.containers[name=\"backend\"].image"), std::string::npos) << message;

  // Flux forces: Git's image is back, and the operator patches its version over it again.
  auto forced = applyAs(flux, "kustomize-controller", manifest, true);
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_TRUE(eventually(
      [&] { return imageTag(containerImage(h.deployment("phase-console-backend"), "backend")) == "v2.73.2"; }, 30s))
      << "the operator takes the image back after a forced apply: the two fight at every sync";
}

}  // namespace
}  // namespace pmo::testing
