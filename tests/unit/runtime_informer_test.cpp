#include "runtime/informer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/eventually.hpp"
#include "support/fake_client.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;
using kube::resources::kDeployments;
using testing::FakeClient;

Json deployment(const std::string& ns, const std::string& name, int replicas = 1) {
  return Json{{"metadata", {{"namespace", ns}, {"name", name}, {"managedFields", Json::array({{{"manager", "kubectl"}}})}}},
              {"spec", {{"replicas", replicas}}}};
}

using testing::advanceUntil;
using testing::eventually;

struct Recorder {
  std::mutex mu;
  std::vector<std::string> events;
  EventHandlers handlers() {
    EventHandlers h;
    h.onAdd = [this](const Json& o) { push("add " + objectKey(o)); };
    h.onUpdate = [this](const Json& a, const Json& b) {
      push((a["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"] ? "resync " : "update ") + objectKey(b));
    };
    h.onDelete = [this](const Json& o) { push("delete " + objectKey(o)); };
    return h;
  }
  void push(std::string s) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back(std::move(s));
  }
  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> l(mu);
    return events;
  }
  bool has(const std::string& e) {
    auto s = snapshot();
    return std::find(s.begin(), s.end(), e) != s.end();
  }
};

struct InformerTest : ::testing::Test {
  FakeClient fake;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  Recorder rec;

  InformerOptions options() {
    InformerOptions o;
    o.resource = kDeployments;
    o.pageSize = 2;
    o.seed = 7;
    return o;
  }
};

TEST_F(InformerTest, ListsEveryPageThenAppliesWatchEvents) {
  for (int i = 0; i < 5; ++i) fake.create(kDeployments, "a", deployment("a", "d" + std::to_string(i)));
  Informer inf(fake, clock, options());
  inf.addHandlers(rec.handlers());
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  EXPECT_EQ(inf.store().size(), 5u);
  EXPECT_EQ(fake.count("list", "deployments"), 3u) << "5 objects in pages of 2";
  EXPECT_FALSE(inf.store().get("a/d0")->at("metadata").contains("managedFields")) << "default transform";

  fake.create(kDeployments, "a", deployment("a", "new"));
  auto cur = fake.get(kDeployments, "a", "d1");
  cur["spec"]["replicas"] = 3;
  fake.update(kDeployments, "a", cur);
  fake.remove(kDeployments, "a", "d2");
  ASSERT_TRUE(eventually([&] { return rec.has("delete a/d2"); }));
  EXPECT_TRUE(rec.has("add a/new"));
  EXPECT_TRUE(rec.has("update a/d1"));
  EXPECT_EQ(inf.store().get("a/d1")->at("spec").at("replicas"), 3);
  EXPECT_EQ(inf.store().get("a/d2"), nullptr);
  EXPECT_EQ(fake.count("list"), 3u) << "watch events must not cause a relist";
  inf.stop();
}

TEST_F(InformerTest, ResumesFromTheLastVersionSeenWhenTheWatchEnds) {
  Informer inf(fake, clock, options());
  inf.addHandlers(rec.handlers());
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  fake.create(kDeployments, "a", deployment("a", "x"));
  ASSERT_TRUE(eventually([&] { return rec.has("add a/x"); }));
  fake.sendBookmark(kDeployments);
  fake.closeWatches();
  ASSERT_TRUE(eventually([&] { return fake.count("watch") == 2; }));
  fake.create(kDeployments, "a", deployment("a", "y"));
  ASSERT_TRUE(eventually([&] { return rec.has("add a/y"); }));
  EXPECT_EQ(fake.count("list"), 1u) << "a re-watch, not a relist";
  EXPECT_EQ(rec.snapshot(), (std::vector<std::string>{"add a/x", "add a/y"})) << "no duplicate events";
  inf.stop();
}

TEST_F(InformerTest, GoneErrorEventTriggersRelistWithSyntheticDeletes) {
  fake.create(kDeployments, "a", deployment("a", "keep"));
  fake.create(kDeployments, "a", deployment("a", "vanish"));
  Informer inf(fake, clock, options());
  inf.addHandlers(rec.handlers());
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  ASSERT_TRUE(eventually([&] { return fake.openWatches() == 1; }));
  // The open stream receives a 410 ERROR event; the relist that follows fails once, so
  // the informer is between streams (backing off) when "vanish" is deleted: only the
  // relist can reveal it.
  fake.failRequests("list", "deployments", kube::ApiError(kube::ErrorReason::ServerError, 500, "busy"), 1);
  fake.breakWatches();
  ASSERT_TRUE(eventually([&] { return fake.count("list") == 2 && fake.openWatches() == 0; }));
  fake.remove(kDeployments, "a", "vanish");
  ASSERT_TRUE(advanceUntil(*clock, [&] { return rec.has("delete a/vanish"); }));
  EXPECT_EQ(fake.count("list"), 3u);
  EXPECT_EQ(inf.store().size(), 1u);
  EXPECT_FALSE(rec.has("delete a/keep"));
  inf.stop();
}

TEST_F(InformerTest, RelistAfterCompactionDeletesObjectsThatVanishedUnseen) {
  fake.setGoneMode(testing::GoneMode::Throw);
  fake.create(kDeployments, "a", deployment("a", "keep"));
  fake.create(kDeployments, "a", deployment("a", "vanish"));
  // The first watch fails, so the informer backs off; meanwhile the world changes and
  // the history is compacted: the informer's resume version is now too old.
  fake.failRequests("watch", "deployments", kube::ApiError(kube::ErrorReason::ServerError, 500, "boom"), 1);
  Informer inf(fake, clock, options());
  inf.addHandlers(rec.handlers());
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  ASSERT_TRUE(eventually([&] { return fake.count("watch") == 1; }));
  fake.remove(kDeployments, "a", "vanish");
  fake.create(kDeployments, "a", deployment("a", "fresh"));
  fake.compact();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return rec.has("delete a/vanish") && rec.has("add a/fresh"); }));
  EXPECT_EQ(fake.count("list"), 2u) << "one relist after 410";
  EXPECT_EQ(inf.store().size(), 2u);
  EXPECT_NE(inf.store().get("a/keep"), nullptr);
  inf.stop();
}

TEST_F(InformerTest, BacksOffOnErrorsInsteadOfHotLooping) {
  fake.failRequests("list", "deployments", kube::ApiError(kube::ErrorReason::ServerError, 500, "down"), -1);
  Informer inf(fake, clock, options());
  inf.start();
  ASSERT_TRUE(eventually([&] { return fake.count("list") == 1; }));
  std::this_thread::sleep_for(50ms);  // real time passes, the fake clock does not
  EXPECT_EQ(fake.count("list"), 1u) << "no retry before the backoff elapsed";
  EXPECT_FALSE(inf.hasSynced());
  auto t0 = clock->now();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return fake.count("list") == 2; }, 100ms));
  EXPECT_GE(clock->now() - t0, 800ms) << "initial backoff";
  t0 = clock->now();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return fake.count("list") == 3; }, 100ms));
  EXPECT_GE(clock->now() - t0, 1600ms) << "backoff doubles";
  fake.clearFailures();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return inf.hasSynced(); }, 1s));
  EXPECT_LE(fake.count("list"), 12u) << "capped at 30 s: a handful of attempts, not a hot loop";
  inf.stop();
}

TEST_F(InformerTest, WatchesEachNamespaceAndScopesTheRelist) {
  fake.create(kDeployments, "a", deployment("a", "x"));
  fake.create(kDeployments, "b", deployment("b", "y"));
  fake.create(kDeployments, "c", deployment("c", "z"));
  auto o = options();
  o.namespaces = {"a", "b"};
  Informer inf(fake, clock, o);
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  EXPECT_EQ(inf.store().size(), 2u);
  EXPECT_EQ(inf.store().get("c/z"), nullptr);
  ASSERT_TRUE(eventually([&] { return fake.openWatches() == 2; }));
  inf.stop();
  EXPECT_EQ(fake.openWatches(), 0u);
}

TEST_F(InformerTest, ResyncCallsUpdateWithEveryCachedObject) {
  fake.create(kDeployments, "a", deployment("a", "x"));
  auto o = options();
  o.resyncPeriod = 10min;
  Informer inf(fake, clock, o);
  inf.addHandlers(rec.handlers());
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  EXPECT_FALSE(rec.has("resync a/x"));
  const auto t0 = clock->now();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return rec.has("resync a/x"); }, 30s));
  EXPECT_GE(clock->now() - t0, 10min);
  inf.stop();
}

TEST_F(InformerTest, TransformAndIndexesApplyToStoredObjects) {
  auto d = deployment("a", "x");
  d["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{...}"}};
  d["metadata"]["ownerReferences"] = Json::array({{{"uid", "owner-1"}, {"kind", "PhaseMaintenance"}}});
  fake.create(kDeployments, "a", d);
  auto o = options();
  o.transform = stripManagedFieldsAndLastApplied;
  Informer inf(fake, clock, o);
  inf.store().addIndex("owner", [](const Json& obj) {
    std::vector<std::string> v;
    for (const auto& r : obj["metadata"].value("ownerReferences", Json::array())) v.push_back(r.value("uid", ""));
    return v;
  });
  inf.start();
  ASSERT_TRUE(inf.waitForSync(3000ms));
  auto stored = inf.store().get("a/x");
  ASSERT_NE(stored, nullptr);
  // last-applied is gone, the (now empty) map is not: patches add keys to the live map
  EXPECT_EQ(stored->at("metadata").at("annotations"), Json::object());
  ASSERT_EQ(inf.store().byIndex("owner", "owner-1").size(), 1u);
  fake.remove(kDeployments, "a", "x");
  ASSERT_TRUE(eventually([&] { return inf.store().size() == 0; }));
  EXPECT_TRUE(inf.store().byIndex("owner", "owner-1").empty());
  inf.stop();
}

TEST(Store, KeepsObjectsPackedAndHandsOutIndependentSnapshots) {
  Store store;
  store.addIndex("app", [](const Json& o) {
    return std::vector<std::string>{o["metadata"]["labels"].value("app", "")};
  });
  Json d = deployment("a", "x", 3);
  d["metadata"]["resourceVersion"] = "7";
  d["metadata"]["labels"] = {{"app", "phase"}};
  d["spec"]["ratio"] = 0.25;
  d["spec"]["note"] = "ünïcödé";
  EXPECT_EQ(store.upsert(std::make_shared<const Json>(d)), nullptr);

  ObjectPtr first = store.get("a/x");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, d) << "what comes out is what went in, numbers and UTF-8 included";
  EXPECT_EQ(store.resourceVersion("a/x"), std::optional<std::string>("7"));
  EXPECT_EQ(store.resourceVersion("a/missing"), std::nullopt);

  Json next = d;
  next["metadata"]["resourceVersion"] = "8";
  next["metadata"]["labels"]["app"] = "other";
  ObjectPtr old = store.upsert(std::make_shared<const Json>(next));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["metadata"]["resourceVersion"], "7");
  EXPECT_EQ((*first)["metadata"]["resourceVersion"], "7") << "an earlier snapshot does not change";
  EXPECT_EQ(store.getCopy("a/x")->at("metadata").at("resourceVersion"), "8");
  EXPECT_TRUE(store.byIndex("app", "phase").empty());
  ASSERT_EQ(store.byIndex("app", "other").size(), 1u);
  EXPECT_EQ(store.listNamespace("a").size(), 1u);
  EXPECT_EQ(store.erase("a/x")->at("metadata").at("resourceVersion"), "8");
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(store.byIndex("app", "other").empty());
}

}  // namespace
}  // namespace pmo::runtime
