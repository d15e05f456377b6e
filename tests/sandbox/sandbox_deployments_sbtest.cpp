// The simulated Deployment controller against the real one's behaviour
// (kubernetes/kubernetes pkg/controller/deployment): ReplicaSets, revisions, rolling
// updates within maxSurge/maxUnavailable, rollback, history pruning, pause, scaling,
// Recreate, and the Progressing/Available conditions with ProgressDeadlineExceeded.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";
const std::string kRs = "/apis/apps/v1/namespaces/default/replicasets";

Json deployment(const std::string& name, int replicas, const std::string& image) {
  return {{"metadata", {{"name", name}, {"annotations", {{"kubernetes.io/change-cause", "deploy " + image}}}}},
          {"spec", {{"replicas", replicas},
                    {"selector", {{"matchLabels", {{"app", name}}}}},
                    {"template", {{"metadata", {{"labels", {{"app", name}}}}},
                                  {"spec", {{"containers", {{{"name", "backend"}, {"image", image}}}}}}}}}}};
}

Json condition(const Json& o, const std::string& type) {
  for (const auto& c : o["status"].value("conditions", Json::array()))
    if (c["type"] == type) return c;
  return nullptr;
}

std::string annotation(const Json& o, const std::string& key) {
  return o["metadata"].value("annotations", Json::object()).value(key, "");
}

class DeploymentTest : public SandboxTest {
 protected:
  Json get(const std::string& name) { return client->get(kDeploys + "/" + name).json(); }
  std::vector<Json> replicaSets(const std::string& app) {
    return client->get(kRs + "?labelSelector=app%3D" + app).json()["items"].get<std::vector<Json>>();
  }
  // As kubectl rollout status: the latest generation observed and every replica updated,
  // available, and no old one left.
  bool rolledOut(const std::string& name) {
    Json d = get(name);
    const Json s = d["status"];
    const long want = d["spec"].value("replicas", 1L);
    return s.value("observedGeneration", 0L) >= d["metadata"].value("generation", 1L) &&
           s.value("updatedReplicas", 0L) == want && s.value("replicas", 0L) == want &&
           s.value("availableReplicas", 0L) == want &&
           condition(d, "Progressing").value("reason", "") == "NewReplicaSetAvailable";
  }
  void setImage(const std::string& name, const std::string& image) {
    auto r = client->request("PATCH", kDeploys + "/" + name,
                             R"({"spec":{"template":{"spec":{"containers":[{"name":"backend","image":")" + image +
                                 R"("}]}}}})",
                             "application/strategic-merge-patch+json");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::vector<std::string> eventMessages(const std::string& reason) {
    std::vector<std::string> out;
    const Json list = client->get("/api/v1/namespaces/default/events").json();
    for (const auto& e : list["items"])
      if (e["reason"] == reason) out.push_back(e["message"]);
    return out;
  }
};

TEST_F(DeploymentTest, OwnsAReplicaSetNamedByTemplateHashWithRevisionAndConditions) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 2, "phase:v1")).status, 201);
  ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
  Json d = get("backend");
  auto rss = replicaSets("backend");
  ASSERT_EQ(rss.size(), 1u);
  const Json rs = rss[0];
  const std::string hash = rs["metadata"]["labels"]["pod-template-hash"];
  EXPECT_EQ(rs["metadata"]["name"], "backend-" + hash);
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"], hash);
  const Json owner = rs["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "Deployment");
  EXPECT_EQ(owner["uid"], d["metadata"]["uid"]);
  EXPECT_EQ(owner["controller"], true);
  EXPECT_EQ(owner["blockOwnerDeletion"], true);
  EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/desired-replicas"), "2");
  EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/max-replicas"), "3");  // 2 + 25% surge, rounded up
  EXPECT_EQ(annotation(rs, "kubernetes.io/change-cause"), "deploy phase:v1");  // copied from the Deployment
  EXPECT_EQ(annotation(d, "deployment.kubernetes.io/revision"), "1");
  for (const char* f : {"replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"})
    EXPECT_EQ(rs["status"][f], 2) << f;
  EXPECT_EQ(rs["status"]["observedGeneration"], rs["metadata"]["generation"]);  // helm --wait checks this
  // the real order: Available first, Progressing moved last when it became NewReplicaSetAvailable
  ASSERT_EQ(d["status"]["conditions"].size(), 2u);
  EXPECT_EQ(d["status"]["conditions"][0]["type"], "Available");
  EXPECT_EQ(d["status"]["conditions"][0]["reason"], "MinimumReplicasAvailable");
  EXPECT_EQ(condition(d, "Progressing")["message"], "ReplicaSet \"backend-" + hash + "\" has successfully progressed.");
  EXPECT_EQ(eventMessages("ScalingReplicaSet"), std::vector<std::string>{"Scaled up replica set backend-" + hash + " from 0 to 2"});
  // at rest: nothing is written, to the Deployment or its ReplicaSet
  const std::string rv = client->get(kRs).json()["metadata"]["resourceVersion"];
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(client->get(kRs).json()["metadata"]["resourceVersion"], rv);
}

TEST_F(DeploymentTest, TemplateChangeRollsThroughANewReplicaSetWithinMaxSurge) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 2, "phase:v1")).status, 201);
  ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
  const std::string oldName = replicaSets("backend")[0]["metadata"]["name"];
  // observe every ReplicaSet write: 2 replicas, maxSurge 1, maxUnavailable 0
  const std::string rv = client->get(kRs).json()["metadata"]["resourceVersion"];
  WatchStream w(*client, kRs + "?watch=true&resourceVersion=" + rv);
  setImage("backend", "phase:v2");
  ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
  std::map<std::string, long> spec, available;
  spec[oldName] = 2;
  available[oldName] = 2;
  for (int i = 0; i < 50; ++i) {
    auto e = w.next();
    if (!e) break;
    const Json& o = (*e)["object"];
    spec[o["metadata"]["name"]] = o["spec"].value("replicas", 1L);
    available[o["metadata"]["name"]] = o.value("status", Json::object()).value("availableReplicas", 0L);
    long total = 0, avail = 0;
    for (const auto& [n, r] : spec) total += r;
    for (const auto& [n, a] : available) avail += a;
    EXPECT_LE(total, 3) << "more than replicas + maxSurge pods: " << o.dump();
    EXPECT_GE(avail, 2) << "fewer than replicas - maxUnavailable available: " << o.dump();
    if (spec[oldName] == 0 && available[oldName] == 0 && avail == 2) break;
  }
  auto rss = replicaSets("backend");
  ASSERT_EQ(rss.size(), 2u);
  for (const auto& rs : rss) {
    const bool isOld = rs["metadata"]["name"] == oldName;
    EXPECT_EQ(rs["spec"]["replicas"], isOld ? 0 : 2);
    EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/revision"), isOld ? "1" : "2");
  }
  EXPECT_EQ(annotation(get("backend"), "deployment.kubernetes.io/revision"), "2");
  const auto events = eventMessages("ScalingReplicaSet");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[1].rfind("Scaled up replica set backend-", 0), 0u);
  EXPECT_NE(events[1].find(" from 0 to 1"), std::string::npos) << events[1];  // one surge pod first
}

TEST_F(DeploymentTest, RollbackReusesTheOldReplicaSetWithANewRevision) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 1, "phase:v1")).status, 201);
  ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
  const std::string first = replicaSets("backend")[0]["metadata"]["name"];
  setImage("backend", "phase:v2");
  ASSERT_TRUE(eventually([&] { return rolledOut("backend") && replicaSets("backend").size() == 2; }));
  setImage("backend", "phase:v1");
  ASSERT_TRUE(eventually([&] { return rolledOut("backend") && annotation(get("backend"), "deployment.kubernetes.io/revision") == "3"; }));
  auto rss = replicaSets("backend");
  ASSERT_EQ(rss.size(), 2u);
  for (const auto& rs : rss) {
    if (rs["metadata"]["name"] != first) continue;
    EXPECT_EQ(rs["spec"]["replicas"], 1);
    EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/revision"), "3");
    EXPECT_EQ(annotation(rs, "deployment.kubernetes.io/revision-history"), "1");
  }
}

TEST_F(DeploymentTest, RevisionHistoryLimitPrunesOldReplicaSets) {
  Json d = deployment("backend", 1, "phase:v1");
  d["spec"]["revisionHistoryLimit"] = 1;
  ASSERT_EQ(client->post(kDeploys, d).status, 201);
  for (const char* image : {"phase:v2", "phase:v3"}) {
    ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
    setImage("backend", image);
  }
  ASSERT_TRUE(eventually([&] { return rolledOut("backend") && replicaSets("backend").size() == 2; }));
  std::set<std::string> revisions;
  for (const auto& rs : replicaSets("backend")) revisions.insert(annotation(rs, "deployment.kubernetes.io/revision"));
  EXPECT_EQ(revisions, (std::set<std::string>{"2", "3"}));
}

TEST_F(DeploymentTest, PausedDeploymentScalesButHoldsItsTemplateUntilResumed) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 2, "phase:v1")).status, 201);
  ASSERT_TRUE(eventually([&] { return rolledOut("backend"); }));
  const std::string rv = get("backend")["metadata"]["resourceVersion"];
  WatchStream w(*client, kDeploys + "?watch=true&fieldSelector=metadata.name%3Dbackend&resourceVersion=" + rv);
  client->mergePatch(kDeploys + "/backend", {{"spec", {{"paused", true}}}});
  setImage("backend", "phase:v2");
  client->mergePatch(kDeploys + "/backend", {{"spec", {{"replicas", 3}}}});
  ASSERT_TRUE(eventually([&] {
    Json d = get("backend");
    return d["status"].value("observedGeneration", 0L) == d["metadata"].value("generation", 0L) &&
           d["status"].value("availableReplicas", 0L) == 3;
  }));
  Json d = get("backend");
  EXPECT_EQ(condition(d, "Progressing")["status"], "Unknown");
  EXPECT_EQ(condition(d, "Progressing")["reason"], "DeploymentPaused");
  EXPECT_FALSE(d["status"].contains("updatedReplicas"));  // no ReplicaSet has the paused template
  auto rss = replicaSets("backend");
  ASSERT_EQ(rss.size(), 1u);  // scaled, not rolled out
  EXPECT_EQ(rss[0]["spec"]["replicas"], 3);
  EXPECT_EQ(annotation(rss[0], "deployment.kubernetes.io/desired-replicas"), "3");
  client->mergePatch(kDeploys + "/backend", {{"spec", {{"paused", false}}}});
  ASSERT_TRUE(eventually([&] { return rolledOut("backend") && replicaSets("backend").size() == 2; }));
  std::vector<std::string> reasons;
  for (int i = 0; i < 100; ++i) {
    auto e = w.next();
    if (!e) break;
    std::string reason = condition((*e)["object"], "Progressing").value("reason", "");
    if (reasons.empty() || reasons.back() != reason) reasons.push_back(reason);
    if (reason == "NewReplicaSetAvailable" && reasons.size() > 2) break;
  }
  auto resumed = std::find(reasons.begin(), reasons.end(), "DeploymentResumed");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "DeploymentPaused"), reasons.end());
  EXPECT_NE(resumed, reasons.end()) << "resuming must say DeploymentResumed";
  EXPECT_EQ(reasons.back(), "NewReplicaSetAvailable");
}

TEST_F(DeploymentTest, StuckRolloutExceedsItsProgressDeadlineUntilPodsGetReady) {
  auto r = client->request("POST", "/sandbox/v1/deployments/behaviour", R"({"namePrefix":"stuck","stuck":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json d = deployment("stuck", 1, "phase:v1");
  d["spec"]["progressDeadlineSeconds"] = 1;
  ASSERT_EQ(client->post(kDeploys, d).status, 201);
  ASSERT_TRUE(eventually([&] { return condition(get("stuck"), "Progressing").value("status", "") == "False"; },
                         std::chrono::seconds(8)));
  d = get("stuck");
  const std::string rs = replicaSets("stuck")[0]["metadata"]["name"];
  EXPECT_EQ(condition(d, "Progressing")["reason"], "ProgressDeadlineExceeded");
  EXPECT_EQ(condition(d, "Progressing")["message"], "ReplicaSet \"" + rs + "\" has timed out progressing.");
  EXPECT_EQ(condition(d, "Available")["reason"], "MinimumReplicasUnavailable");
  EXPECT_EQ(d["status"]["unavailableReplicas"], 1);
  r = client->request("POST", "/sandbox/v1/deployments/behaviour", R"({"namePrefix":"stuck","stuck":false,"readyAfterMs":50})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(eventually([&] { return rolledOut("stuck"); }));
}

TEST_F(DeploymentTest, RecreateScalesTheOldReplicaSetDownBeforeTheNewOneExists) {
  Json d = deployment("worker", 2, "phase:v1");
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  ASSERT_EQ(client->post(kDeploys, d).status, 201);
  ASSERT_TRUE(eventually([&] { return rolledOut("worker"); }));
  const std::string rv = client->get(kRs).json()["metadata"]["resourceVersion"];
  WatchStream w(*client, kRs + "?watch=true&resourceVersion=" + rv);
  setImage("worker", "phase:v2");
  ASSERT_TRUE(eventually([&] { return rolledOut("worker"); }));
  bool oldGone = false;
  for (int i = 0; i < 20; ++i) {
    auto e = w.next();
    ASSERT_TRUE(e.has_value());
    const Json& o = (*e)["object"];
    if ((*e)["type"] == "ADDED") {
      EXPECT_TRUE(oldGone) << "the new ReplicaSet was created while old pods ran";
      EXPECT_EQ(o["spec"]["replicas"], 2);
      break;
    }
    if (o["spec"]["replicas"] == 0 && !o["status"].contains("readyReplicas")) oldGone = true;
  }
}

TEST_F(DeploymentTest, DeletingTheDeploymentCollectsItsReplicaSets) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 1, "phase:v1")).status, 201);
  ASSERT_TRUE(eventually([&] { return replicaSets("backend").size() == 1; }));
  ASSERT_EQ(client->del(kDeploys + "/backend").status, 200);
  EXPECT_TRUE(eventually([&] { return replicaSets("backend").empty(); }));
}

}  // namespace
}  // namespace pmo::sandbox::testing
