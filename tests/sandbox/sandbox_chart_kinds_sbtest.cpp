// What Phase's Helm chart needs from the API server besides Deployments: StatefulSets,
// Ingresses and HorizontalPodAutoscalers, validated as kube-apiserver validates them, stored,
// listed, watched and discovered; the whole chart-shaped release applies; the HPA sets its
// target's replicas within [minReplicas, maxReplicas].
#include "sandbox/test_fixture.hpp"
#include "support/phase_chart.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
namespace chart = pmo::testing::phase_chart;
const std::string kNs = "phase";

class ChartKindsTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_EQ(client->post("/api/v1/namespaces", Json{{"metadata", {{"name", kNs}}}}).status, 201);
  }
  Reply create(const Json& o) { return client->post(chart::collection(o), o); }
  // The 422's causes as "field: message".
  static std::vector<std::string> causes(const Reply& r) {
    std::vector<std::string> out;
    for (const auto& c : r.json()["details"].value("causes", Json::array()))
      out.push_back(c.value("field", "") + ": " + c.value("message", ""));
    return out;
  }
  static bool hasCause(const Reply& r, const std::string& text) {
    for (const auto& c : causes(r))
      if (c.find(text) != std::string::npos) return true;
    return false;
  }
  long replicas(const std::string& deployment) {
    return client->get("/apis/apps/v1/namespaces/" + kNs + "/deployments/" + deployment).json()["spec"].value("replicas", 1L);
  }
};

std::string dump(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

TEST_F(ChartKindsTest, TheWholeChartShapedReleaseAppliesAndIsServed) {
  for (const auto& o : chart::release(kNs)) {
    auto r = create(o);
    ASSERT_EQ(r.status, 201) << o["kind"] << " " << o["metadata"]["name"] << ": " << r.body;
    EXPECT_TRUE(r.warnings.empty()) << o["kind"] << " carries a field the kind does not declare: " << r.warnings[0];
  }
  auto sts = client->get("/apis/apps/v1/namespaces/phase/statefulsets/phase-console-postgres");
  ASSERT_EQ(sts.status, 200);
  EXPECT_EQ(sts.json()["metadata"]["generation"], 1);
  EXPECT_EQ(sts.json()["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "50Gi");
  EXPECT_EQ(client->get("/apis/networking.k8s.io/v1/namespaces/phase/ingresses").json()["items"].size(), 1u);
  EXPECT_EQ(client->get("/apis/autoscaling/v2/namespaces/phase/horizontalpodautoscalers").json()["items"].size(), 2u);
  // discovery names the three kinds with their short names
  auto apps = client->get("/apis/apps/v1").json();
  bool stsFound = false;
  for (const auto& res : apps["resources"])
    if (res["name"] == "statefulsets") stsFound = res["shortNames"] == Json::array({"sts"});
  EXPECT_TRUE(stsFound) << apps.dump();
  EXPECT_EQ(client->get("/apis/autoscaling/v2").status, 200);
  std::set<std::string> networking;
  const Json networkingList = client->get("/apis/networking.k8s.io/v1").json();
  for (const auto& res : networkingList["resources"]) networking.insert(res["name"].get<std::string>());
  EXPECT_TRUE(networking.count("ingresses") && networking.count("ingresses/status")) << ::testing::PrintToString(networking);
  // a watch of HPAs replays them
  WatchStream w(*client, "/apis/autoscaling/v2/namespaces/phase/horizontalpodautoscalers?watch=1&timeoutSeconds=1");
  ASSERT_EQ(w.status, 200);
  auto first = w.next();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["type"], "ADDED");
}

TEST_F(ChartKindsTest, StatefulSetsAreValidatedAsKubeApiserverDoes) {
  Json sts = chart::object("postgres-statefulset", kNs);
  Json bad = sts;
  bad["spec"]["selector"] = Json::object();
  bad["spec"]["podManagementPolicy"] = "Sometimes";
  bad["spec"]["replicas"] = -1;
  bad["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  auto r = create(bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(hasCause(r, "spec.selector: Invalid value: \"{}\"") || hasCause(r, "empty selector is invalid for statefulset"))
      << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'"))
      << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.replicas: Invalid value: -1: must be greater than or equal to 0")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.template.spec.restartPolicy: Unsupported value: \"Never\"")) << dump(causes(r));
  Json mismatch = sts;
  mismatch["spec"]["template"]["metadata"]["labels"]["app"] = "other";
  EXPECT_TRUE(hasCause(create(mismatch), "`selector` does not match template `labels`"));
  ASSERT_EQ(create(sts).status, 201);
  // an update may change replicas and the template, not the service name or claim templates
  auto live = client->get(chart::collection(sts) + "/phase-console-postgres").json();
  live["spec"]["replicas"] = 2;
  EXPECT_EQ(client->put(chart::collection(sts) + "/phase-console-postgres", live).status, 200);
  live = client->get(chart::collection(sts) + "/phase-console-postgres").json();
  live["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "100Gi";
  auto u = client->put(chart::collection(sts) + "/phase-console-postgres", live);
  ASSERT_EQ(u.status, 422) << u.body;
  EXPECT_TRUE(hasCause(u, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'"))
      << dump(causes(u));
}

TEST_F(ChartKindsTest, IngressesAreValidatedAsKubeApiserverDoes) {
  Json ing = chart::object("ingress", kNs);
  Json bad = ing;
  auto& paths = bad["spec"]["rules"][0]["http"]["paths"];
  paths[0].erase("pathType");
  paths[1]["pathType"] = "Prefix";
  paths[1]["path"] = "relative";
  paths[1]["backend"]["service"]["port"]["name"] = "http";
  bad["spec"]["rules"][0]["host"] = "10.0.0.1";
  auto r = create(bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(hasCause(r, "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.rules[0].http.paths[1].path: Invalid value: \"relative\": must be an absolute path"))
      << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "cannot set both port name & port number")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"))
      << dump(causes(r));
  Json empty = ing;
  empty["spec"].erase("rules");
  EXPECT_TRUE(hasCause(create(empty), "either `defaultBackend` or `rules` must be specified"));
  Json classes = ing;
  classes["spec"]["ingressClassName"] = "traefik";
  EXPECT_TRUE(hasCause(create(classes), "must match `ingressClassName` when both are specified"));
  EXPECT_EQ(create(ing).status, 201);
}

TEST_F(ChartKindsTest, HorizontalPodAutoscalersAreValidatedAsKubeApiserverDoes) {
  Json hpa = chart::object("backend-hpa", kNs);
  Json bad = hpa;
  bad["spec"]["minReplicas"] = 0;
  bad["spec"]["maxReplicas"] = 0;
  bad["spec"]["scaleTargetRef"].erase("name");
  bad["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = 0;
  auto r = create(bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(hasCause(r, "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.maxReplicas: Invalid value: 0: must be greater than 0")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "spec.scaleTargetRef.name: Required value")) << dump(causes(r));
  EXPECT_TRUE(hasCause(r, "averageUtilization: Invalid value: 0: must be greater than 0")) << dump(causes(r));
  Json inverted = hpa;
  inverted["spec"]["minReplicas"] = 5;
  inverted["spec"]["maxReplicas"] = 3;
  EXPECT_TRUE(hasCause(create(inverted), "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"));
  Json unknownMetric = hpa;
  unknownMetric["spec"]["metrics"][0]["type"] = "Memory";
  EXPECT_TRUE(hasCause(create(unknownMetric), "spec.metrics[0].type: Unsupported value: \"Memory\""));
  EXPECT_EQ(create(hpa).status, 201);
}

TEST_F(ChartKindsTest, TheHpaKeepsItsTargetWithinMinAndMaxAndLeavesATargetAtZeroAlone) {
  ASSERT_EQ(create(chart::object("backend-deployment", kNs)).status, 201);
  Json hpa = chart::object("backend-hpa", kNs);
  hpa["spec"]["minReplicas"] = 2;
  hpa["spec"]["maxReplicas"] = 4;
  ASSERT_EQ(create(hpa).status, 201);
  // the chart renders replicas: 1; the HPA raises it to its minimum
  EXPECT_TRUE(eventually([&] { return replicas(chart::kBackend) == 2; })) << replicas(chart::kBackend);
  server->controls().setHpaRecommendation(kNs, chart::kBackend, 9);
  EXPECT_TRUE(eventually([&] { return replicas(chart::kBackend) == 4; })) << replicas(chart::kBackend);
  auto status = client->get("/apis/autoscaling/v2/namespaces/phase/horizontalpodautoscalers/phase-console-backend").json()["status"];
  EXPECT_EQ(status["desiredReplicas"], 4);
  // scaled to 0 by someone else: autoscaling is off until replicas come back
  ASSERT_EQ(client->mergePatch("/apis/apps/v1/namespaces/phase/deployments/phase-console-backend",
                               Json{{"spec", {{"replicas", 0}}}}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(replicas(chart::kBackend), 0);
  EXPECT_TRUE(eventually([&] {
    auto s = client->get("/apis/autoscaling/v2/namespaces/phase/horizontalpodautoscalers/phase-console-backend").json();
    for (const auto& c : s["status"].value("conditions", Json::array()))
      if (c["type"] == "ScalingActive") return c["reason"] == "ScalingDisabled";
    return false;
  }));
  // helm upgrade puts replicas: 1 back; the HPA takes over again
  ASSERT_EQ(client->mergePatch("/apis/apps/v1/namespaces/phase/deployments/phase-console-backend",
                               Json{{"spec", {{"replicas", 1}}}}).status, 200);
  EXPECT_TRUE(eventually([&] { return replicas(chart::kBackend) == 4; })) << replicas(chart::kBackend);
}

}  // namespace
}  // namespace pmo::sandbox::testing
