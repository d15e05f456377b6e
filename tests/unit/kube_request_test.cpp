// Pure request building and response->ApiError mapping (kube/request.hpp).
#include <gtest/gtest.h>

#include "kube/request.hpp"
#include "kube/watch_events.hpp"

namespace pmo::kube {
namespace {

using namespace resources;

TEST(KubeRequest, GetBuildsNamespacedAndClusterScopedPaths) {
  auto deployment = request::get(kDeployments, "phase", "phase-console-backend");
  EXPECT_EQ(deployment.method, "GET");
  EXPECT_EQ(deployment.path, "/apis/apps/v1/namespaces/phase/deployments/phase-console-backend");
  EXPECT_EQ(deployment.verb, "get");
  EXPECT_EQ(deployment.resource, "deployments");
  EXPECT_TRUE(deployment.body.empty());
  EXPECT_EQ(request::get(kNamespaces, "", "phase").path, "/api/v1/namespaces/phase");
  EXPECT_EQ(request::get(kNamespaces, "ignored", "phase").path, "/api/v1/namespaces/phase");
  EXPECT_EQ(request::get(kCustomResourceDefinitions, "", "phasemaintenances.maintenance.phase.dev").path,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/phasemaintenances.maintenance.phase.dev");
}

TEST(KubeRequest, RefusesAnEmptyNameOrAMissingNamespace) {
  try {
    request::get(kPods, "ns", "");
    FAIL() << "an empty name must not turn a get into a list";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::BadRequest);
  }
  EXPECT_THROW(request::get(kPods, "", "p"), ApiError);
  EXPECT_THROW(request::create(kPods, "", Json{{"metadata", {{"name", "p"}}}}), ApiError);
}

TEST(KubeRequest, EscapesPathSegmentsAndQueryValues) {
  EXPECT_EQ(request::percentEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(request::percentEncode("a b/c?d&e=f"), "a%20b%2Fc%3Fd%26e%3Df");
  EXPECT_EQ(request::get(kSecrets, "n s", "a/b").path, "/api/v1/namespaces/n%20s/secrets/a%2Fb");
  ListOptions opts;
  opts.labelSelector = "app.kubernetes.io/name=phase,tier in (a,b),!legacy";
  opts.fieldSelector = "metadata.name=x";
  EXPECT_EQ(request::list(kPods, "ns", opts).path,
            "/api/v1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fname%3Dphase%2Ctier%20in%20%28a%2Cb%29%2C%21"
            "legacy&fieldSelector=metadata.name%3Dx");
}

TEST(KubeRequest, ListCarriesPaginationAndResourceVersion) {
  ListOptions opts;
  opts.limit = 50;
  opts.continueToken = "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==";
  opts.resourceVersion = "123";
  auto req = request::list(kJobs, "", opts);
  EXPECT_EQ(req.path, "/apis/batch/v1/jobs?limit=50&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ%3D%3D&resourceVersion=123");
  EXPECT_EQ(req.verb, "list");
  EXPECT_EQ(request::list(kJobs, "ns", {}).path, "/apis/batch/v1/namespaces/ns/jobs");
}

TEST(KubeRequest, WatchAsksForBookmarksAndAServerTimeout) {
  WatchOptions opts;
  opts.resourceVersion = "42";
  opts.labelSelector = "a=b";
  auto req = request::watch(kPhaseMaintenances, "phase", opts);
  EXPECT_EQ(req.path,
            "/apis/maintenance.phase.dev/v1alpha1/namespaces/phase/phasemaintenances?watch=1&labelSelector=a%3Db&"
            "resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300");
  EXPECT_EQ(req.verb, "watch");
  opts = {};
  opts.allowBookmarks = false;
  opts.timeoutSeconds = 0;
  EXPECT_EQ(request::watch(kPods, "", opts).path, "/api/v1/pods?watch=1");
}

TEST(KubeRequest, CreateUpdateAndStatusCarryTheObject) {
  Json obj{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
           {"metadata", {{"name", "cm"}, {"namespace", "from-object"}, {"resourceVersion", "7"}}}};
  auto create = request::create(kConfigMaps, "ns", obj);
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.path, "/api/v1/namespaces/ns/configmaps");
  EXPECT_EQ(create.contentType, "application/json");
  EXPECT_EQ(Json::parse(create.body), obj);
  EXPECT_EQ(request::create(kConfigMaps, "", obj).path, "/api/v1/namespaces/from-object/configmaps");

  auto update = request::update(kConfigMaps, "", obj);
  EXPECT_EQ(update.method, "PUT");
  EXPECT_EQ(update.path, "/api/v1/namespaces/from-object/configmaps/cm");
  EXPECT_EQ(Json::parse(update.body)["metadata"]["resourceVersion"], "7");  // the precondition
  EXPECT_EQ(update.verb, "update");

  auto status = request::updateStatus(kPhaseMaintenances, "phase", Json{{"metadata", {{"name", "pm"}}}});
  EXPECT_EQ(status.path, "/apis/maintenance.phase.dev/v1alpha1/namespaces/phase/phasemaintenances/pm/status");
  EXPECT_EQ(status.resource, "phasemaintenances/status");
  EXPECT_THROW(request::update(kConfigMaps, "ns", Json{{"metadata", Json::object()}}), ApiError);
}

TEST(KubeRequest, PatchContentTypes) {
  auto merge = request::patch(kDeployments, "ns", "d", PatchType::Merge, {{"spec", {{"paused", true}}}}, false);
  EXPECT_EQ(merge.method, "PATCH");
  EXPECT_EQ(merge.contentType, "application/merge-patch+json");
  EXPECT_EQ(merge.path, "/apis/apps/v1/namespaces/ns/deployments/d");
  Json ops = Json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", "5"}}});
  auto jsonPatch = request::patch(kDeployments, "ns", "d", PatchType::Json, ops, true);
  EXPECT_EQ(jsonPatch.contentType, "application/json-patch+json");
  EXPECT_EQ(jsonPatch.path, "/apis/apps/v1/namespaces/ns/deployments/d/status");
  EXPECT_EQ(Json::parse(jsonPatch.body), ops);
  EXPECT_EQ(request::patch(kDeployments, "ns", "d", PatchType::StrategicMerge, Json::object(), false).contentType,
            "application/strategic-merge-patch+json");
  EXPECT_THROW(request::patch(kDeployments, "ns", "d", PatchType::Json, Json::object(), false), ApiError);
}

TEST(KubeRequest, DeleteCarriesPropagationAndPreconditions) {
  auto plain = request::remove(kJobs, "ns", "migrate-v2", Propagation::Foreground, std::nullopt);
  EXPECT_EQ(plain.method, "DELETE");
  EXPECT_EQ(plain.path, "/apis/batch/v1/namespaces/ns/jobs/migrate-v2");
  Json body = Json::parse(plain.body);
  EXPECT_EQ(body["kind"], "DeleteOptions");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_FALSE(body.contains("preconditions"));
  auto guarded = request::remove(kJobs, "ns", "j", Propagation::Orphan, std::string("99"));
  body = Json::parse(guarded.body);
  EXPECT_EQ(body["propagationPolicy"], "Orphan");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "99");
  EXPECT_EQ(Json::parse(request::remove(kJobs, "ns", "j", Propagation::Background, std::nullopt).body)
                ["propagationPolicy"], "Background");
}

TEST(KubeRequest, RawPathsMustBeAbsolute) {
  EXPECT_EQ(request::getRaw("/version").path, "/version");
  EXPECT_THROW(request::getRaw("version"), ApiError);
}

Json status(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
          {"code", code}, {"reason", reason}, {"message", message}};
}

TEST(KubeErrorMapping, MapsStatusReasonsAndCodes) {
  struct Case { int code; std::string reason; ErrorReason want; };
  for (const auto& c : std::vector<Case>{{400, "BadRequest", ErrorReason::BadRequest},
                                         {401, "Unauthorized", ErrorReason::Unauthorized},
                                         {403, "Forbidden", ErrorReason::Forbidden},
                                         {404, "NotFound", ErrorReason::NotFound},
                                         {405, "MethodNotAllowed", ErrorReason::MethodNotAllowed},
                                         {409, "AlreadyExists", ErrorReason::AlreadyExists},
                                         {409, "Conflict", ErrorReason::Conflict},
                                         {409, "", ErrorReason::Conflict},
                                         {410, "Gone", ErrorReason::Gone},
                                         {410, "", ErrorReason::Gone},
                                         {200, "Expired", ErrorReason::Gone},
                                         {422, "Invalid", ErrorReason::Invalid},
                                         {429, "TooManyRequests", ErrorReason::TooManyRequests},
                                         {500, "InternalError", ErrorReason::ServerError},
                                         {503, "ServiceUnavailable", ErrorReason::ServerError},
                                         {504, "Timeout", ErrorReason::Timeout},
                                         {500, "ServerTimeout", ErrorReason::Timeout},
                                         {418, "", ErrorReason::Unknown}}) {
    ApiError e = errorFromResponse(c.code, status(c.code, c.reason, "server says").dump());
    EXPECT_EQ(e.reason(), c.want) << c.code << " " << c.reason << " -> " << toString(e.reason());
    EXPECT_EQ(e.code(), c.code);
    EXPECT_STREQ(e.what(), "server says");
  }
}

TEST(KubeErrorMapping, RetryAfterFromHeaderOrDetails) {
  Json s = status(429, "TooManyRequests", "slow down");
  s["details"] = {{"retryAfterSeconds", 4}};
  EXPECT_EQ(errorFromResponse(429, s.dump()).retryAfter(), std::chrono::seconds(4));
  EXPECT_EQ(errorFromResponse(429, s.dump(), "2").retryAfter(), std::chrono::seconds(2));  // the header wins
  EXPECT_EQ(errorFromResponse(429, "", " 7 ").retryAfter(), std::chrono::seconds(7));
  EXPECT_FALSE(errorFromResponse(429, "", "Wed, 21 Oct 2015 07:28:00 GMT").retryAfter().has_value());
  EXPECT_TRUE(errorFromResponse(429, "", "").transient());
}

TEST(KubeErrorMapping, NonStatusBodiesNameTheCodeAndAreTruncated) {
  ApiError e = errorFromResponse(502, "<html>bad gateway</html>\n");
  EXPECT_EQ(e.reason(), ErrorReason::ServerError);
  EXPECT_STREQ(e.what(), "the API server answered 502: <html>bad gateway</html>");
  ApiError big = errorFromResponse(500, std::string(5000, 'x'));
  EXPECT_LT(std::string(big.what()).size(), 300u);
  EXPECT_STREQ(errorFromResponse(404, status(404, "NotFound", "").dump()).what(),
               "the API server answered 404 NotFound");
}

TEST(KubeWatchEvents, ParsesTypedEventsAndMapsExpiredToGone) {
  auto added = parseWatchEvent(R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}})");
  EXPECT_EQ(added.type, WatchEventType::Added);
  EXPECT_EQ(added.object["metadata"]["resourceVersion"], "5");
  EXPECT_EQ(parseWatchEvent(R"({"type":"MODIFIED","object":{}})").type, WatchEventType::Modified);
  EXPECT_EQ(parseWatchEvent(R"({"type":"DELETED","object":{}})").type, WatchEventType::Deleted);
  EXPECT_EQ(parseWatchEvent(R"({"type":"BOOKMARK","object":{}})").type, WatchEventType::Bookmark);
  try {
    parseWatchEvent(
        R"json({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (5)"}})json");
    FAIL() << "an ERROR event must throw";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::Gone);
    EXPECT_EQ(e.code(), 410);
    EXPECT_STREQ(e.what(), "too old resource version: 1 (5)");
  }
  EXPECT_THROW(parseWatchEvent("not json"), ApiError);
  EXPECT_THROW(parseWatchEvent(R"({"type":"SOMETHING","object":{}})"), ApiError);
}

TEST(KubeWatchEvents, SplitsLinesAcrossArbitraryChunks) {
  LineSplitter s;
  std::string stream = "{\"a\":1}\n\r\n{\"b\":2}\r\n{\"c\":";
  for (char c : stream) s.feed(&c, 1);
  EXPECT_EQ(s.nextLine(), "{\"a\":1}");
  EXPECT_EQ(s.nextLine(), "{\"b\":2}");
  EXPECT_EQ(s.nextLine(), std::nullopt);
  EXPECT_EQ(s.pending(), 5u);
  s.feed("3}\n", 3);
  EXPECT_EQ(s.nextLine(), "{\"c\":3}");
  EXPECT_EQ(s.nextLine(), std::nullopt);
}

TEST(KubeWatchEvents, BoundsTheLengthOfOneEvent) {
  LineSplitter s(16);
  std::string big(32, 'x');
  EXPECT_THROW(s.feed(big.data(), big.size()), ApiError);
}

TEST(KubeNames, ErrorReasonsAndEventTypesHaveNames) {
  EXPECT_STREQ(toString(ErrorReason::Gone), "Gone");
  EXPECT_STREQ(toString(ErrorReason::ConnectionRefused), "ConnectionRefused");
  EXPECT_STREQ(toString(WatchEventType::Bookmark), "BOOKMARK");
}

}  // namespace
}  // namespace pmo::kube
