// parseSpec: CRD defaults, every field read, type errors named by path, never a throw.
#include <gtest/gtest.h>

#include "maintenance/spec/spec.hpp"

using nlohmann::json;
using namespace pmo::maintenance;

namespace {

json minimal() {
  return json::parse(R"({
    "apiVersion": "maintenance.phase.dev/v1alpha1", "kind": "PhaseMaintenance",
    "metadata": {"name": "phase", "namespace": "phase"},
    "spec": {"database": {"host": "db", "name": "phase_db", "user": "phase_api",
                          "passwordSecretRef": {"name": "phase-console-secret"}}}})");
}

std::vector<std::string> messages(const SpecParseResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.toString());
  return out;
}

std::string joined(const SpecParseResult& r) {
  std::string out;
  for (const auto& m : messages(r)) out += m + "\n";
  return out;
}

}  // namespace

TEST(SpecParse, AppliesCrdDefaultsToMinimalSpec) {
  auto r = parseSpec(minimal());
  ASSERT_TRUE(r.ok()) << joined(r);
  const auto& s = r.spec;
  EXPECT_EQ(s.version, "");
  EXPECT_FALSE(s.managed());
  EXPECT_EQ(s.backendImage, "docker.io/phasehq/backend");
  EXPECT_EQ(s.operatorImage, "");
  EXPECT_EQ(s.backend.deployment, "phase-console-backend");
  EXPECT_EQ(s.backend.container, "backend");
  EXPECT_EQ(s.worker.deployment, "phase-console-worker");
  EXPECT_EQ(s.worker.container, "worker");
  EXPECT_EQ(s.database.port, 5432);
  EXPECT_EQ(s.database.passwordSecretRef.key, "DATABASE_PASSWORD");
  EXPECT_EQ(s.database.sslMode, "prefer");
  EXPECT_EQ(s.migrations.gate, MigrationGate::HoldRollout);
  EXPECT_FALSE(s.migrations.backup.enabled);
  EXPECT_EQ(s.migrations.backup.keep, 5);
  EXPECT_EQ(s.migrations.backup.image, "postgres:15");
  EXPECT_FALSE(s.migrations.allowDowngrade);
  EXPECT_TRUE(s.migrations.podGate) << "the pod gate is on unless turned off";
  EXPECT_EQ(s.migrations.backoffLimit, 2);
  EXPECT_EQ(s.migrations.activeDeadlineSeconds, 1800);
  EXPECT_TRUE(s.auditLogs.purge.empty());
  EXPECT_FALSE(s.auditLogs.vacuum.has_value());
  EXPECT_EQ(s.auditLogs.timeZone, "");
  EXPECT_EQ(s.auditLogs.startingDeadlineSeconds, 300);
  EXPECT_EQ(s.auditLogs.successfulJobsHistoryLimit, 3);
  EXPECT_EQ(s.auditLogs.failedJobsHistoryLimit, 1);
  EXPECT_EQ(s.auditLogs.resources["requests"]["cpu"], "50m");
  EXPECT_EQ(s.auditLogs.resources["limits"]["memory"], "256Mi");
  EXPECT_FALSE(s.recovery.resetGlobalNetworkPolicies.has_value());
  EXPECT_FALSE(s.recovery.disableSSOEnforcement.has_value());
  EXPECT_FALSE(s.suspend);
}

TEST(SpecParse, DefaultsInsideListItemsAndOptionalObjects) {
  json o = minimal();
  o["spec"]["auditLogs"] = {{"purge", {{{"organisation", "SpaceX"}}}}, {"vacuum", json::object()}};
  o["spec"]["recovery"] = {{"resetGlobalNetworkPolicies", json::object()},
                           {"disableSSOEnforcement", json::object()}};
  auto r = parseSpec(o);
  ASSERT_TRUE(r.ok()) << joined(r);
  ASSERT_EQ(r.spec.auditLogs.purge.size(), 1u);
  EXPECT_EQ(r.spec.auditLogs.purge[0].retainDays, 30);
  EXPECT_EQ(r.spec.auditLogs.purge[0].appId, "");
  EXPECT_EQ(r.spec.auditLogs.purge[0].schedule, "0 3 * * *");
  ASSERT_TRUE(r.spec.auditLogs.vacuum.has_value());
  EXPECT_EQ(r.spec.auditLogs.vacuum->schedule, "30 3 * * 0");
  EXPECT_FALSE(r.spec.auditLogs.vacuum->full);
  EXPECT_EQ(r.spec.auditLogs.vacuum->lockTimeout, "5s");
  EXPECT_EQ(r.spec.auditLogs.vacuum->minDeadTuples, 0);
  ASSERT_TRUE(r.spec.recovery.resetGlobalNetworkPolicies.has_value());
  EXPECT_EQ(r.spec.recovery.resetGlobalNetworkPolicies->requestId, "");
  EXPECT_TRUE(r.spec.recovery.resetGlobalNetworkPolicies->organisations.empty());
  EXPECT_EQ(r.spec.recovery.resetGlobalNetworkPolicies->restoreAfter, "");
  ASSERT_TRUE(r.spec.recovery.disableSSOEnforcement.has_value());
  EXPECT_FALSE(r.spec.recovery.disableSSOEnforcement->disableProviders);
}

TEST(SpecParse, ReadsEveryField) {
  json o = json::parse(R"({"spec": {
    "version": "v2.74.0-rc.1", "backendImage": "registry.example.com:5000/phase/backend",
    "operatorImage": "registry.example.com/pmo:v1",
    "workloads": {"backend": {"deployment": "be", "container": "api"},
                  "worker": {"deployment": "wk", "container": "rq"}},
    "database": {"host": "10.0.0.5", "port": 6432, "name": "n", "user": "u",
                 "passwordSecretRef": {"name": "s", "key": "PW"}, "sslMode": "verify-full"},
    "migrations": {"gate": "ScaleDown",
                   "backup": {"enabled": true, "persistentVolumeClaim": "pvc", "keep": 9, "image": "postgres:16"},
                   "allowDowngrade": true, "podGate": false, "backoffLimit": 0, "activeDeadlineSeconds": 60},
    "auditLogs": {"purge": [{"organisation": "Org A", "retainDays": 0, "appId": "app-1", "schedule": "@daily"}],
                  "vacuum": {"schedule": "0 4 * * 6", "full": true, "lockTimeout": "2s", "minDeadTuples": 1000},
                  "timeZone": "Europe/Berlin", "startingDeadlineSeconds": 60,
                  "successfulJobsHistoryLimit": 5, "failedJobsHistoryLimit": 2,
                  "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": 134217728}}},
    "recovery": {"resetGlobalNetworkPolicies": {"requestId": "r1", "organisations": ["Org A", "Org B"], "restoreAfter": "1h30m"},
                 "disableSSOEnforcement": {"requestId": "s1", "organisations": ["Org A"], "disableProviders": true}},
    "suspend": true}})");
  auto r = parseSpec(o);
  ASSERT_TRUE(r.ok()) << joined(r);
  const auto& s = r.spec;
  EXPECT_EQ(s.version, "v2.74.0-rc.1");
  EXPECT_TRUE(s.managed());
  EXPECT_EQ(s.backendImage, "registry.example.com:5000/phase/backend");
  EXPECT_EQ(s.operatorImage, "registry.example.com/pmo:v1");
  EXPECT_EQ(s.backend.deployment, "be");
  EXPECT_EQ(s.backend.container, "api");
  EXPECT_EQ(s.worker.deployment, "wk");
  EXPECT_EQ(s.worker.container, "rq");
  EXPECT_EQ(s.database.host, "10.0.0.5");
  EXPECT_EQ(s.database.port, 6432);
  EXPECT_EQ(s.database.name, "n");
  EXPECT_EQ(s.database.user, "u");
  EXPECT_EQ(s.database.passwordSecretRef.name, "s");
  EXPECT_EQ(s.database.passwordSecretRef.key, "PW");
  EXPECT_EQ(s.database.sslMode, "verify-full");
  EXPECT_EQ(s.migrations.gate, MigrationGate::ScaleDown);
  EXPECT_TRUE(s.migrations.backup.enabled);
  EXPECT_EQ(s.migrations.backup.persistentVolumeClaim, "pvc");
  EXPECT_EQ(s.migrations.backup.keep, 9);
  EXPECT_EQ(s.migrations.backup.image, "postgres:16");
  EXPECT_TRUE(s.migrations.allowDowngrade);
  EXPECT_FALSE(s.migrations.podGate);
  EXPECT_EQ(s.migrations.backoffLimit, 0);
  EXPECT_EQ(s.migrations.activeDeadlineSeconds, 60);
  ASSERT_EQ(s.auditLogs.purge.size(), 1u);
  EXPECT_EQ(s.auditLogs.purge[0].organisation, "Org A");
  EXPECT_EQ(s.auditLogs.purge[0].retainDays, 0);
  EXPECT_EQ(s.auditLogs.purge[0].appId, "app-1");
  EXPECT_EQ(s.auditLogs.purge[0].schedule, "@daily");
  ASSERT_TRUE(s.auditLogs.vacuum.has_value());
  EXPECT_EQ(s.auditLogs.vacuum->schedule, "0 4 * * 6");
  EXPECT_TRUE(s.auditLogs.vacuum->full);
  EXPECT_EQ(s.auditLogs.vacuum->lockTimeout, "2s");
  EXPECT_EQ(s.auditLogs.vacuum->minDeadTuples, 1000);
  EXPECT_EQ(s.auditLogs.timeZone, "Europe/Berlin");
  EXPECT_EQ(s.auditLogs.startingDeadlineSeconds, 60);
  EXPECT_EQ(s.auditLogs.successfulJobsHistoryLimit, 5);
  EXPECT_EQ(s.auditLogs.failedJobsHistoryLimit, 2);
  EXPECT_EQ(s.auditLogs.resources, json::parse(R"({"requests": {"cpu": "100m"}, "limits": {"memory": 134217728}})"));
  ASSERT_TRUE(s.recovery.resetGlobalNetworkPolicies.has_value());
  EXPECT_EQ(s.recovery.resetGlobalNetworkPolicies->requestId, "r1");
  EXPECT_EQ(s.recovery.resetGlobalNetworkPolicies->organisations, (std::vector<std::string>{"Org A", "Org B"}));
  EXPECT_EQ(s.recovery.resetGlobalNetworkPolicies->restoreAfter, "1h30m");
  ASSERT_TRUE(s.recovery.disableSSOEnforcement.has_value());
  EXPECT_EQ(s.recovery.disableSSOEnforcement->requestId, "s1");
  EXPECT_EQ(s.recovery.disableSSOEnforcement->organisations, (std::vector<std::string>{"Org A"}));
  EXPECT_TRUE(s.recovery.disableSSOEnforcement->disableProviders);
  EXPECT_TRUE(s.suspend);
}

TEST(SpecParse, TypeErrorNamesFieldPathAndValue) {
  json o = minimal();
  o["spec"]["database"]["port"] = "abc";
  auto r = parseSpec(o);
  ASSERT_EQ(messages(r), (std::vector<std::string>{
                             "spec.database.port: Invalid value: \"abc\": must be an integer"}));
  EXPECT_EQ(r.spec.database.port, 5432);  // the field keeps its default
}

TEST(SpecParse, TypeErrorsForEachKind) {
  json o = minimal();
  o["spec"]["version"] = 2;
  o["spec"]["suspend"] = "yes";
  o["spec"]["migrations"] = {{"backoffLimit", 1.5}, {"backup", "on"}};
  o["spec"]["auditLogs"] = {{"purge", {{"organisation", "x"}}}};  // an object, not a list
  o["spec"]["recovery"] = {{"resetGlobalNetworkPolicies", {{"organisations", "SpaceX"}}},
                           {"disableSSOEnforcement", {{"organisations", {"A", 7}}}}};
  auto r = parseSpec(o);
  std::string all = joined(r);
  EXPECT_NE(all.find("spec.version: Invalid value: \"2\": must be a string"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.suspend: Invalid value: \"yes\": must be a boolean"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.migrations.backoffLimit: Invalid value: \"1.5\": must be an integer"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.migrations.backup: Invalid value: \"on\": must be an object"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.auditLogs.purge: Invalid value: "), std::string::npos) << all;
  EXPECT_NE(all.find("spec.recovery.resetGlobalNetworkPolicies.organisations: Invalid value: \"SpaceX\": must be a list of strings"), std::string::npos) << all;
  EXPECT_NE(all.find("spec.recovery.disableSSOEnforcement.organisations[1]: Invalid value: \"7\": must be a string"), std::string::npos) << all;
  EXPECT_EQ(r.errors.size(), 7u) << all;
}

TEST(SpecParse, GateOutsideEnumIsInvalid) {
  json o = minimal();
  o["spec"]["migrations"] = {{"gate", "Pause"}};
  auto r = parseSpec(o);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].field, "spec.migrations.gate");
  EXPECT_NE(r.errors[0].message.find("HoldRollout"), std::string::npos);
  EXPECT_NE(r.errors[0].message.find("ScaleDown"), std::string::npos);
}

TEST(SpecParse, RejectsUnknownFieldsAsTheApiServerDoes) {
  json o = minimal();
  o["spec"]["auditLogs"] = {{"purge", {{{"organisation", "SpaceX"}, {"retaindays", 7}}}}};
  auto r = parseSpec(o);
  ASSERT_EQ(r.errors.size(), 1u) << joined(r);
  EXPECT_EQ(r.errors[0].field, "spec.auditLogs.purge[0].retaindays");
  EXPECT_EQ(r.errors[0].kind, FieldError::Kind::Unknown);
  EXPECT_NE(r.errors[0].toString().find("unknown field \"retaindays\""), std::string::npos);
  EXPECT_NE(r.errors[0].message.find("kubectl explain phasemaintenance.spec.auditLogs.purge)"), std::string::npos)
      << r.errors[0].message;
}

TEST(SpecParse, MissingSpecIsRequired) {
  auto r = parseSpec(json::parse(R"({"metadata": {"name": "x"}})"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].toString().rfind("spec: Required value: ", 0), 0u);
}

TEST(SpecParse, MissingDatabaseIsOneError) {
  auto r = parseSpec(json::parse(R"({"spec": {}})"));
  ASSERT_EQ(r.errors.size(), 1u) << joined(r);
  EXPECT_EQ(r.errors[0].field, "spec.database");
  EXPECT_EQ(r.errors[0].kind, FieldError::Kind::Required);
}

TEST(SpecParse, NullMeansUnsetAndTakesTheDefault) {
  json o = minimal();
  o["spec"]["database"]["port"] = nullptr;
  o["spec"]["migrations"] = nullptr;
  o["spec"]["version"] = nullptr;
  auto r = parseSpec(o);
  ASSERT_TRUE(r.ok()) << joined(r);
  EXPECT_EQ(r.spec.database.port, 5432);
  EXPECT_EQ(r.spec.migrations.backoffLimit, 2);
}

TEST(SpecParse, OutOfRangeIntegersAreErrorsNotOverflow) {
  json o = minimal();
  o["spec"]["database"]["port"] = 4294967296LL + 5432;  // would wrap to 5432 in an int
  o["spec"]["migrations"] = {{"backoffLimit", 18446744073709551615ULL}};
  auto r = parseSpec(o);
  ASSERT_EQ(r.errors.size(), 2u) << joined(r);
  EXPECT_EQ(r.errors[0].field, "spec.database.port");
  EXPECT_EQ(r.errors[0].message, "is out of range");
  EXPECT_EQ(r.errors[1].field, "spec.migrations.backoffLimit");
}

TEST(SpecParse, ParseErrorsAndValidationErrorsTogether) {
  json o = minimal();
  o["spec"]["database"]["port"] = "x";
  o["spec"]["auditLogs"] = {{"purge", {{{"organisation", "SpaceX"}, {"retainDays", -1}}}}};
  auto r = parseSpec(o);
  ASSERT_EQ(r.errors.size(), 2u) << joined(r);
  EXPECT_EQ(r.errors[0].field, "spec.database.port");
  EXPECT_EQ(r.errors[1].field, "spec.auditLogs.purge[0].retainDays");
}

TEST(SpecParse, NeverThrowsOnArbitraryInput) {
  for (const char* text :
       {"null", "[]", "42", "\"spec\"", R"({"spec": null})", R"({"spec": []})", R"({"spec": 1})",
        R"({"spec": {"database": []}})", R"({"spec": {"database": {"passwordSecretRef": 3}}})",
        R"({"spec": {"workloads": {"backend": "x", "worker": [1]}}})",
        R"({"spec": {"auditLogs": {"purge": [1, "a", null, {}], "vacuum": 5, "resources": {"limits": [1]}}}})",
        R"({"spec": {"auditLogs": {"resources": {"requests": {"cpu": 1.5, "memory": {}}}}}})",
        R"({"spec": {"recovery": {"resetGlobalNetworkPolicies": [], "disableSSOEnforcement": "x"}}})",
        R"({"spec": {"database": {"port": -9223372036854775808}}})"}) {
    SpecParseResult r;
    EXPECT_NO_THROW(r = parseSpec(json::parse(text))) << text;
    EXPECT_FALSE(r.ok()) << text;
  }
}
