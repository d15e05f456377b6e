// Built-in workloads are validated as kube-apiserver 1.32 validates them: Deployments, Pods,
// Jobs and CronJobs (the messages are the real server's, byte for byte).
#include "sandbox/api_error.hpp"
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";
const std::string kPods = "/api/v1/namespaces/default/pods";
const std::string kJobs = "/apis/batch/v1/namespaces/default/jobs";
const std::string kCronJobs = "/apis/batch/v1/namespaces/default/cronjobs";
const std::string kLabelRegex =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

Json container(const std::string& name = "app", const std::string& image = "phase:v1") {
  return {{"name", name}, {"image", image}};
}

Json deploymentJson(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template", {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", {{"containers", {container()}}}}}}}}};
}

Json jobJson(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec", {{"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {container()}}}}}}}}};
}

Json cronJobJson(const std::string& name, const std::string& schedule) {
  Json tmpl = jobJson("unused")["spec"];
  return {{"metadata", {{"name", name}}}, {"spec", {{"schedule", schedule}, {"jobTemplate", {{"spec", tmpl}}}}}};
}

// 422 Invalid with exactly `message`, and a cause naming `field`.
void expectInvalid(const Reply& r, const std::string& message, const std::string& field) {
  ASSERT_EQ(r.status, 422) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["reason"], "Invalid");
  EXPECT_EQ(s["message"], message);
  bool found = false;
  for (const auto& c : s["details"]["causes"]) found = found || c["field"] == field;
  EXPECT_TRUE(found) << "no cause for " << field << " in " << r.body;
}

TEST_F(SandboxTest, DeploymentWithNegativeReplicasIsInvalid) {
  Json d = deploymentJson("web");
  d["spec"]["replicas"] = -1;
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.replicas");
  // a patch goes through the same validation
  ASSERT_EQ(client->post(kDeploys, deploymentJson("web")).status, 201);
  expectInvalid(client->mergePatch(kDeploys + "/web", {{"spec", {{"replicas", -2}}}}),
                "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0",
                "spec.replicas");
}

TEST_F(SandboxTest, DeploymentSelectorMustExistAndMatchTheTemplateLabels) {
  Json d = deploymentJson("web");
  d["spec"]["template"]["metadata"]["labels"] = {{"app", "other"}};
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
                "map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
                "spec.template.metadata.labels");
  d = deploymentJson("web");
  d["spec"].erase("selector");
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: "
                "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`]",
                "spec.selector");
  d["spec"]["selector"] = Json::object();
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:"
                "map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is "
                "invalid for deployment",
                "spec.selector");
}

TEST_F(SandboxTest, DeploymentSelectorIsImmutable) {
  ASSERT_EQ(client->post(kDeploys, deploymentJson("web")).status, 201);
  Json patch = {{"spec",
                 {{"selector", {{"matchLabels", {{"app", "web"}, {"tier", "b"}}}}},
                  {"template", {{"metadata", {{"labels", {{"app", "web"}, {"tier", "b"}}}}}}}}}};
  expectInvalid(client->mergePatch(kDeploys + "/web", patch),
                "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:"
                "map[string]string{\"app\":\"web\", \"tier\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
                "field is immutable",
                "spec.selector");
}

TEST_F(SandboxTest, DeploymentStrategyAndTemplateRestartPolicyAreChecked) {
  Json d = deploymentJson("web");
  d["spec"]["strategy"] = {{"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 0}}}};
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: "
                "may not be 0 when `maxSurge` is 0",
                "spec.strategy.rollingUpdate.maxUnavailable");
  d = deploymentJson("web");
  d["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  expectInvalid(client->post(kDeploys, d),
                "Deployment.apps \"web\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
                "supported values: \"Always\"",
                "spec.template.spec.restartPolicy");
}

TEST_F(SandboxTest, ContainerNamesImagesAndVolumeMountsAreChecked) {
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", {container("Bad_Name")}}}}};
  expectInvalid(client->post(kPods, pod),
                "Pod \"p\" is invalid: spec.containers[0].name: Invalid value: \"Bad_Name\": " + kLabelRegex,
                "spec.containers[0].name");
  pod["spec"]["containers"] = {container("a"), container("a", "")};
  expectInvalid(client->post(kPods, pod),
                "Pod \"p\" is invalid: [spec.containers[1].image: Required value, spec.containers[1].name: Duplicate "
                "value: \"a\"]",
                "spec.containers[1].name");
  pod["spec"]["containers"] = Json::array();
  expectInvalid(client->post(kPods, pod), "Pod \"p\" is invalid: spec.containers: Required value", "spec.containers");
  Json c = container();
  c["volumeMounts"] = {{{"name", "data"}, {"mountPath", "/data"}}};
  pod["spec"]["containers"] = {c};
  expectInvalid(client->post(kPods, pod),
                "Pod \"p\" is invalid: spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                "spec.containers[0].volumeMounts[0].name");
  pod["spec"]["volumes"] = {{{"name", "data"}, {"secret", {{"secretName", "s"}}}, {"emptyDir", Json::object()}}};
  expectInvalid(client->post(kPods, pod),
                "Pod \"p\" is invalid: [spec.volumes[0].secret: Forbidden: may not specify more than 1 volume type, "
                "spec.containers[0].volumeMounts[0].name: Not found: \"data\"]",
                "spec.volumes[0].secret");
  pod["spec"]["volumes"][0].erase("emptyDir");
  EXPECT_EQ(client->post(kPods, pod).status, 201);
}

TEST_F(SandboxTest, ContainerEnvPortsAndResourcesAreChecked) {
  Json c = container();
  c["env"] = {{{"name", "A"}, {"value", "x"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}}};
  c["ports"] = {{{"containerPort", 70000}}};
  c["resources"] = {{"requests", {{"cpu", "2"}}}, {"limits", {{"cpu", "1"}}}};
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", {c}}}}};
  expectInvalid(client->post(kPods, pod),
                "Pod \"p\" is invalid: [spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be "
                "between 1 and 65535, inclusive, spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be "
                "specified when `value` is not empty, spec.containers[0].resources.requests: Invalid value: \"2\": "
                "must be less than or equal to cpu limit of 1]",
                "spec.containers[0].resources.requests");
}

TEST_F(SandboxTest, PodUpdatesMayChangeOnlyImagesAndDeadlines) {
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", {container()}}}}};
  ASSERT_EQ(client->post(kPods, pod).status, 201);
  auto image = client->jsonPatch(kPods + "/p", Json::parse(R"([{"op":"replace","path":"/spec/containers/0/image","value":"phase:v2"}])"));
  EXPECT_EQ(image.status, 200) << image.body;
  auto r = client->mergePatch(kPods + "/p", {{"spec", {{"restartPolicy", "Never"}}}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], "spec");
  EXPECT_EQ(r.json()["message"].get<std::string>().rfind("Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`", 0), 0u);
}

TEST_F(SandboxTest, JobTemplateNeedsOnFailureOrNeverAndBoundsAreChecked) {
  Json j = jobJson("j");
  j["spec"]["template"]["spec"].erase("restartPolicy");  // defaulted to Always
  expectInvalid(client->post(kJobs, j),
                "Job.batch \"j\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "
                "\"OnFailure\", \"Never\"",
                "spec.template.spec.restartPolicy");
  j = jobJson("j");
  j["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes";
  j["spec"]["backoffLimit"] = -1;
  expectInvalid(client->post(kJobs, j),
                "Job.batch \"j\" is invalid: [spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0, "
                "spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
                "\"OnFailure\", \"Never\", spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": "
                "supported values: \"OnFailure\", \"Never\"]",
                "spec.backoffLimit");
}

TEST_F(SandboxTest, JobTemplateAndSelectorAreImmutable) {
  ASSERT_EQ(client->post(kJobs, jobJson("j")).status, 201);
  auto r = client->jsonPatch(kJobs + "/j", Json::parse(R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"phase:v2"}])"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["message"], "Job.batch \"j\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable");
  r = client->jsonPatch(kJobs + "/j", Json::parse(R"([{"op":"add","path":"/spec/selector/matchLabels/x","value":"y"}])"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.json()["message"].get<std::string>().find("spec.selector: Invalid value: v1.LabelSelector{"), std::string::npos);
  EXPECT_EQ(client->mergePatch(kJobs + "/j", {{"spec", {{"suspend", true}}}}).status, 200);
}

TEST_F(SandboxTest, CronJobScheduleIsParsedAsTheStandardCronParserDoes) {
  int n = 0;
  for (const char* ok : {"0 3 * * *", "*/15 1-5 1,15 jan-jun MON-FRI", "@daily", "@every 1h30m", "0 0 ? * sun"})
    EXPECT_EQ(client->post(kCronJobs, cronJobJson("c" + std::to_string(n++), ok)).status, 201) << ok;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"61 * * * *", "end of range (61) above maximum (59): 61"},
      {"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
      {"0 0 * * 7", "end of range (7) above maximum (6): 7"},
      {"0 0 * foo *", "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax"},
      {"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
      {"*/0 * * * *", "step of range should be a positive number: */0"},
      {"@every 5x", "failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\""},
      {"@fortnightly", "unrecognized descriptor: @fortnightly"}};
  for (const auto& [schedule, why] : bad)
    expectInvalid(client->post(kCronJobs, cronJobJson("bad", schedule)),
                  "CronJob.batch \"bad\" is invalid: spec.schedule: Invalid value: " + goQuote(schedule) + ": " + why,
                  "spec.schedule");
  expectInvalid(client->post(kCronJobs, cronJobJson("bad", "CRON_TZ=UTC 0 3 * * *")),
                "CronJob.batch \"bad\" is invalid: spec.schedule: Invalid value: \"CRON_TZ=UTC 0 3 * * *\": cannot use "
                "TZ or CRON_TZ in schedule, use timeZone field instead",
                "spec.schedule");
}

TEST_F(SandboxTest, CronJobTimeZoneMustBeInTheTzDatabase) {
  Json cj = cronJobJson("c", "0 3 * * *");
  cj["spec"]["timeZone"] = "Europe/Paris";
  EXPECT_EQ(client->post(kCronJobs, cj).status, 201);
  cj["metadata"]["name"] = "bad";
  cj["spec"]["timeZone"] = "Mars/Olympus";
  expectInvalid(client->post(kCronJobs, cj),
                "CronJob.batch \"bad\" is invalid: spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone "
                "Mars/Olympus",
                "spec.timeZone");
  cj["spec"]["timeZone"] = "Local";
  expectInvalid(client->post(kCronJobs, cj),
                "CronJob.batch \"bad\" is invalid: spec.timeZone: Invalid value: \"Local\": timeZone must be an "
                "explicit time zone as defined in https://www.iana.org/time-zones",
                "spec.timeZone");
}

TEST_F(SandboxTest, CronJobNameLimitHistoryLimitsAndJobTemplateAreChecked) {
  Json cj = cronJobJson(std::string(53, 'a'), "0 3 * * *");
  expectInvalid(client->post(kCronJobs, cj),
                "CronJob.batch \"" + std::string(53, 'a') + "\" is invalid: metadata.name: Invalid value: \"" +
                    std::string(53, 'a') + "\": must be no more than 52 characters",
                "metadata.name");
  cj = cronJobJson("c", "0 3 * * *");
  cj["spec"]["successfulJobsHistoryLimit"] = -1;
  cj["spec"]["jobTemplate"]["spec"]["template"]["spec"].erase("restartPolicy");
  expectInvalid(client->post(kCronJobs, cj),
                "CronJob.batch \"c\" is invalid: [spec.jobTemplate.spec.template.spec.restartPolicy: Required value: "
                "valid values: \"OnFailure\", \"Never\", spec.successfulJobsHistoryLimit: Invalid value: -1: must be "
                "greater than or equal to 0]",
                "spec.successfulJobsHistoryLimit");
}

}  // namespace
}  // namespace pmo::sandbox::testing
