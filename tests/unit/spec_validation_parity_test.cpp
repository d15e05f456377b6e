// validateSpec judges as kube-apiserver does where the two could drift: lengths in
// characters (maxLength counts runes), patterns with RE2's meaning of \s, \S and '.', and
// spec.auditLogs.timeZone against the tz database as CronJob validation requires.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "maintenance/spec/spec.hpp"
#include "maintenance/spec/schema.hpp"
#include "unit/spec_test_yaml.hpp"

using namespace pmo::maintenance;

namespace {

PhaseMaintenanceSpec valid() {
  PhaseMaintenanceSpec s;
  s.database.host = "phase-console-postgres";
  s.database.name = "phase_db";
  s.database.user = "phase_api";
  s.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  s.auditLogs.purge.push_back({"SpaceX", 90, "", "0 3 * * *"});
  return s;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string all(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.toString() + "\n";
  return out;
}

std::vector<FieldError> withOrganisation(const std::string& name) {
  auto s = valid();
  s.auditLogs.purge[0].organisation = name;
  return validateSpec(s);
}

std::vector<FieldError> withTimeZone(const std::string& zone) {
  auto s = valid();
  s.auditLogs.timeZone = zone;
  return validateSpec(s);
}

}  // namespace

TEST(SpecValidationParity, CountsLengthsInCharactersAsKubernetes) {
  // maxLength 64: 40 and 64 "Ü" (80 and 128 bytes) pass on a real cluster, 65 do not
  EXPECT_TRUE(withOrganisation(repeat("Ü", 40)).empty()) << all(withOrganisation(repeat("Ü", 40)));
  EXPECT_TRUE(withOrganisation(repeat("Ü", 64)).empty());
  auto errors = withOrganisation(repeat("Ü", 65));
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_EQ(errors[0].field, "spec.auditLogs.purge[0].organisation");
  EXPECT_NE(errors[0].toString().find("Too long: may not be more than 64 characters"), std::string::npos)
      << all(errors);
  EXPECT_EQ(schema::characterCount("Ü€😀a"), 4u);
}

TEST(SpecValidationParity, OrganisationPatternHasRe2Meaning) {
  EXPECT_TRUE(withOrganisation("Über Straße AG").empty());
  EXPECT_TRUE(withOrganisation("\va").empty());   // RE2's \S includes a vertical tab
  EXPECT_TRUE(withOrganisation("a\rb").empty());  // RE2's '.' matches \r
  EXPECT_EQ(withOrganisation("SpaceX ").size(), 1u);
  EXPECT_EQ(withOrganisation("a\nb").size(), 1u);  // '.' never matches \n
}

TEST(SpecValidationParity, AcceptsTimeZonesOfTheTzDatabase) {
  for (const char* zone : {"", "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"})
    EXPECT_TRUE(withTimeZone(zone).empty()) << zone << ": " << all(withTimeZone(zone));
}

TEST(SpecValidationParity, RefusesTimeZoneOutsideTheTzDatabase) {
  auto errors = withTimeZone("Mars/Olympus");
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_EQ(errors[0].field, "spec.auditLogs.timeZone");
  EXPECT_EQ(errors[0].toString(),
            "spec.auditLogs.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus; use empty "
            "(the cluster's zone) or an IANA time zone name such as Europe/Berlin");
  for (const char* zone : {"Europe", "Europe/Berlinn", "zone.tab", "ThisNameIsFarTooLong/Berlin"})
    EXPECT_EQ(withTimeZone(zone).size(), 1u) << zone;
}

TEST(SpecValidationParity, RefusesLocalTimeZone) {
  for (const char* zone : {"Local", "local"}) {
    auto errors = withTimeZone(zone);
    ASSERT_EQ(errors.size(), 1u) << all(errors);
    EXPECT_NE(errors[0].toString().find("must be an explicit time zone"), std::string::npos) << all(errors);
  }
}

TEST(SpecValidationParity, MissingTzDatabaseIsNamedInTheError) {
  EXPECT_NE(schema::timeZoneProblem("Europe/Berlin", {"/nonexistent/zoneinfo"}).find("install the tzdata package"),
            std::string::npos);
  EXPECT_EQ(schema::timeZoneProblem("UTC", {"/nonexistent/zoneinfo"}), "");
}

TEST(SpecValidationParity, OperatorImageInstallsTzdata) {
  std::ifstream in(pmo::testing::sourcePath("Dockerfile"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string dockerfile = text.str();
  const auto runtime = dockerfile.find("FROM debian:12-slim");
  ASSERT_NE(runtime, std::string::npos);
  EXPECT_NE(dockerfile.find(" tzdata ", runtime), std::string::npos) << "the runtime stage must install tzdata";
}
