// Pods of simulated ReplicaSets, and the schema gate: a pod whose template has the
// `wait-for-schema` init container stays in Init until its namespace's schema has the version
// of that init container's image; a container whose startupProbe is the schema check is then
// not started and not Ready until the schema has the version of its own image; a migration
// Job that succeeds raises the schema to its image's version.
#include "sandbox/test_fixture.hpp"
#include "support/phase_chart.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
namespace chart = pmo::testing::phase_chart;
const std::string kNs = "phase";
const std::string kPods = "/api/v1/namespaces/phase/pods";

Json gate(const std::string& image, const std::string& mode = "") {
  Json c = {{"name", "wait-for-schema"}, {"image", image}, {"command", {"python", "manage.py", "migrate", "--check"}}};
  if (!mode.empty()) c["env"] = Json::array({{{"name", "PMO_SCHEMA_GATE_MODE"}, {"value", mode}}});
  return c;
}

// The startup probe the operator puts on the named container (schema_gate.hpp): the same check,
// with the gate's mode set on its second line.
Json schemaProbe(const std::string& mode = "") {
  const std::string script = "# wait-for-schema startup probe\n" + (mode.empty() ? "" : "PMO_SCHEMA_GATE_MODE=" + mode + "\n") +
                             "schema_check() { python manage.py migrate --check; }\nschema_check";
  return {{"exec", {{"command", {"/bin/sh", "-c", script}}}},
          {"timeoutSeconds", 30}, {"periodSeconds", 5}, {"successThreshold", 1}, {"failureThreshold", 120}};
}

class PodsTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_EQ(client->post("/api/v1/namespaces", Json{{"metadata", {{"name", kNs}}}}).status, 201);
  }
  std::vector<Json> pods(const std::string& app) {
    return client->get(kPods + "?labelSelector=app%3D" + app).json()["items"].get<std::vector<Json>>();
  }
  static std::string condition(const Json& pod, const std::string& type, const char* field = "status") {
    for (const auto& c : pod["status"].value("conditions", Json::array()))
      if (c["type"] == type) return c.value(field, "");
    return "";
  }
  Json backend(const std::string& version, bool gated) {
    Json d = chart::object("backend-deployment", kNs);
    chart::setVersion(d, version);
    if (gated) d["spec"]["template"]["spec"]["initContainers"].push_back(gate(std::string(chart::kRepository) + ":" + version));
    d["spec"]["minReadySeconds"] = 0;
    return d;
  }
  // What `helm upgrade` with the operator down leaves: the gate on `gateVersion`, the
  // container on `version`, with (or without) the schema startup probe.
  Json staleGate(const std::string& gateVersion, const std::string& version, bool probe) {
    Json d = backend(version, false);
    d["spec"]["template"]["spec"]["initContainers"].push_back(gate(std::string(chart::kRepository) + ":" + gateVersion));
    if (probe) d["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = schemaProbe();
    return d;
  }
  // Schema ahead: a pod of v2.73.0 on a schema migrated to v2.74.0 (Helm set an older tag).
  void expectHeldWhenAhead(const std::string& mode) {
    server->controls().setSchemaVersion(kNs, "v2.74.0");
    Json d = backend("v2.73.0", false);
    d["spec"]["template"]["spec"]["initContainers"].push_back(gate(std::string(chart::kRepository) + ":v2.73.0", mode));
    d["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = schemaProbe(mode);
    ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
    ASSERT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // longer than the rollout duration
    const Json p = pods("backend")[0];
    EXPECT_EQ(p["status"]["phase"], "Pending");
    EXPECT_EQ(condition(p, "Initialized"), "False");
    EXPECT_EQ(condition(p, "Ready"), "False");
    const std::string log = client->get(kPods + "/" + p["metadata"]["name"].get<std::string>() + "/log").body;
    EXPECT_NE(log.find("wait-for-schema: the database is ahead of this image: the schema has v2.74.0, this image "
                       "v2.73.0; this pod does not start"), std::string::npos) << log;
  }
  Json migrationJob(const std::string& name, const std::string& version) {
    Json j = chart::object("migrations-hook-job", kNs);
    j["metadata"]["name"] = name;
    j["metadata"]["labels"]["job-name"] = name;
    chart::setVersion(j, version);
    return j;
  }
};

TEST_F(PodsTest, AReplicaSetsPodsAreObjectsThatFollowItsReplicas) {
  Json d = backend("v2.73.2", false);
  d["spec"]["replicas"] = 3;
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] {
    auto ps = pods("backend");
    return ps.size() == 3 && std::all_of(ps.begin(), ps.end(), [](const Json& p) { return condition(p, "Ready") == "True"; });
  }));
  const Json p = pods("backend")[0];
  EXPECT_EQ(p["status"]["phase"], "Running");
  EXPECT_EQ(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
  EXPECT_TRUE(p["metadata"]["labels"].contains("pod-template-hash"));
  EXPECT_EQ(p["spec"]["containers"][0]["image"], "docker.io/phasehq/backend:v2.73.2");
  ASSERT_EQ(client->mergePatch(chart::collection(d) + "/" + chart::kBackend, Json{{"spec", {{"replicas", 1}}}}).status, 200);
  EXPECT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
}

TEST_F(PodsTest, AGatedPodWaitsInInitUntilTheSchemaHasItsVersion) {
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  Json d = backend("v2.74.0", true);
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // longer than the rollout duration
  Json p = pods("backend")[0];
  EXPECT_EQ(p["status"]["phase"], "Pending");
  EXPECT_EQ(condition(p, "Ready"), "False");
  EXPECT_EQ(condition(p, "Initialized"), "False");
  EXPECT_EQ(condition(p, "Initialized", "message"), "containers with incomplete status: [wait-for-schema]");
  EXPECT_TRUE(p["status"]["initContainerStatuses"][1]["state"].contains("running")) << p["status"].dump();
  const std::string log = client->get(kPods + "/" + p["metadata"]["name"].get<std::string>() + "/log").body;
  EXPECT_NE(log.find("wait-for-schema: waiting for the migrations of v2.74.0 (the schema has v2.73.2)"),
            std::string::npos) << log;
  // a migration Job of an older version does not move the schema; one of v2.74.0 does
  Json older = migrationJob("migrate-old", "v2.73.0");
  ASSERT_EQ(client->post(chart::collection(older), older).status, 201);
  Json job = migrationJob("migrate-v2-74-0", "v2.74.0");
  const uint64_t before = std::stoull(client->get(kPods).json()["metadata"]["resourceVersion"].get<std::string>());
  ASSERT_EQ(client->post(chart::collection(job), job).status, 201);
  EXPECT_TRUE(eventually([&] { return condition(pods("backend")[0], "Ready") == "True"; }));
  EXPECT_EQ(server->controls().schemaVersion(kNs), "v2.74.0");
  EXPECT_EQ(server->controls().schemaVersionAt(kNs, before), "v2.73.2");
  EXPECT_EQ(pods("backend")[0]["status"]["phase"], "Running");
}

TEST_F(PodsTest, ANamespaceWithoutMigrationsHoldsEveryGatedPod) {
  Json d = backend("v2.73.2", true);
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_EQ(pods("backend").size(), 1u);
  EXPECT_EQ(condition(pods("backend")[0], "Ready"), "False");
  auto dep = client->get(chart::collection(d) + "/" + chart::kBackend).json();
  EXPECT_EQ(dep["status"].value("readyReplicas", 0), 0);
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  EXPECT_TRUE(eventually([&] { return condition(pods("backend")[0], "Ready") == "True"; }));
}

TEST_F(PodsTest, ATagTheRegistryMovesIsJudgedByWhatItResolvesTo) {
  const std::string latest = std::string(chart::kRepository) + ":latest";
  server->controls().setImageVersion(latest, "v2.73.2");
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  Json d = backend("latest", true);
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  EXPECT_TRUE(eventually([&] { return !pods("backend").empty() && condition(pods("backend")[0], "Ready") == "True"; }));
  // the registry's latest moves on; a pod started now needs the new migrations
  server->controls().setImageVersion(latest, "v2.74.0");
  ASSERT_EQ(client->mergePatch(chart::collection(d) + "/" + chart::kBackend, Json{{"spec", {{"replicas", 2}}}}).status, 200);
  ASSERT_TRUE(eventually([&] { return pods("backend").size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  int ready = 0;
  for (const auto& p : pods("backend")) ready += condition(p, "Ready") == "True";
  EXPECT_EQ(ready, 1);
}

TEST_F(PodsTest, AStaleGateImagePassesButTheSchemaProbeHoldsThePodNotReady) {
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  Json d = staleGate("v2.73.2", "v2.74.0", true);
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // longer than the rollout duration
  Json p = pods("backend")[0];
  EXPECT_EQ(p["status"]["phase"], "Running") << "the init container (old image) passed: the process runs";
  EXPECT_EQ(condition(p, "Initialized"), "True");
  EXPECT_EQ(condition(p, "ContainersReady"), "False");
  EXPECT_EQ(condition(p, "Ready"), "False");
  EXPECT_EQ(condition(p, "Ready", "message"), "containers with unready status: [backend]");
  EXPECT_FALSE(p["status"]["containerStatuses"][0].value("started", true)) << p["status"].dump();
  EXPECT_TRUE(p["status"]["containerStatuses"][0]["state"].contains("running"));
  auto dep = client->get(chart::collection(d) + "/" + chart::kBackend).json();
  EXPECT_EQ(dep["status"].value("readyReplicas", 0), 0);
  Json job = migrationJob("migrate-v2-74-0", "v2.74.0");
  ASSERT_EQ(client->post(chart::collection(job), job).status, 201);
  ASSERT_TRUE(eventually([&] { return condition(pods("backend")[0], "Ready") == "True"; }));
  EXPECT_TRUE(pods("backend")[0]["status"]["containerStatuses"][0].value("started", false));
}

TEST_F(PodsTest, WithoutTheSchemaProbeAStaleGateLetsANewerPodBecomeReady) {
  // the gap the probe closes: the init container alone judges by its own (old) image
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  Json d = staleGate("v2.73.2", "v2.74.0", false);
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  EXPECT_TRUE(eventually([&] { return !pods("backend").empty() && condition(pods("backend")[0], "Ready") == "True"; }));
}

TEST_F(PodsTest, ASchemaProbeWithoutTheInitContainerHoldsReadinessAlone) {
  server->controls().setSchemaVersion(kNs, "v2.73.2");
  Json d = backend("v2.74.0", false);
  d["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = schemaProbe();
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(condition(pods("backend")[0], "Ready"), "False");
  server->controls().setSchemaVersion(kNs, "v2.74.0");
  EXPECT_TRUE(eventually([&] { return condition(pods("backend")[0], "Ready") == "True"; }));
}

TEST_F(PodsTest, ASchemaAheadOfThePodsImageHoldsItUnderScaleDown) { expectHeldWhenAhead("ScaleDown"); }
TEST_F(PodsTest, ASchemaAheadOfThePodsImageHoldsItWithTheModeUnset) { expectHeldWhenAhead(""); }

TEST_F(PodsTest, ASchemaAheadOfTheContainersImageKeepsTheProbeFailingUnderScaleDown) {
  // a stale init container of the schema's own version passes; the probe in v2.73.0 holds
  server->controls().setSchemaVersion(kNs, "v2.74.0");
  Json d = staleGate("v2.74.0", "v2.73.0", false);
  d["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = schemaProbe("ScaleDown");
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] { return pods("backend").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(pods("backend")[0]["status"]["phase"], "Running");
  EXPECT_EQ(condition(pods("backend")[0], "Ready"), "False");
}

TEST_F(PodsTest, ASchemaAheadOfThePodsImageLetsItStartWithAWarningUnderHoldRollout) {
  server->controls().setSchemaVersion(kNs, "v2.74.0");
  Json d = backend("v2.73.0", false);
  d["spec"]["template"]["spec"]["initContainers"].push_back(gate(std::string(chart::kRepository) + ":v2.73.0", "HoldRollout"));
  d["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = schemaProbe("HoldRollout");
  ASSERT_EQ(client->post(chart::collection(d), d).status, 201);
  ASSERT_TRUE(eventually([&] { return !pods("backend").empty() && condition(pods("backend")[0], "Ready") == "True"; }));
  const Json p = pods("backend")[0];
  const std::string log = client->get(kPods + "/" + p["metadata"]["name"].get<std::string>() + "/log").body;
  EXPECT_NE(log.find("the database is ahead of this image: the schema has v2.74.0, this image v2.73.0; starting "
                     "anyway (gate HoldRollout"), std::string::npos) << log;
}

}  // namespace
}  // namespace pmo::sandbox::testing
