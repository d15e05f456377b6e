// Protocol details real clients rely on, as kube-apiserver answers them: list pages as
// consistent snapshots and their expiry, resourceVersion/resourceVersionMatch, a
// resourceVersion from the future, DeleteOptions in protobuf, watch in Table form.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kCms = "/api/v1/namespaces/default/configmaps";
const std::string kTableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io";

std::string rvOf(const Json& o) { return o["metadata"]["resourceVersion"]; }

std::vector<std::string> names(const Json& list) {
  std::vector<std::string> out;
  for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
  return out;
}

std::string urlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class ProtocolTest : public SandboxTest {
 protected:
  void makeConfigMaps(std::initializer_list<const char*> ns) {
    for (const char* n : ns) ASSERT_EQ(client->post(kCms, {{"metadata", {{"name", n}}}, {"data", {{"v", "1"}}}}).status, 201);
  }
};

TEST_F(ProtocolTest, ContinuedPagesListTheFirstPagesSnapshot) {
  makeConfigMaps({"a", "b", "c", "d", "e"});
  Json first = client->get(kCms + "?limit=2").json();
  EXPECT_EQ(names(first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first["metadata"]["remainingItemCount"], 3);
  const std::string token = first["metadata"]["continue"];
  const std::string snapshot = rvOf(first);
  // what happens after the first page does not show in the rest of this list
  client->del(kCms + "/c");
  client->mergePatch(kCms + "/d", {{"data", {{"v", "2"}}}});
  makeConfigMaps({"bb", "f"});
  Json second = client->get(kCms + "?limit=2&continue=" + urlEncode(token)).json();
  EXPECT_EQ(names(second), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(second["items"][1]["data"]["v"], "1");
  EXPECT_EQ(rvOf(second), snapshot) << "a continued page carries the first page's resourceVersion";
  Json third = client->get(kCms + "?limit=2&continue=" + urlEncode(second["metadata"]["continue"])).json();
  EXPECT_EQ(names(third), (std::vector<std::string>{"e"}));
  EXPECT_FALSE(third["metadata"].contains("continue"));
  // resourceVersion "0" reads the watch cache, which ignores limit (1.32)
  EXPECT_EQ(names(client->get(kCms + "?limit=2&resourceVersion=0").json()).size(), 6u);
}

TEST_F(ProtocolTest, AContinueTokenOlderThanTheHistoryIs410WithATokenForTheRest) {
  makeConfigMaps({"a", "b", "c"});
  Json first = client->get(kCms + "?limit=1").json();
  client->del(kCms + "/b");
  server->controls().compact();
  auto r = client->get(kCms + "?limit=1&continue=" + urlEncode(first["metadata"]["continue"]));
  ASSERT_EQ(r.status, 410) << r.body;
  Json status = r.json();
  EXPECT_EQ(status["reason"], "Expired");
  EXPECT_EQ(status["message"],
            "The provided continue parameter is too old to display a consistent list result. You can start a new list "
            "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
            "the results. Continuing with the provided token results in an inconsistent list - objects that were "
            "created, modified, or deleted between the time the first chunk was returned and now may show up in the "
            "list.");
  const std::string inconsistent = status["metadata"]["continue"];
  Json rest = client->get(kCms + "?limit=5&continue=" + urlEncode(inconsistent)).json();
  EXPECT_EQ(names(rest), (std::vector<std::string>{"c"})) << "the rest, as it is now";
}

TEST_F(ProtocolTest, MalformedContinueAndListOptionsAreRefusedAsTheApiServerDoes) {
  auto r = client->get(kCms + "?continue=not-a-token!");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["message"].get<std::string>().rfind("invalid continue token: continue key is not valid", 0), 0u)
      << r.body;
  makeConfigMaps({"a", "b"});
  const std::string token = client->get(kCms + "?limit=1").json()["metadata"]["continue"];
  r = client->get(kCms + "?continue=" + urlEncode(token) + "&resourceVersion=5");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["message"], "specifying resource version is not allowed when using continue");
  r = client->get(kCms + "?resourceVersionMatch=Exact");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["message"],
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is "
            "forbidden unless resourceVersion is provided");
  r = client->get(kCms + "?resourceVersion=0&resourceVersionMatch=Exact");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["details"]["causes"][0]["message"],
            "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
  r = client->get(kCms + "?resourceVersion=1&resourceVersionMatch=Newest");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["details"]["causes"][0]["reason"], "FieldValueNotSupported");
  r = client->get(kCms + "?watch=true&resourceVersionMatch=NotOlderThan");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
            std::string::npos);
}

TEST_F(ProtocolTest, ExactListReadsThePastUntilItIsCompacted) {
  makeConfigMaps({"a"});
  const std::string then = rvOf(client->get(kCms).json());
  makeConfigMaps({"b"});
  Json past = client->get(kCms + "?resourceVersion=" + then + "&resourceVersionMatch=Exact").json();
  EXPECT_EQ(names(past), (std::vector<std::string>{"a"}));
  EXPECT_EQ(rvOf(past), then);
  server->controls().compact();
  auto r = client->get(kCms + "?resourceVersion=" + then + "&resourceVersionMatch=Exact");
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.json()["message"], "The resourceVersion for the provided list is too old.");
}

TEST_F(ProtocolTest, AResourceVersionFromTheFutureTimesOutAsTooLarge) {
  makeConfigMaps({"a"});
  const uint64_t now = std::stoull(rvOf(client->get(kCms).json()));
  const std::string future = std::to_string(now + 1000);
  auto r = client->get(kCms + "/a?resourceVersion=" + future);
  ASSERT_EQ(r.status, 504) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["reason"], "Timeout");
  EXPECT_EQ(s["message"].get<std::string>().rfind("Timeout: Too large resource version: " + future + ", current: ", 0), 0u);
  EXPECT_EQ(s["details"]["causes"][0]["reason"], "ResourceVersionTooLarge");
  EXPECT_EQ(s["details"]["causes"][0]["message"], "Too large resource version");
  EXPECT_EQ(s["details"]["retryAfterSeconds"], 1);
  EXPECT_EQ(r.retryAfter, "1");
  r = client->get(kCms + "?resourceVersion=" + future);  // the watch cache waits, then the same
  EXPECT_EQ(r.status, 504);
  r = client->get(kCms + "?limit=10&resourceVersion=" + future);  // etcd: refused at once, no retry
  EXPECT_EQ(r.status, 504);
  EXPECT_FALSE(r.json()["details"].contains("retryAfterSeconds"));
  r = client->get(kCms + "?resourceVersion=" + future + "&resourceVersionMatch=Exact");
  EXPECT_EQ(r.status, 504);
  // a resourceVersion reached while the request waits is served
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Client other(server->url(), server->caPem());
    other.post(kCms, {{"metadata", {{"name", "b"}}}});
  });
  r = client->get(kCms + "?resourceVersion=" + std::to_string(now + 1));
  writer.join();
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ProtocolTest, AWatchFromTheFutureDeliversOnlyLaterEvents) {
  const uint64_t now = std::stoull(rvOf(client->get(kCms).json()));
  WatchStream w(*client, kCms + "?watch=true&resourceVersion=" + std::to_string(now + 2));
  ASSERT_EQ(w.status, 200);
  makeConfigMaps({"a", "b", "c"});
  auto e = w.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)["object"]["metadata"]["name"], "c");
}

std::string pbField(int field, const std::string& bytes) {
  std::string out(1, static_cast<char>((field << 3) | 2));
  size_t n = bytes.size();
  do {
    out += static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n);
  return out + bytes;
}

TEST_F(ProtocolTest, DeleteOptionsInProtobufAreHonoured) {
  const std::string deploys = "/apis/apps/v1/namespaces/default/deployments";
  Json d = {{"metadata", {{"name", "web"}}},
            {"spec", {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}},
                                    {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}}};
  ASSERT_EQ(client->post(deploys, d).status, 201);
  const std::string rs = "/apis/apps/v1/namespaces/default/replicasets";
  ASSERT_TRUE(eventually([&] { return client->get(rs).json()["items"].size() == 1; }));
  // helm uninstall's body: k8s envelope, TypeMeta{v1, DeleteOptions}, propagationPolicy (4)
  const std::string body = std::string("k8s\0", 4) +
                           pbField(1, pbField(1, "v1") + pbField(2, "DeleteOptions")) + pbField(2, pbField(4, "Orphan"));
  auto r = client->request("DELETE", deploys + "/web", body, "application/vnd.kubernetes.protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] { return client->get(deploys + "/web").status == 404; }));
  Json left = client->get(rs).json()["items"];
  ASSERT_EQ(left.size(), 1u) << "Orphan keeps the ReplicaSet";
  EXPECT_FALSE(left[0]["metadata"].contains("ownerReferences"));
  // and a body decides alone: validated as DeleteOptions.meta.k8s.io
  ASSERT_EQ(client->post(kCms, {{"metadata", {{"name", "x"}}}}).status, 201);
  r = client->del(kCms + "/x", {{"orphanDependents", true}, {"propagationPolicy", "Background"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["message"],
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Background\": "
            "orphanDependents and deletionPropagation cannot be both set");
  r = client->del(kCms + "/x", {{"dryRun", {"Some"}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["details"]["causes"][0]["message"], "Unsupported value: []string{\"Some\"}: supported values: \"All\"");
  EXPECT_EQ(client->del(kCms + "/x", {{"dryRun", {"All"}}}).status, 200);
  EXPECT_EQ(client->get(kCms + "/x").status, 200) << "dryRun in the body deletes nothing";
}

TEST_F(ProtocolTest, AWatchInTableFormSendsOneRowTablesWithHeadersFirst) {
  makeConfigMaps({"a", "b"});
  WatchStream w(*client, kCms + "?watch=true", 10, kTableAccept);
  ASSERT_EQ(w.status, 200);
  auto first = w.next(), second = w.next();
  ASSERT_TRUE(first && second);
  for (const auto* e : {&*first, &*second}) {
    EXPECT_EQ((*e)["type"], "ADDED");
    EXPECT_EQ((*e)["object"]["kind"], "Table");
    EXPECT_EQ((*e)["object"]["apiVersion"], "meta.k8s.io/v1");
    ASSERT_EQ((*e)["object"]["rows"].size(), 1u);
    EXPECT_EQ((*e)["object"]["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  }
  EXPECT_EQ((*first)["object"]["rows"][0]["cells"][0], "a");
  EXPECT_EQ((*first)["object"]["columnDefinitions"][0]["name"], "Name");
  EXPECT_TRUE((*second)["object"]["columnDefinitions"].is_null()) << "headers only on the first event";
  client->del(kCms + "/b");
  auto deleted = w.next();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_EQ((*deleted)["object"]["rows"][0]["cells"][0], "b");
}

}  // namespace
}  // namespace pmo::sandbox::testing
