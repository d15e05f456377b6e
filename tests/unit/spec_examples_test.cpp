// The examples in deploy/examples, and the parser against the CRD: every schema field is
// in the complete example and read by parseSpec, and parseSpec's defaults are the CRD's.
#include <gtest/gtest.h>

#include <dirent.h>

#include <functional>

#include "maintenance/spec/spec.hpp"
#include "spec_test_yaml.hpp"

using nlohmann::json;
using namespace pmo::maintenance;
using pmo::testing::loadCrd;
using pmo::testing::loadYamlDocuments;
using pmo::testing::openApiSchema;

namespace {

const json& specSchema() {
  static const json value = openApiSchema(loadCrd()).at("properties").at("spec");
  return value;
}

std::string errorsOf(const SpecParseResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.toString() + "\n";
  return out;
}

// The parsed spec as JSON in the CRD's shape, to compare parses field by field.
json toJson(const PhaseMaintenanceSpec& s) {
  auto workload = [](const WorkloadRef& w) { return json{{"deployment", w.deployment}, {"container", w.container}}; };
  json purge = json::array();
  for (const auto& r : s.auditLogs.purge)
    purge.push_back({{"organisation", r.organisation}, {"retainDays", r.retainDays}, {"appId", r.appId}, {"schedule", r.schedule}});
  json out = {
      {"version", s.version}, {"backendImage", s.backendImage}, {"operatorImage", s.operatorImage},
      {"workloads", {{"backend", workload(s.backend)}, {"worker", workload(s.worker)}}},
      {"database", {{"host", s.database.host}, {"port", s.database.port}, {"name", s.database.name},
                    {"user", s.database.user}, {"sslMode", s.database.sslMode},
                    {"passwordSecretRef", {{"name", s.database.passwordSecretRef.name}, {"key", s.database.passwordSecretRef.key}}}}},
      {"migrations", {{"gate", s.migrations.gate == MigrationGate::ScaleDown ? "ScaleDown" : "HoldRollout"},
                      {"backup", {{"enabled", s.migrations.backup.enabled}, {"persistentVolumeClaim", s.migrations.backup.persistentVolumeClaim},
                                  {"keep", s.migrations.backup.keep}, {"image", s.migrations.backup.image}}},
                      {"allowDowngrade", s.migrations.allowDowngrade}, {"podGate", s.migrations.podGate}, {"backoffLimit", s.migrations.backoffLimit},
                      {"activeDeadlineSeconds", s.migrations.activeDeadlineSeconds}}},
      {"auditLogs", {{"purge", purge}, {"timeZone", s.auditLogs.timeZone},
                     {"startingDeadlineSeconds", s.auditLogs.startingDeadlineSeconds},
                     {"successfulJobsHistoryLimit", s.auditLogs.successfulJobsHistoryLimit},
                     {"failedJobsHistoryLimit", s.auditLogs.failedJobsHistoryLimit},
                     {"resources", s.auditLogs.resources}}},
      {"recovery", json::object()},
      {"suspend", s.suspend}};
  if (s.database.tls.any()) {
    json& tls = out["database"]["tls"] = json::object();
    auto ref = [](const SecretKeyRef& r) { return json{{"name", r.name}, {"key", r.key}}; };
    if (s.database.tls.caSecret) tls["ca"]["secretKeyRef"] = ref(*s.database.tls.caSecret);
    if (s.database.tls.caConfigMap) tls["ca"]["configMapKeyRef"] = ref(*s.database.tls.caConfigMap);
    if (!s.database.tls.clientCertSecret.empty()) tls["clientCertSecretRef"] = {{"name", s.database.tls.clientCertSecret}};
  }
  if (s.auditLogs.vacuum) {
    out["auditLogs"]["vacuum"] = {{"schedule", s.auditLogs.vacuum->schedule}, {"full", s.auditLogs.vacuum->full},
                                  {"lockTimeout", s.auditLogs.vacuum->lockTimeout},
                                  {"minDeadTuples", s.auditLogs.vacuum->minDeadTuples}};
    if (!s.auditLogs.vacuum->method.empty()) out["auditLogs"]["vacuum"]["method"] = s.auditLogs.vacuum->method;
  }
  if (const auto& n = s.recovery.resetGlobalNetworkPolicies)
    out["recovery"]["resetGlobalNetworkPolicies"] = {{"requestId", n->requestId}, {"organisations", n->organisations},
                                                     {"restoreAfter", n->restoreAfter}};
  if (const auto& d = s.recovery.disableSSOEnforcement)
    out["recovery"]["disableSSOEnforcement"] = {{"requestId", d->requestId}, {"organisations", d->organisations},
                                                {"disableProviders", d->disableProviders}};
  return out;
}

std::vector<std::string> exampleFiles() {
  std::vector<std::string> files;
  const std::string dir = pmo::testing::sourcePath("deploy/examples");
  DIR* d = opendir(dir.c_str());
  if (!d) return files;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".yaml") files.push_back("deploy/examples/" + name);
  }
  closedir(d);
  return files;
}

// Calls visit(path-in-API-notation, pointer) for every value below `value`.
void eachValue(const json& value, const std::string& path, const json::json_pointer& ptr,
               const std::function<void(const std::string&, const json::json_pointer&, const json&)>& visit) {
  visit(path, ptr, value);
  if (value.is_object())
    for (auto it = value.begin(); it != value.end(); ++it) eachValue(*it, path + "." + it.key(), ptr / it.key(), visit);
  if (value.is_array())
    for (std::size_t i = 0; i < value.size(); ++i)
      eachValue(value[i], path + "[" + std::to_string(i) + "]", ptr / i, visit);
}

}  // namespace

TEST(SpecExamples, MinimalAndCompleteExist) {
  EXPECT_EQ(loadYamlDocuments("deploy/examples/minimal.yaml").size(), 1u);
  EXPECT_EQ(loadYamlDocuments("deploy/examples/complete.yaml").size(), 1u);
}

TEST(SpecExamples, EveryExampleParsesValidatesAndMatchesTheSchema) {
  int checked = 0;
  for (const auto& file : exampleFiles()) {
    for (const auto& doc : loadYamlDocuments(file)) {
      if (doc.value("kind", "") != "PhaseMaintenance") continue;
      ++checked;
      EXPECT_EQ(doc["apiVersion"], "maintenance.phase.dev/v1alpha1") << file;
      auto result = parseSpec(doc);
      EXPECT_TRUE(result.ok()) << file << ":\n" << errorsOf(result);
      std::vector<std::string> problems;
      json defaulted = doc;
      pmo::testing::applyDefaults(openApiSchema(loadCrd()), defaulted);
      pmo::testing::checkAgainstSchema(openApiSchema(loadCrd()), defaulted, "", problems);
      for (const auto& p : problems) ADD_FAILURE() << file << ": " << p;
    }
  }
  EXPECT_GE(checked, 2);
}

TEST(SpecExamples, MinimalIsInNamespacePhaseAndHasOnlyTheDatabase) {
  json doc = loadYamlDocuments("deploy/examples/minimal.yaml").at(0);
  EXPECT_EQ(doc["metadata"]["namespace"], "phase");
  EXPECT_EQ(doc["spec"].size(), 1u);
  EXPECT_TRUE(doc["spec"].contains("database"));
}

// Every property of the spec schema appears in complete.yaml, and complete.yaml holds
// nothing the schema does not know.
TEST(SpecExamples, CompleteExampleHasEverySchemaField) {
  json spec = loadYamlDocuments("deploy/examples/complete.yaml").at(0)["spec"];
  std::function<void(const json&, const json&, const std::string&)> cover =
      [&](const json& schema, const json& value, const std::string& path) {
        if (schema.contains("properties")) {
          ASSERT_TRUE(value.is_object()) << path;
          for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
            // The one alternative a valid resource cannot hold together with its sibling
            // (tls.ca takes exactly one source); database_tls_test.cpp reads it.
            if (path + "." + it.key() == "spec.database.tls.ca.configMapKeyRef") continue;
            EXPECT_TRUE(value.contains(it.key())) << "complete.yaml lacks " << path << "." << it.key();
            if (value.contains(it.key())) cover(*it, value[it.key()], path + "." + it.key());
          }
        }
        if (schema.contains("items") && value.is_array())
          for (std::size_t i = 0; i < value.size(); ++i) cover(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
      };
  cover(specSchema(), spec, "spec");
}

// Replacing any value of the complete example by one of the wrong type gives an error on
// exactly that path: parseSpec reads every field the schema has.
TEST(SpecExamples, ParserReadsEveryFieldOfTheSchema) {
  const json example = loadYamlDocuments("deploy/examples/complete.yaml").at(0);
  int mutated = 0;
  eachValue(example["spec"], "spec", json::json_pointer("/spec"),
            [&](const std::string& path, const json::json_pointer& ptr, const json& value) {
              if (path == "spec") return;
              json broken = example;
              broken[ptr] = (value.is_object() || value.is_array()) ? json(12345) : json{{"bogus", true}};
              auto result = parseSpec(broken);
              bool named = false;
              for (const auto& e : result.errors) named = named || e.field == path;
              EXPECT_TRUE(named) << "no error on " << path << ":\n" << errorsOf(result);
              ++mutated;
            });
  EXPECT_GT(mutated, 50);
}

// The API server fills in the CRD's defaults before the operator sees an object; the
// operator fills in its own when it did not. Both must give the same spec.
TEST(SpecExamples, ParserDefaultsAreTheCrdDefaults) {
  json object = loadYamlDocuments("deploy/examples/minimal.yaml").at(0);
  object["spec"]["auditLogs"] = {{"purge", {{{"organisation", "SpaceX"}}}}, {"vacuum", json::object()}};
  object["spec"]["recovery"] = {{"resetGlobalNetworkPolicies", json::object()},
                                {"disableSSOEnforcement", json::object()}};
  json defaulted = object;
  pmo::testing::applyDefaults(openApiSchema(loadCrd()), defaulted);
  auto byOperator = parseSpec(object);
  auto byApiServer = parseSpec(defaulted);
  ASSERT_TRUE(byOperator.ok()) << errorsOf(byOperator);
  ASSERT_TRUE(byApiServer.ok()) << errorsOf(byApiServer);
  EXPECT_EQ(toJson(byOperator.spec).dump(2), toJson(byApiServer.spec).dump(2));
}

TEST(SpecExamples, CompleteExampleRoundTripsThroughTheParser) {
  json doc = loadYamlDocuments("deploy/examples/complete.yaml").at(0);
  auto result = parseSpec(doc);
  ASSERT_TRUE(result.ok()) << errorsOf(result);
  json expected = doc["spec"];
  EXPECT_EQ(toJson(result.spec).dump(2), expected.dump(2));
}
