// validateSpec: one test per rejection. Each starts from a valid spec, breaks one thing,
// and checks that exactly that field is rejected, with its value and a fix in the message.
#include <gtest/gtest.h>

#include "maintenance/spec/spec.hpp"
#include "maintenance/spec/schema.hpp"

using namespace pmo::maintenance;

namespace {

PhaseMaintenanceSpec valid() {
  PhaseMaintenanceSpec s;
  s.version = "v2.73.2";
  s.database.host = "phase-console-postgres";
  s.database.name = "phase_db";
  s.database.user = "phase_api";
  s.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  s.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  s.auditLogs.purge.push_back({"SpaceX", 90, "", "0 3 * * *"});
  s.auditLogs.vacuum = VacuumSpec{"30 3 * * 0", false, "5s", 0, ""};
  s.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-1", {}, "2h"};
  s.recovery.disableSSOEnforcement = DisableSSORequest{"s-1", {"SpaceX"}, false};
  return s;
}

std::string all(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.toString() + "\n";
  return out;
}

// Exactly one error, on `field`, whose text contains `text`.
void expectRejected(const PhaseMaintenanceSpec& s, const std::string& field, const std::string& text) {
  auto errors = validateSpec(s);
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_EQ(errors[0].field, field) << all(errors);
  EXPECT_NE(errors[0].toString().find(text), std::string::npos) << all(errors);
}

}  // namespace

TEST(SpecValidation, AcceptsValidSpec) {
  auto errors = validateSpec(valid());
  EXPECT_TRUE(errors.empty()) << all(errors);
}

TEST(SpecValidation, AcceptsFollowModeAndLatest) {
  auto s = valid();
  s.version = "";
  EXPECT_TRUE(validateSpec(s).empty());
  s.version = "latest";
  EXPECT_TRUE(validateSpec(s).empty());
}

TEST(SpecValidation, RejectsBadVersion) {
  auto s = valid();
  s.version = "2.73";
  expectRejected(s, "spec.version", "spec.version: Invalid value: \"2.73\": \"2.73\" is not a Phase version");
}

TEST(SpecValidation, RejectsBackendImageWithTag) {
  auto s = valid();
  s.backendImage = "docker.io/phasehq/backend:v2.73.2";
  expectRejected(s, "spec.backendImage", "the tag comes from spec.version");
}

TEST(SpecValidation, RejectsEmptyBackendImage) {
  auto s = valid();
  s.backendImage = "";
  expectRejected(s, "spec.backendImage", "Required value");
}

TEST(SpecValidation, RejectsBadOperatorImage) {
  auto s = valid();
  s.operatorImage = "Not An Image";
  expectRejected(s, "spec.operatorImage", "Invalid value: \"Not An Image\"");
}

TEST(SpecValidation, RejectsDeploymentNameThatIsNotDns1123) {
  auto s = valid();
  s.backend.deployment = "Phase_Backend";
  expectRejected(s, "spec.workloads.backend.deployment", "DNS-1123 subdomain");
}

TEST(SpecValidation, RejectsContainerNameThatIsNotDns1123Label) {
  auto s = valid();
  s.worker.container = "worker.main";
  expectRejected(s, "spec.workloads.worker.container", "DNS-1123 label");
}

TEST(SpecValidation, RejectsTooLongContainerName) {
  auto s = valid();
  s.backend.container = std::string(64, 'a');
  expectRejected(s, "spec.workloads.backend.container", "Too long: may not be more than 63 characters");
}

TEST(SpecValidation, RejectsSameDeploymentForBackendAndWorker) {
  auto s = valid();
  s.worker.deployment = s.backend.deployment;
  expectRejected(s, "spec.workloads.worker.deployment", schema::kRuleDistinctWorkloads);
}

TEST(SpecValidation, RejectsMissingDatabaseHost) {
  auto s = valid();
  s.database.host = "";
  expectRejected(s, "spec.database.host", "spec.database.host: Required value: set it to the PostgreSQL host");
}

TEST(SpecValidation, RejectsHostWithSpaces) {
  auto s = valid();
  s.database.host = "db host";
  expectRejected(s, "spec.database.host", "Invalid value: \"db host\"");
}

TEST(SpecValidation, RejectsPortZero) {
  auto s = valid();
  s.database.port = 0;
  expectRejected(s, "spec.database.port", "Invalid value: \"0\": must be greater than or equal to 1");
}

TEST(SpecValidation, RejectsPortAbove65535) {
  auto s = valid();
  s.database.port = 65536;
  expectRejected(s, "spec.database.port", "must be less than or equal to 65535");
}

TEST(SpecValidation, RejectsMissingDatabaseName) {
  auto s = valid();
  s.database.name = "";
  expectRejected(s, "spec.database.name", "Required value");
}

TEST(SpecValidation, RejectsDatabaseUserLongerThanPostgresAllows) {
  auto s = valid();
  s.database.user = std::string(64, 'u');
  expectRejected(s, "spec.database.user", "may not be more than 63 characters");
}

TEST(SpecValidation, RejectsMissingPasswordSecretName) {
  auto s = valid();
  s.database.passwordSecretRef.name = "";
  expectRejected(s, "spec.database.passwordSecretRef.name", "Required value");
}

TEST(SpecValidation, RejectsBadPasswordSecretKey) {
  auto s = valid();
  s.database.passwordSecretRef.key = "DATABASE PASSWORD";
  expectRejected(s, "spec.database.passwordSecretRef.key", "the key in that Secret");
}

TEST(SpecValidation, RejectsUnknownSslMode) {
  auto s = valid();
  s.database.sslMode = "on";
  expectRejected(s, "spec.database.sslMode",
                 "Unsupported value: \"on\": supported values: \"disable\", \"allow\", \"prefer\", "
                 "\"require\", \"verify-ca\", \"verify-full\"");
}

TEST(SpecValidation, RejectsBackupWithoutClaim) {
  auto s = valid();
  s.migrations.backup.persistentVolumeClaim = "";
  expectRejected(s, "spec.migrations.backup.persistentVolumeClaim", schema::kRuleBackupNeedsClaim);
}

TEST(SpecValidation, AcceptsDisabledBackupWithoutClaim) {
  auto s = valid();
  s.migrations.backup.enabled = false;
  s.migrations.backup.persistentVolumeClaim = "";
  EXPECT_TRUE(validateSpec(s).empty());
}

TEST(SpecValidation, RejectsBadClaimName) {
  auto s = valid();
  s.migrations.backup.persistentVolumeClaim = "-backups";
  expectRejected(s, "spec.migrations.backup.persistentVolumeClaim", "PersistentVolumeClaim");
}

TEST(SpecValidation, RejectsKeepZero) {
  auto s = valid();
  s.migrations.backup.keep = 0;
  expectRejected(s, "spec.migrations.backup.keep", "must be greater than or equal to 1");
}

TEST(SpecValidation, RejectsBadBackupImage) {
  auto s = valid();
  s.migrations.backup.image = "postgres:15 --rm";
  expectRejected(s, "spec.migrations.backup.image", "pg_dump");
}

TEST(SpecValidation, RejectsNegativeBackoffLimit) {
  auto s = valid();
  s.migrations.backoffLimit = -1;
  expectRejected(s, "spec.migrations.backoffLimit", "must be greater than or equal to 0");
}

TEST(SpecValidation, RejectsZeroActiveDeadlineSeconds) {
  auto s = valid();
  s.migrations.activeDeadlineSeconds = 0;
  expectRejected(s, "spec.migrations.activeDeadlineSeconds", "must be greater than or equal to 1");
}

TEST(SpecValidation, RejectsNegativeRetainDays) {
  auto s = valid();
  s.auditLogs.purge[0].retainDays = -1;
  expectRejected(s, "spec.auditLogs.purge[0].retainDays",
                 "spec.auditLogs.purge[0].retainDays: Invalid value: \"-1\": must be greater than or "
                 "equal to 0; use 0 to delete every read event");
}

TEST(SpecValidation, AcceptsRetainDaysZero) {
  auto s = valid();
  s.auditLogs.purge[0].retainDays = 0;
  EXPECT_TRUE(validateSpec(s).empty());
}

TEST(SpecValidation, RejectsEmptyOrganisation) {
  auto s = valid();
  s.auditLogs.purge[0].organisation = "";
  expectRejected(s, "spec.auditLogs.purge[0].organisation", "Required value");
}

TEST(SpecValidation, RejectsOrganisationWithTrailingSpace) {
  auto s = valid();
  s.auditLogs.purge[0].organisation = "SpaceX ";
  expectRejected(s, "spec.auditLogs.purge[0].organisation", "without leading or trailing spaces");
}

TEST(SpecValidation, AcceptsOrganisationWithInnerSpacesAndUnicode) {
  auto s = valid();
  s.auditLogs.purge[0].organisation = "Acme Ünïcode; 'Org'";
  EXPECT_TRUE(validateSpec(s).empty()) << all(validateSpec(s));
}

TEST(SpecValidation, RejectsOrganisationLongerThanPhaseAllows) {
  auto s = valid();
  s.auditLogs.purge[0].organisation = std::string(65, 'o');
  expectRejected(s, "spec.auditLogs.purge[0].organisation", "Too long");
}

TEST(SpecValidation, RejectsBadAppId) {
  auto s = valid();
  s.auditLogs.purge[0].appId = "app id";
  expectRejected(s, "spec.auditLogs.purge[0].appId", "the id of one app");
}

TEST(SpecValidation, RejectsBadPurgeSchedule) {
  auto s = valid();
  s.auditLogs.purge[0].schedule = "0 25 * * *";
  expectRejected(s, "spec.auditLogs.purge[0].schedule", "hour field: \"25\" is outside 0-23");
}

TEST(SpecValidation, RejectsEmptyPurgeSchedule) {
  auto s = valid();
  s.auditLogs.purge[0].schedule = "";
  expectRejected(s, "spec.auditLogs.purge[0].schedule", "Required value");
}

TEST(SpecValidation, RejectsDuplicatePurgeRule) {
  auto s = valid();
  s.auditLogs.purge.push_back({"SpaceX", 7, "", "0 4 * * *"});
  expectRejected(s, "spec.auditLogs.purge[1]", schema::kRuleUniquePurgeRules);
}

TEST(SpecValidation, AcceptsSameOrganisationForDifferentApps) {
  auto s = valid();
  s.auditLogs.purge.push_back({"SpaceX", 7, "app-1", "0 4 * * *"});
  EXPECT_TRUE(validateSpec(s).empty());
}

TEST(SpecValidation, RejectsTooManyPurgeRules) {
  auto s = valid();
  s.auditLogs.purge.clear();
  for (int i = 0; i < 21; ++i) s.auditLogs.purge.push_back({"Org" + std::to_string(i), 30, "", "0 3 * * *"});
  expectRejected(s, "spec.auditLogs.purge", "Too many: 21: must have at most 20 items");
}

TEST(SpecValidation, RejectsBadVacuumSchedule) {
  auto s = valid();
  s.auditLogs.vacuum->schedule = "every sunday";
  expectRejected(s, "spec.auditLogs.vacuum.schedule", "not a cron schedule");
}

TEST(SpecValidation, RejectsZeroLockTimeout) {
  auto s = valid();
  s.auditLogs.vacuum->lockTimeout = "0s";
  expectRejected(s, "spec.auditLogs.vacuum.lockTimeout", schema::kRuleLockTimeoutPositive);
}

TEST(SpecValidation, RejectsLockTimeoutWithoutUnit) {
  auto s = valid();
  s.auditLogs.vacuum->lockTimeout = "5";
  expectRejected(s, "spec.auditLogs.vacuum.lockTimeout", "units ns, us, ms, s, m, h");
}

TEST(SpecValidation, VacuumMethodIsAnEnumThatMustNotContradictFull) {
  auto s = valid();
  s.auditLogs.vacuum->method = "repack";
  expectRejected(s, "spec.auditLogs.vacuum.method", "supported values: \"Plain\", \"Full\", \"Repack\"");
  s.auditLogs.vacuum->method = "Plain";
  s.auditLogs.vacuum->full = true;
  expectRejected(s, "spec.auditLogs.vacuum.method", schema::kRuleVacuumMethodMatchesFull);
  for (const char* ok : {"Full", "Repack"}) {
    s.auditLogs.vacuum->method = ok;
    EXPECT_TRUE(validateSpec(s).empty()) << ok;
  }
  s.auditLogs.vacuum->full = false;
  s.auditLogs.vacuum->method = "";
  EXPECT_EQ(s.auditLogs.vacuum->effectiveMethod(), "Plain");
  s.auditLogs.vacuum->full = true;
  EXPECT_EQ(s.auditLogs.vacuum->effectiveMethod(), "Full") << "full alone keeps its meaning";
  s.auditLogs.vacuum->method = "Repack";
  EXPECT_EQ(s.auditLogs.vacuum->effectiveMethod(), "Repack");
}

TEST(SpecValidation, RejectsNegativeMinDeadTuples) {
  auto s = valid();
  s.auditLogs.vacuum->minDeadTuples = -5;
  expectRejected(s, "spec.auditLogs.vacuum.minDeadTuples", "must be greater than or equal to 0");
}

TEST(SpecValidation, RejectsBadTimeZone) {
  auto s = valid();
  s.auditLogs.timeZone = "Europe Berlin";
  expectRejected(s, "spec.auditLogs.timeZone", "IANA time zone");
}

TEST(SpecValidation, RejectsStartingDeadlineBelowControllerPeriod) {
  auto s = valid();
  s.auditLogs.startingDeadlineSeconds = 5;
  expectRejected(s, "spec.auditLogs.startingDeadlineSeconds", "only checks every 10 seconds");
}

TEST(SpecValidation, RejectsNegativeHistoryLimit) {
  auto s = valid();
  s.auditLogs.failedJobsHistoryLimit = -1;
  expectRejected(s, "spec.auditLogs.failedJobsHistoryLimit", "must be greater than or equal to 0");
}

TEST(SpecValidation, RejectsBadResourceQuantity) {
  auto s = valid();
  s.auditLogs.resources["limits"]["memory"] = "256 MB";
  expectRejected(s, "spec.auditLogs.resources.limits.memory", "must be a quantity");
}

TEST(SpecValidation, RejectsUnknownResourcesSection) {
  auto s = valid();
  s.auditLogs.resources["claims"] = nlohmann::json::array();
  expectRejected(s, "spec.auditLogs.resources.claims", "only requests and limits");
}

TEST(SpecValidation, RejectsBadRequestId) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->requestId = "lockout #1";
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.requestId", "a new token");
}

TEST(SpecValidation, RejectsDuplicateOrganisationInRecovery) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->organisations = {"SpaceX", "SpaceX"};
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.organisations[1]", "Duplicate value: \"SpaceX\"");
}

TEST(SpecValidation, RejectsEmptyOrganisationInRecovery) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->organisations = {""};
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.organisations[0]", "Required value");
}

TEST(SpecValidation, RejectsTooManyRecoveryOrganisations) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->organisations.clear();
  for (int i = 0; i < 101; ++i) s.recovery.resetGlobalNetworkPolicies->organisations.push_back("O" + std::to_string(i));
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.organisations", "at most 100 items");
}

TEST(SpecValidation, RejectsZeroRestoreAfter) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->restoreAfter = "0m";
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.restoreAfter", schema::kRuleRestoreAfterPositive);
}

TEST(SpecValidation, RejectsRestoreAfterInDays) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->restoreAfter = "1d";
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.restoreAfter", "a duration such as");
}

TEST(SpecValidation, RejectsOverflowingRestoreAfter) {
  auto s = valid();
  s.recovery.resetGlobalNetworkPolicies->restoreAfter = "99999999999h";
  expectRejected(s, "spec.recovery.resetGlobalNetworkPolicies.restoreAfter", "too long a duration");
}

TEST(SpecValidation, RejectsSsoRequestWithoutOrganisations) {
  auto s = valid();
  s.recovery.disableSSOEnforcement->organisations.clear();
  expectRejected(s, "spec.recovery.disableSSOEnforcement.organisations", schema::kRuleSsoNeedsOrganisations);
}

TEST(SpecValidation, AcceptsSsoWithoutRequestAndOrganisations) {
  auto s = valid();
  s.recovery.disableSSOEnforcement = DisableSSORequest{};
  EXPECT_TRUE(validateSpec(s).empty());
}

TEST(SpecValidation, ReportsEveryProblemAtOnceInSpecOrder) {
  auto s = valid();
  s.version = "x";
  s.database.port = -1;
  s.auditLogs.purge[0].retainDays = -3;
  auto errors = validateSpec(s);
  ASSERT_EQ(errors.size(), 3u) << all(errors);
  EXPECT_EQ(errors[0].field, "spec.version");
  EXPECT_EQ(errors[1].field, "spec.database.port");
  EXPECT_EQ(errors[2].field, "spec.auditLogs.purge[0].retainDays");
}

TEST(SpecValidation, DurationParserMatchesGo) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(schema::parseDuration("1h30m"), nanoseconds(5400000000000LL));
  EXPECT_EQ(schema::parseDuration("1.5h"), nanoseconds(5400000000000LL));
  EXPECT_EQ(schema::parseDuration("250ms"), nanoseconds(250000000LL));
  EXPECT_EQ(schema::parseDuration("10us"), nanoseconds(10000LL));
  EXPECT_FALSE(schema::parseDuration("-5s").has_value());
  EXPECT_FALSE(schema::parseDuration("5").has_value());
  EXPECT_FALSE(schema::parseDuration(".5s").has_value());
  EXPECT_FALSE(schema::parseDuration("").has_value());
}
