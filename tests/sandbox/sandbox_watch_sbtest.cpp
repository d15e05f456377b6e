// Watch semantics: replay from a resourceVersion, 410 after compaction, bookmarks, drops.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kCms = "/api/v1/namespaces/default/configmaps";

std::string rvOf(const Reply& r) { return r.json()["metadata"]["resourceVersion"]; }

TEST_F(SandboxTest, WatchFromResourceVersionReplaysLaterEventsInOrder) {
  auto a = client->post(kCms, {{"metadata", {{"name", "a"}}}});
  std::string from = rvOf(a);
  client->post(kCms, {{"metadata", {{"name", "b"}}}});
  client->mergePatch(kCms + "/a", {{"data", {{"k", "v"}}}});
  client->del(kCms + "/b");
  WatchStream w(*client, kCms + "?watch=true&resourceVersion=" + from);
  ASSERT_EQ(w.status, 200);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    auto e = w.next();
    ASSERT_TRUE(e.has_value());
    seen.push_back((*e)["type"].get<std::string>() + " " + (*e)["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED b", "MODIFIED a", "DELETED b"}));
  // a live event arrives too
  client->post(kCms, {{"metadata", {{"name", "c"}}}});
  auto live = w.next();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ((*live)["object"]["metadata"]["name"], "c");
}

TEST_F(SandboxTest, WatchFromCompactedResourceVersionGets410Expired) {
  std::string from = rvOf(client->post(kCms, {{"metadata", {{"name", "a"}}}}));
  client->post(kCms, {{"metadata", {{"name", "b"}}}});
  server->controls().compact();
  WatchStream w(*client, kCms + "?watch=true&resourceVersion=" + from);
  ASSERT_EQ(w.status, 200);
  auto e = w.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)["type"], "ERROR");
  EXPECT_EQ((*e)["object"]["code"], 410);
  EXPECT_EQ((*e)["object"]["reason"], "Expired");
  EXPECT_FALSE(w.next().has_value());
}

TEST_F(SandboxTest, AWatchIsInTheRequestLogWhileItsStreamIsOpen) {
  server->controls().clearRequests();
  WatchStream w(*client, kCms + "?watch=true");
  ASSERT_EQ(w.status, 200);
  const auto reqs = server->controls().requests();
  ASSERT_EQ(reqs.size(), 1u) << "a watch that never ends must still be logged (RBAC checks count it)";
  EXPECT_EQ(reqs[0].verb, "watch");
  EXPECT_EQ(reqs[0].resource, "configmaps");
  EXPECT_EQ(reqs[0].ns, "default");
  EXPECT_EQ(reqs[0].code, 200);
  EXPECT_EQ(reqs[0].userAgent, Client::kUserAgent);
}

TEST_F(SandboxTest, WatchSendsBookmarksAndEndsAtTimeoutOrDrop) {
  std::string rv = client->get(kCms).json()["metadata"]["resourceVersion"];
  WatchStream w(*client, kCms + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=" + rv);
  auto e = w.next();  // bookmarkInterval is 1s in the fixture
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)["type"], "BOOKMARK");
  EXPECT_GE(std::stol((*e)["object"]["metadata"]["resourceVersion"].get<std::string>()), std::stol(rv));
  auto start = std::chrono::steady_clock::now();
  while (w.next().has_value()) {
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  WatchStream dropped(*client, kCms + "?watch=true&resourceVersion=" + rv);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->controls().dropWatches();
  EXPECT_FALSE(dropped.next().has_value());
}

TEST_F(SandboxTest, WatchWithLabelSelectorSeesObjectsEnterAndLeave) {
  client->post(kCms, {{"metadata", {{"name", "a"}}}});
  WatchStream w(*client, kCms + "?watch=true&labelSelector=app%3Dx");
  client->mergePatch(kCms + "/a", {{"metadata", {{"labels", {{"app", "x"}}}}}});
  client->mergePatch(kCms + "/a", {{"metadata", {{"labels", {{"app", "y"}}}}}});
  auto in = w.next(), out = w.next();
  ASSERT_TRUE(in && out);
  EXPECT_EQ((*in)["type"], "ADDED");
  EXPECT_EQ((*out)["type"], "DELETED");
}

}  // namespace
}  // namespace pmo::sandbox::testing
