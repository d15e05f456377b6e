// The simulated Job, CronJob and Deployment controllers, and the admin endpoints.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kJobs = "/apis/batch/v1/namespaces/default/jobs";
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";

Json job(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec", {{"backoffLimit", 0},
                    {"template", {{"spec", {{"restartPolicy", "Never"},
                                            {"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}}}}}};
}

Json condition(const Json& o, const std::string& type) {
  for (const auto& c : o["status"].value("conditions", Json::array()))
    if (c["type"] == type) return c;
  return nullptr;
}

TEST_F(SandboxTest, SimulatedJobSucceedsWithPodTerminationMessageAndLog) {
  JobBehaviour b;
  b.terminationMessage = R"({"deleted":42})";
  b.log = "purged 42 rows\n";
  server->controls().setJobBehaviour("purge-", b);
  ASSERT_EQ(client->post(kJobs, job("purge-1")).status, 201);
  ASSERT_TRUE(eventually([&] { return !condition(client->get(kJobs + "/purge-1").json(), "Complete").is_null(); }));
  Json j = client->get(kJobs + "/purge-1").json();
  EXPECT_EQ(j["status"]["succeeded"], 1);
  EXPECT_TRUE(j["status"].contains("startTime"));
  EXPECT_TRUE(j["status"].contains("completionTime"));
  auto pods = client->get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dpurge-1").json()["items"];
  ASSERT_EQ(pods.size(), 1u);
  Json pod = pods[0];
  std::string podName = pod["metadata"]["name"];
  EXPECT_EQ(podName.rfind("purge-1-", 0), 0u);
  EXPECT_EQ(pod["metadata"]["labels"]["controller-uid"], j["metadata"]["uid"]);
  EXPECT_EQ(pod["status"]["phase"], "Succeeded");
  auto term = pod["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(term["exitCode"], 0);
  EXPECT_EQ(term["message"], R"({"deleted":42})");
  auto log = client->get("/api/v1/namespaces/default/pods/" + podName + "/log");
  EXPECT_EQ(log.body, "purged 42 rows\n");
}

TEST_F(SandboxTest, SimulatedJobFailsWithReason) {
  JobBehaviour b;
  b.succeed = false;
  b.terminationMessage = "relation does not exist";
  server->controls().setJobBehaviour("migrate-", b);
  ASSERT_EQ(client->post(kJobs, job("migrate-v2")).status, 201);
  ASSERT_TRUE(eventually([&] { return !condition(client->get(kJobs + "/migrate-v2").json(), "Failed").is_null(); }));
  Json j = client->get(kJobs + "/migrate-v2").json();
  EXPECT_EQ(condition(j, "Failed")["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(j["status"]["failed"], 1);
  auto pod = client->get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dmigrate-v2").json()["items"][0];
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 1);
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"], "relation does not exist");
}

TEST_F(SandboxTest, CronJobTriggerCreatesOwnedJobAndUpdatesStatus) {
  Json cj = {{"metadata", {{"name", "purge"}}},
             {"spec", {{"schedule", "0 3 * * *"}, {"jobTemplate", {{"spec", job("x")["spec"]}}}}}};
  auto created = client->post("/apis/batch/v1/namespaces/default/cronjobs", cj);
  ASSERT_EQ(created.status, 201) << created.body;
  auto r = client->request("POST", "/sandbox/v1/cronjobs/default/purge/trigger");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string name = r.json()["job"];
  Json j = client->get(kJobs + "/" + name).json();
  EXPECT_EQ(j["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  ASSERT_TRUE(eventually([&] {
    return client->get("/apis/batch/v1/namespaces/default/cronjobs/purge").json()["status"].contains("lastSuccessfulTime");
  }));
  Json status = client->get("/apis/batch/v1/namespaces/default/cronjobs/purge").json()["status"];
  EXPECT_TRUE(status.contains("lastScheduleTime"));
  EXPECT_FALSE(status.contains("active"));
}

Json deployment(const std::string& name, int replicas, const std::string& image) {
  return {{"metadata", {{"name", name}}},
          {"spec", {{"replicas", replicas},
                    {"selector", {{"matchLabels", {{"app", name}}}}},
                    {"template", {{"metadata", {{"labels", {{"app", name}}}}},
                                  {"spec", {{"containers", {{{"name", "backend"}, {"image", image}}}}}}}}}}};
}

TEST_F(SandboxTest, DeploymentRollsOutAndPausedDeploymentDoesNot) {
  ASSERT_EQ(client->post(kDeploys, deployment("backend", 2, "phase:v1")).status, 201);
  auto rolledOut = [&](long gen) {
    Json d = client->get(kDeploys + "/backend").json();
    const Json s = d["status"];
    return s.value("observedGeneration", 0L) == gen && s.value("updatedReplicas", 0) == 2 &&
           s.value("availableReplicas", 0) == 2 && s.value("readyReplicas", 0) == 2 && s.value("replicas", 0) == 2 &&
           condition(d, "Progressing").value("reason", "") == "NewReplicaSetAvailable";
  };
  ASSERT_TRUE(eventually([&] { return rolledOut(1); }));
  Json d = client->get(kDeploys + "/backend").json();
  EXPECT_EQ(condition(d, "Available")["status"], "True");
  EXPECT_EQ(condition(d, "Progressing")["reason"], "NewReplicaSetAvailable");
  // paused: observedGeneration follows, the new template does not roll out
  client->mergePatch(kDeploys + "/backend", {{"spec", {{"paused", true}}}});
  client->request("PATCH", kDeploys + "/backend",
                  R"({"spec":{"template":{"spec":{"containers":[{"name":"backend","image":"phase:v2"}]}}}})",
                  "application/strategic-merge-patch+json");
  ASSERT_TRUE(eventually([&] {
    return client->get(kDeploys + "/backend").json()["status"].value("observedGeneration", 0) == 3;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  d = client->get(kDeploys + "/backend").json();
  EXPECT_EQ(d["status"]["observedGeneration"], 3);
  // no rollout while paused: the old ReplicaSet's pods serve, none has the new template
  // (the real controller counts updatedReplicas from the ReplicaSet of the current template)
  EXPECT_EQ(d["status"]["availableReplicas"], 2);
  EXPECT_FALSE(d["status"].contains("updatedReplicas"));
  EXPECT_EQ(condition(d, "Progressing")["reason"], "DeploymentPaused");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "phase:v2");
  // resumed: rolls out
  client->mergePatch(kDeploys + "/backend", {{"spec", {{"paused", false}}}});
  ASSERT_TRUE(eventually([&] { return rolledOut(4); }));
  // at rest: no more writes by the controller
  std::string rv = client->get(kDeploys + "/backend").json()["metadata"]["resourceVersion"];
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(client->get(kDeploys + "/backend").json()["metadata"]["resourceVersion"], rv);
}

TEST_F(SandboxTest, AdminEndpointsDriveTheControls) {
  auto off = client->request("POST", "/sandbox/v1/controllers", R"({"jobs":false})");
  ASSERT_EQ(off.status, 200) << off.body;
  ASSERT_EQ(client->post(kJobs, job("idle")).status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(client->get(kJobs + "/idle").json()["status"].contains("startTime"));
  client->request("POST", "/sandbox/v1/controllers", R"({"jobs":true})");
  EXPECT_TRUE(eventually([&] { return client->get(kJobs + "/idle").json()["status"].contains("succeeded"); }));
  EXPECT_EQ(client->request("POST", "/sandbox/v1/faults", R"({"count":1,"code":503,"reason":"ServiceUnavailable"})").status, 200);
  EXPECT_EQ(client->get("/api/v1/namespaces").status, 503);
  auto log = client->get("/sandbox/v1/requests").json();
  EXPECT_FALSE(log["items"].empty());
  EXPECT_EQ(client->request("DELETE", "/sandbox/v1/requests").status, 200);
  EXPECT_EQ(client->request("POST", "/sandbox/v1/compact").status, 200);
  EXPECT_EQ(client->request("POST", "/sandbox/v1/watches/drop").status, 200);
  Client wrong(server->url(), server->caPem(), "nope");
  EXPECT_EQ(wrong.request("POST", "/sandbox/v1/compact").status, 401);
}

}  // namespace
}  // namespace pmo::sandbox::testing
