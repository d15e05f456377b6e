// The CRD itself: names, printer columns, descriptions everywhere, the shared patterns and
// bounds, defaults that validate, and every CEL rule mirrored by validateSpec().
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "maintenance/spec/cron.hpp"
#include "maintenance/spec/spec.hpp"
#include "maintenance/spec/schema.hpp"
#include "maintenance/plan_types.hpp"
#include "maintenance/version.hpp"
#include "spec_test_yaml.hpp"

using nlohmann::json;
using namespace pmo::maintenance;
using pmo::testing::checkAgainstSchema;
using pmo::testing::loadCrd;
using pmo::testing::loadYamlDocuments;
using pmo::testing::openApiSchema;

namespace {

const json& crd() {
  static const json value = loadCrd();
  return value;
}
const json& root() { return openApiSchema(crd()); }

// The schema node at a dotted path below openAPIV3Schema; "[]" steps into list items.
const json& node(const std::string& path) {
  const json* n = &root();
  std::string::size_type start = 0;
  while (start < path.size()) {
    auto dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part == "[]") n = &n->at("items");
    else n = &n->at("properties").at(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *n;
}

void walk(const json& schema, const std::string& path,
          const std::function<void(const json&, const std::string&)>& visit) {
  visit(schema, path);
  if (schema.contains("properties"))
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it)
      walk(*it, path.empty() ? it.key() : path + "." + it.key(), visit);
  if (schema.contains("items")) walk(schema["items"], path + ".[]", visit);
}

json completeExample() { return loadYamlDocuments("deploy/examples/complete.yaml").at(0); }

}  // namespace

TEST(Crd, NamesGroupAndVersion) {
  const json& spec = crd().at("spec");
  EXPECT_EQ(crd()["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(crd()["metadata"]["name"], "phasemaintenances.maintenance.phase.dev");
  EXPECT_EQ(spec["group"], "maintenance.phase.dev");
  EXPECT_EQ(spec["scope"], "Namespaced");
  EXPECT_EQ(spec["names"]["kind"], "PhaseMaintenance");
  EXPECT_EQ(spec["names"]["plural"], "phasemaintenances");
  EXPECT_EQ(spec["names"]["singular"], "phasemaintenance");
  EXPECT_EQ(spec["names"]["shortNames"], json::array({"pm"}));
  EXPECT_EQ(spec["names"]["categories"], json::array({"phase"}));
  ASSERT_EQ(spec["versions"].size(), 1u);
  EXPECT_EQ(spec["versions"][0]["name"], "v1alpha1");
  EXPECT_EQ(spec["versions"][0]["served"], true);
  EXPECT_EQ(spec["versions"][0]["storage"], true);
  EXPECT_EQ(spec["versions"][0]["subresources"], json::parse(R"({"status": {}})"));
}

TEST(Crd, PrinterColumns) {
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& c : crd()["spec"]["versions"][0]["additionalPrinterColumns"])
    columns.emplace_back(c["name"], c["jsonPath"]);
  EXPECT_EQ(columns, (std::vector<std::pair<std::string, std::string>>{
                         {"Version", ".spec.version"},
                         {"Current", ".status.currentVersion"},
                         {"Phase", ".status.phase"},
                         {"Ready", ".status.conditions[?(@.type==\"Ready\")].status"},
                         {"Age", ".metadata.creationTimestamp"}}));
}

// Except the root metadata: kube-apiserver refuses a CRD whose root metadata schema says
// anything but `type: object` (validateStructuralMetadataInvariants), a description included.
TEST(Crd, EveryFieldHasADescription) {
  walk(root(), "", [](const json& s, const std::string& path) {
    if (path == "metadata") {
      EXPECT_EQ(s, json({{"type", "object"}})) << "root metadata may say type: object and nothing else";
      return;
    }
    EXPECT_TRUE(s.contains("description") && !s["description"].get<std::string>().empty())
        << "no description at " << (path.empty() ? "<root>" : path);
  });
}

TEST(Crd, SchemaIsStructural) {
  walk(root(), "", [](const json& s, const std::string& path) {
    bool intOrString = s.value("x-kubernetes-int-or-string", false);
    EXPECT_TRUE(s.contains("type") || intOrString) << "no type at " << path;
    if (s.value("x-kubernetes-preserve-unknown-fields", false)) {
      // Only the in-progress record, whose fields the planner owns and must never lose.
      EXPECT_EQ(path, "status.migration");
    }
    if (s.value("type", "") == "array") {
      EXPECT_TRUE(s.contains("maxItems")) << "unbounded list " << path;
    }
  });
}

TEST(Crd, DefaultsValidateAgainstTheirOwnSchema) {
  int defaults = 0;
  walk(root(), "", [&](const json& s, const std::string& path) {
    if (!s.contains("default")) return;
    ++defaults;
    std::vector<std::string> problems;
    json value = s["default"];
    pmo::testing::applyDefaults(s, value);
    checkAgainstSchema(s, value, path, problems);
    EXPECT_TRUE(problems.empty()) << path << ": " << problems.front();
  });
  EXPECT_GT(defaults, 30);
}

// Admission and validateSpec() use the same patterns and bounds: the CRD must carry the
// constants of maintenance/spec/schema.hpp, version.hpp and maintenance/spec/cron.hpp verbatim.
TEST(Crd, PatternsAreTheOperatorsPatterns) {
  const std::map<std::string, std::string> patterns = {
      {"spec.version", kVersionPattern},
      {"spec.backendImage", schema::kImageRepository},
      {"spec.operatorImage", schema::kOptionalImageReference},
      {"spec.workloads.backend.deployment", schema::kDnsSubdomain},
      {"spec.workloads.worker.deployment", schema::kDnsSubdomain},
      {"spec.workloads.backend.container", schema::kDnsLabel},
      {"spec.workloads.worker.container", schema::kDnsLabel},
      {"spec.database.host", schema::kHost},
      {"spec.database.passwordSecretRef.name", schema::kDnsSubdomain},
      {"spec.database.passwordSecretRef.key", schema::kSecretKey},
      {"spec.database.tls.ca.secretKeyRef.name", schema::kDnsSubdomain},
      {"spec.database.tls.ca.secretKeyRef.key", schema::kSecretKey},
      {"spec.database.tls.ca.configMapKeyRef.name", schema::kDnsSubdomain},
      {"spec.database.tls.ca.configMapKeyRef.key", schema::kSecretKey},
      {"spec.database.tls.clientCertSecretRef.name", schema::kDnsSubdomain},
      {"spec.migrations.backup.persistentVolumeClaim", schema::kDnsSubdomain},
      {"spec.migrations.backup.image", schema::kImageReference},
      {"spec.auditLogs.purge.[].organisation", schema::kOrganisation},
      {"spec.auditLogs.purge.[].appId", schema::kAppId},
      {"spec.auditLogs.purge.[].schedule", kCronPattern},
      {"spec.auditLogs.vacuum.schedule", kCronPattern},
      {"spec.auditLogs.vacuum.lockTimeout", schema::kDuration},
      {"spec.auditLogs.timeZone", schema::kTimeZone},
      {"spec.recovery.resetGlobalNetworkPolicies.requestId", schema::kRequestId},
      {"spec.recovery.resetGlobalNetworkPolicies.organisations.[]", schema::kOrganisation},
      {"spec.recovery.resetGlobalNetworkPolicies.restoreAfter", schema::kOptionalDuration},
      {"spec.recovery.disableSSOEnforcement.requestId", schema::kRequestId},
      {"spec.recovery.disableSSOEnforcement.organisations.[]", schema::kOrganisation},
      {"spec.auditLogs.resources.requests", schema::kQuantity},
      {"spec.auditLogs.resources.limits", schema::kQuantity},
  };
  for (const auto& [path, pattern] : patterns) {
    const json& n = node(path);
    const json& p = n.contains("additionalProperties") ? n["additionalProperties"]["pattern"] : n["pattern"];
    EXPECT_EQ(p, pattern) << path;
  }
  // And no spec pattern escapes this list.
  walk(node("spec"), "spec", [&](const json& s, const std::string& path) {
    if (s.contains("pattern")) {
      EXPECT_TRUE(patterns.count(path)) << "pattern not mirrored: " << path;
    }
  });
}

TEST(Crd, BoundsAreTheOperatorsBounds) {
  const std::map<std::string, std::pair<long long, long long>> bounds = {
      {"spec.database.port", {schema::kPortMin, schema::kPortMax}},
      {"spec.migrations.backup.keep", {schema::kKeepMin, schema::kKeepMax}},
      {"spec.migrations.backoffLimit", {schema::kBackoffLimitMin, schema::kBackoffLimitMax}},
      {"spec.migrations.activeDeadlineSeconds", {schema::kActiveDeadlineMin, schema::kActiveDeadlineMax}},
      {"spec.auditLogs.purge.[].retainDays", {schema::kRetainDaysMin, schema::kRetainDaysMax}},
      {"spec.auditLogs.startingDeadlineSeconds", {schema::kStartingDeadlineMin, schema::kStartingDeadlineMax}},
      {"spec.auditLogs.successfulJobsHistoryLimit", {schema::kJobsHistoryMin, schema::kJobsHistoryMax}},
      {"spec.auditLogs.failedJobsHistoryLimit", {schema::kJobsHistoryMin, schema::kJobsHistoryMax}},
  };
  for (const auto& [path, b] : bounds) {
    EXPECT_EQ(node(path)["minimum"], b.first) << path;
    EXPECT_EQ(node(path)["maximum"], b.second) << path;
  }
  EXPECT_EQ(node("spec.auditLogs.vacuum.minDeadTuples")["minimum"], schema::kMinDeadTuplesMin);
  EXPECT_EQ(node("spec.auditLogs.purge")["maxItems"], schema::kMaxPurgeRules);
  EXPECT_EQ(node("spec.recovery.resetGlobalNetworkPolicies.organisations")["maxItems"], schema::kMaxOrganisations);
  EXPECT_EQ(node("spec.recovery.disableSSOEnforcement.organisations")["maxItems"], schema::kMaxOrganisations);
  EXPECT_EQ(node("spec.auditLogs.resources.limits")["maxProperties"], schema::kMaxResourceEntries);
  EXPECT_EQ(node("spec.version")["maxLength"], kVersionMaxLength);
  EXPECT_EQ(node("spec.auditLogs.purge.[].schedule")["maxLength"], kCronMaxLength);
  EXPECT_EQ(node("spec.auditLogs.purge.[].organisation")["maxLength"], schema::kOrganisationMax);
  EXPECT_EQ(node("spec.workloads.backend.container")["maxLength"], schema::kDnsLabelMax);
  EXPECT_EQ(node("spec.database.name")["maxLength"], schema::kPostgresIdentifierMax);
  EXPECT_EQ(node("spec.recovery.resetGlobalNetworkPolicies.restoreAfter")["maxLength"], schema::kDurationMax);
}

TEST(Crd, EnumsAreTheOperatorsEnums) {
  auto asJson = [](const auto& values) {
    json out = json::array();
    for (const char* v : values) out.push_back(v);
    return out;
  };
  EXPECT_EQ(node("spec.database.sslMode")["enum"], asJson(schema::kSslModes));
  EXPECT_EQ(node("spec.migrations.gate")["enum"], asJson(schema::kGates));
  EXPECT_EQ(node("spec.auditLogs.vacuum.method")["enum"], asJson(schema::kVacuumMethods));
  EXPECT_EQ(node("status.phase")["enum"], asJson(schema::kStatusPhases));
}

// The phases the operator writes are the CRD's enum, in its order, and nothing else.
TEST(Crd, StatusPhaseEnumIsWhatTheOperatorWrites) {
  std::vector<std::string> written;
  for (const auto phase : pmo::maintenance::kAllPhases) written.emplace_back(pmo::maintenance::phaseName(phase));
  EXPECT_EQ(written, std::vector<std::string>(schema::kStatusPhases.begin(), schema::kStatusPhases.end()));
}

// The status fields the planner and reconciler write must be in the schema, or a real API
// server prunes them (and the operator forgets where it is).
TEST(Crd, StatusSchemaHasWhatTheOperatorWrites) {
  for (const char* path :
       {"status.observedGeneration", "status.phase", "status.currentVersion", "status.targetVersion",
        "status.conditions.[].lastTransitionTime", "status.migration.from", "status.migration.to",
        "status.migration.startedAt", "status.migration.step", "status.migration.migrationJob",
        "status.migration.backupJob", "status.migration.backupPath", "status.migrations.[].from",
        "status.migrations.[].to", "status.migrations.[].result", "status.migrations.[].backupPath",
        "status.auditLogs.purge.[].name", "status.auditLogs.purge.[].lastResult.rowsDeleted",
        "status.auditLogs.vacuum.lastResult.bytesReclaimed", "status.auditLogs.vacuum.method", "status.auditLogs.table.deadTuples",
        "status.auditLogs.table.measuredAt", "status.recoveries.resetGlobalNetworkPolicies.[].requestId",
        "status.recoveries.resetGlobalNetworkPolicies.[].policies.[].updatedAt",
        "status.recoveries.resetGlobalNetworkPolicies.[].restoredAt",
        "status.recoveries.disableSSOEnforcement.[].before.[].providers.[].enabled"}) {
    EXPECT_NO_THROW(node(path)) << path;
  }
}

TEST(Crd, StatusConditionsAreAMapByType) {
  const json& c = node("status.conditions");
  EXPECT_EQ(c["x-kubernetes-list-type"], "map");
  EXPECT_EQ(c["x-kubernetes-list-map-keys"], json::array({"type"}));
  EXPECT_EQ(node("status.migrations")["maxItems"], 10);
  EXPECT_EQ(node("status.conditions.[].status")["enum"], json::array({"True", "False", "Unknown"}));
}

// Every CEL rule of the CRD, with an object the rule refuses. validateSpec() must refuse
// the same object with the rule's message, since the sandbox API server does not run CEL.
TEST(Crd, EveryCelRuleIsMirroredByValidateSpec) {
  using Mutation = std::function<void(json&)>;
  const std::map<std::string, Mutation> table = {
      {schema::kRuleDistinctWorkloads,
       [](json& s) { s["workloads"]["worker"]["deployment"] = "phase-console-backend"; }},
      {schema::kRuleBackupNeedsClaim,
       [](json& s) { s["migrations"]["backup"].erase("persistentVolumeClaim"); }},
      {schema::kRuleUniquePurgeRules,
       [](json& s) { s["auditLogs"]["purge"].push_back(s["auditLogs"]["purge"][0]); }},
      {schema::kRuleLockTimeoutPositive, [](json& s) { s["auditLogs"]["vacuum"]["lockTimeout"] = "0s"; }},
      {schema::kRuleVacuumMethodMatchesFull, [](json& s) {
         s["auditLogs"]["vacuum"]["full"] = true;
         s["auditLogs"]["vacuum"]["method"] = "Plain";
       }},
      {schema::kRuleRestoreAfterPositive,
       [](json& s) { s["recovery"]["resetGlobalNetworkPolicies"]["restoreAfter"] = "0h"; }},
      {schema::kRuleSsoNeedsOrganisations, [](json& s) {
         s["recovery"]["disableSSOEnforcement"]["requestId"] = "r-9";
         s["recovery"]["disableSSOEnforcement"]["organisations"] = json::array();
       }},
      {schema::kRuleCaOneSource,
       [](json& s) { s["database"]["tls"]["ca"]["configMapKeyRef"] = {{"name", "db-ca-bundle"}}; }},
      {schema::kRuleCaNeedsVerify, [](json& s) { s["database"]["sslMode"] = "require"; }},
  };
  std::set<std::string> crdMessages;
  walk(root(), "", [&](const json& s, const std::string& path) {
    for (const auto& rule : s.value("x-kubernetes-validations", json::array())) {
      EXPECT_TRUE(rule.contains("rule") && rule.contains("message")) << path;
      crdMessages.insert(rule["message"].get<std::string>());
    }
  });
  std::set<std::string> tableMessages;
  for (const auto& [message, mutate] : table) tableMessages.insert(message);
  EXPECT_EQ(crdMessages, tableMessages) << "a CEL rule without a mirrored validation (or the reverse)";

  for (const auto& [message, mutate] : table) {
    json object = completeExample();
    ASSERT_TRUE(parseSpec(object).ok()) << "the complete example must be valid";
    mutate(object["spec"]);
    auto result = parseSpec(object);
    bool found = false;
    for (const auto& e : result.errors) found = found || e.message.find(message) != std::string::npos;
    EXPECT_TRUE(found) << "validateSpec does not refuse: " << message;
  }
}
