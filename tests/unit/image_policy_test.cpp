// The admin's image policy (run --allowed-images): which images a PhaseMaintenance may make
// the operator run, compared as the runtime resolves them and only at a boundary.
#include <gtest/gtest.h>

#include "maintenance/spec/image_policy.hpp"

namespace pmo::maintenance {
namespace {

ImagePolicy policy(std::vector<std::string> prefixes) { return ImagePolicy{std::move(prefixes)}; }

TEST(ImagePolicy, EmptyPolicyAllowsEveryImage) {
  EXPECT_TRUE(policy({}).allows("evil.example/miner:latest"));
  PhaseMaintenanceSpec s;
  s.version = "v2.73.2";
  s.operatorImage = "evil.example/x:1";
  EXPECT_TRUE(checkImagePolicy(s, policy({})).empty());
}

TEST(ImagePolicy, RegistryOrNamespacePrefixAdmitsEverythingBelowItAndNoLookAlike) {
  const auto p = policy({"ghcr.io/acme/"});
  EXPECT_TRUE(p.allows("ghcr.io/acme/backend:v2.73.2"));
  EXPECT_TRUE(p.allows("ghcr.io/acme/tools/pg:15@sha256:0123"));
  EXPECT_FALSE(p.allows("ghcr.io/acme-evil/backend:v2.73.2"));
  EXPECT_FALSE(p.allows("ghcr.io/acmebackend:v1"));
  EXPECT_FALSE(p.allows("docker.io/acme/backend:v1"));
  EXPECT_TRUE(policy({"registry.local:5000/"}).allows("registry.local:5000/phase/backend:v1"));
  EXPECT_FALSE(policy({"registry.local:5000/"}).allows("registry.local:5001/phase/backend:v1"));
}

TEST(ImagePolicy, DockerHubNamesAreComparedAsTheRuntimeResolvesThem) {
  EXPECT_TRUE(policy({"phasehq/"}).allows("docker.io/phasehq/backend:v2.73.2"));
  EXPECT_TRUE(policy({"docker.io/phasehq/"}).allows("phasehq/backend:v2.73.2"));
  EXPECT_TRUE(policy({"docker.io/library/postgres"}).allows("postgres:15"));
  EXPECT_TRUE(policy({"postgres"}).allows("index.docker.io/library/postgres:16"));
  EXPECT_TRUE(policy({"docker.io/"}).allows("postgres:15"));
  EXPECT_FALSE(policy({"phasehq/"}).allows("ghcr.io/phasehq/backend:v1"));
}

TEST(ImagePolicy, RepositoryPrefixAdmitsItsTagsAndDigestsOnly) {
  const auto p = policy({"docker.io/phasehq/backend"});
  EXPECT_TRUE(p.allows("docker.io/phasehq/backend"));
  EXPECT_TRUE(p.allows("docker.io/phasehq/backend:v2.73.2"));
  EXPECT_TRUE(p.allows("phasehq/backend@sha256:0123"));
  EXPECT_FALSE(p.allows("docker.io/phasehq/backend-evil:v2.73.2"));
  EXPECT_FALSE(p.allows("docker.io/phasehq/backend/evil:v2.73.2"));
  EXPECT_FALSE(p.allows("docker.io/phasehq/frontend:v2.73.2"));
}

TEST(ImagePolicy, TagPrefixAdmitsThatTagOnly) {
  const auto p = policy({"postgres:15"});
  EXPECT_TRUE(p.allows("postgres:15"));
  EXPECT_TRUE(p.allows("docker.io/library/postgres:15@sha256:0123"));
  EXPECT_FALSE(p.allows("postgres:15-evil"));
  EXPECT_FALSE(p.allows("postgres:16"));
  EXPECT_FALSE(p.allows("postgres"));
}

TEST(ImagePolicy, PrefixesWithWhitespaceOrEmptyAreRefused) {
  EXPECT_NE(invalidImagePrefix(""), "");
  EXPECT_NE(invalidImagePrefix("ghcr.io/ acme/"), "");
  EXPECT_EQ(invalidImagePrefix("ghcr.io/acme/"), "");
}

PhaseMaintenanceSpec everyImage() {
  PhaseMaintenanceSpec s;
  s.version = "v2.73.2";
  s.backendImage = "evil.example/backend";
  s.operatorImage = "evil.example/operator:1";
  s.migrations.backup.enabled = true;
  s.migrations.backup.image = "evil.example/pg:15";
  return s;
}

TEST(ImagePolicy, EveryImageTheOperatorWouldRunIsCheckedAndNamedWithTheFix) {
  const auto errors = checkImagePolicy(everyImage(), policy({"docker.io/phasehq/", "postgres"}));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "spec.backendImage");
  EXPECT_EQ(errors[0].value, "evil.example/backend:v2.73.2") << "Managed mode runs backendImage:version";
  EXPECT_EQ(errors[1].field, "spec.operatorImage");
  EXPECT_EQ(errors[2].field, "spec.migrations.backup.image");
  const std::string text = errors[0].toString();
  EXPECT_NE(text.find("spec.backendImage: Invalid value: \"evil.example/backend:v2.73.2\""), std::string::npos) << text;
  EXPECT_NE(text.find("docker.io/phasehq/, postgres"), std::string::npos) << text;
  EXPECT_NE(text.find("--allowed-images"), std::string::npos) << text;
}

TEST(ImagePolicy, ImagesTheOperatorWouldNotRunAreNotChecked) {
  PhaseMaintenanceSpec s;  // Follow mode, no operatorImage, backups off
  s.migrations.backup.image = "evil.example/pg:15";
  EXPECT_TRUE(checkImagePolicy(s, policy({"docker.io/phasehq/"})).empty());
}

TEST(ImagePolicy, TheDefaultsPassAPolicyThatListsThem) {
  PhaseMaintenanceSpec s;
  s.version = "v2.73.2";
  s.migrations.backup.enabled = true;
  EXPECT_TRUE(checkImagePolicy(s, policy({"docker.io/phasehq/backend", "postgres:15"})).empty());
}

}  // namespace
}  // namespace pmo::maintenance
