// HttpClient against the in-process sandbox API server (TLS + bearer token): what the
// issue's "Done when" asks of the client. Every blocking read is bounded by a watchdog
// that cancels the watch, so a broken client fails the test instead of hanging it.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "kube/config.hpp"
#include "kube/http_client.hpp"
#include "sandbox/sandbox.hpp"

namespace pmo::kube {
namespace {

using namespace std::chrono_literals;
using resources::kConfigMaps;
using resources::kNamespaces;

constexpr const char* kNs = "kube-client-test";

// Cancels a stream if the test has not finished with it by the deadline.
class Watchdog {
 public:
  Watchdog(WatchStream& stream, std::chrono::milliseconds limit)
      : thread_([this, &stream, limit] {
          std::unique_lock<std::mutex> lock(mu_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            fired_ = true;
            stream.cancel();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() const { return fired_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

struct Seen {
  std::string type, name, rv;
};

// Reads events until `count` non-bookmark events arrived or the stream ends; bookmarks
// only advance `lastRv`.
std::vector<Seen> readEvents(WatchStream& stream, size_t count, std::string& lastRv,
                             std::chrono::milliseconds limit = 10s) {
  Watchdog dog(stream, limit);
  std::vector<Seen> out;
  while (out.size() < count) {
    auto event = stream.next();
    if (!event) break;
    std::string rv = event->object["metadata"].value("resourceVersion", "");
    if (!rv.empty()) lastRv = rv;
    if (event->type == WatchEventType::Bookmark) continue;
    out.push_back({toString(event->type), event->object["metadata"].value("name", ""), rv});
  }
  EXPECT_FALSE(dog.fired()) << "the watch delivered " << out.size() << " of " << count << " events in time";
  return out;
}

Json configMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", kNs}, {"labels", {{"app", "kube-test"}}}}},
          {"data", {{"value", value}}}};
}

class KubeClientSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    client_ = makeClient(loadKubeconfig(server_.kubeconfigPath()));
    try {
      client_->create(kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNs}}}});
    } catch (const ApiError& e) {
      if (e.reason() != ErrorReason::AlreadyExists) throw;
    }
  }
  void TearDown() override { server_.stop(); }

  std::unique_ptr<HttpClient> makeClient(ClusterConfig cfg, HttpClientOptions opts = {}) {
    opts.onRequest = [this](const std::string& verb, const std::string& resource, int code) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(verb + " " + resource + " " + std::to_string(code));
    };
    return std::make_unique<HttpClient>(std::move(cfg), std::move(opts));
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  sandbox::Server server_;
  std::unique_ptr<HttpClient> client_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

TEST_F(KubeClientSandbox, ListThenWatchSeesEveryChangeInOrder) {
  for (int i = 1; i <= 3; ++i) client_->create(kConfigMaps, kNs, configMap("cm-" + std::to_string(i), "v"));
  Json list = client_->listAll(kConfigMaps, kNs, {});
  ASSERT_EQ(list["items"].size(), 3u);
  std::string rv = list["metadata"]["resourceVersion"];
  ASSERT_FALSE(rv.empty());

  WatchOptions wo;
  wo.resourceVersion = rv;
  auto stream = client_->watch(kConfigMaps, kNs, wo);
  client_->create(kConfigMaps, kNs, configMap("cm-4", "v"));
  Json cm1 = client_->get(kConfigMaps, kNs, "cm-1");
  cm1["data"]["value"] = "changed";
  client_->update(kConfigMaps, kNs, cm1);
  client_->remove(kConfigMaps, kNs, "cm-2");
  client_->patch(kConfigMaps, kNs, "cm-3", PatchType::Merge, {{"data", {{"value", "patched"}}}});

  std::string lastRv;
  auto events = readEvents(*stream, 4, lastRv);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type + " " + events[0].name, "ADDED cm-4");
  EXPECT_EQ(events[1].type + " " + events[1].name, "MODIFIED cm-1");
  EXPECT_EQ(events[2].type + " " + events[2].name, "DELETED cm-2");
  EXPECT_EQ(events[3].type + " " + events[3].name, "MODIFIED cm-3");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_LT(std::stoull(events[i - 1].rv), std::stoull(events[i].rv));
}

TEST_F(KubeClientSandbox, ListAllPagesThroughContinueTokens) {
  for (int i = 0; i < 5; ++i) client_->create(kConfigMaps, kNs, configMap("page-" + std::to_string(i), "v"));
  ListOptions lo;
  lo.limit = 2;
  Json first = client_->list(kConfigMaps, kNs, lo);
  EXPECT_EQ(first["items"].size(), 2u);
  EXPECT_FALSE(first["metadata"].value("continue", "").empty());
  Json all = client_->listAll(kConfigMaps, kNs, lo);
  ASSERT_EQ(all["items"].size(), 5u);
  std::set<std::string> names;
  for (const auto& item : all["items"]) names.insert(item["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names.size(), 5u);
  lo = {};
  lo.labelSelector = "app=kube-test";
  EXPECT_EQ(client_->listAll(kConfigMaps, kNs, lo)["items"].size(), 5u);
  lo.labelSelector = "app=other";
  EXPECT_EQ(client_->listAll(kConfigMaps, kNs, lo)["items"].size(), 0u);
}

TEST_F(KubeClientSandbox, DroppedWatchResumesFromLastResourceVersionWithoutGapsOrDuplicates) {
  std::string rv = client_->list(kConfigMaps, kNs)["metadata"]["resourceVersion"];
  WatchOptions wo;
  wo.resourceVersion = rv;
  auto stream = client_->watch(kConfigMaps, kNs, wo);
  client_->create(kConfigMaps, kNs, configMap("a", "1"));
  std::string lastRv;
  auto first = readEvents(*stream, 1, lastRv);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].name, "a");

  server_.controls().dropWatches();
  {
    Watchdog dog(*stream, 10s);
    std::optional<WatchEvent> e;
    while ((e = stream->next()) && e->type == WatchEventType::Bookmark) {
    }
    EXPECT_FALSE(e.has_value()) << "a dropped watch must end the stream";
    EXPECT_FALSE(dog.fired()) << "the dropped watch did not end promptly";
  }
  client_->create(kConfigMaps, kNs, configMap("b", "1"));
  client_->create(kConfigMaps, kNs, configMap("c", "1"));

  wo.resourceVersion = lastRv;
  auto resumed = client_->watch(kConfigMaps, kNs, wo);
  client_->create(kConfigMaps, kNs, configMap("d", "1"));
  auto rest = readEvents(*resumed, 3, lastRv);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].type + " " + rest[0].name, "ADDED b");
  EXPECT_EQ(rest[1].type + " " + rest[1].name, "ADDED c");
  EXPECT_EQ(rest[2].type + " " + rest[2].name, "ADDED d");
}

TEST_F(KubeClientSandbox, CompactedHistoryIsGoneAndARelistRecovers) {
  std::string oldRv = client_->list(kConfigMaps, kNs)["metadata"]["resourceVersion"];
  client_->create(kConfigMaps, kNs, configMap("before-compaction", "1"));
  server_.controls().compact();

  WatchOptions wo;
  wo.resourceVersion = oldRv;
  try {
    auto stream = client_->watch(kConfigMaps, kNs, wo);
    Watchdog dog(*stream, 10s);
    auto e = stream->next();
    FAIL() << "watching from a compacted resourceVersion must throw Gone, got "
           << (e ? toString(e->type) : "end of stream");
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::Gone) << e.what();
  }

  Json relist = client_->listAll(kConfigMaps, kNs);
  ASSERT_EQ(relist["items"].size(), 1u);
  wo.resourceVersion = relist["metadata"]["resourceVersion"];
  auto stream = client_->watch(kConfigMaps, kNs, wo);
  client_->create(kConfigMaps, kNs, configMap("after-compaction", "1"));
  std::string lastRv;
  auto events = readEvents(*stream, 1, lastRv);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "after-compaction");
}

TEST_F(KubeClientSandbox, StaleUpdateGetsConflictAndTypedErrorsCarryTheServerMessage) {
  Json created = client_->create(kConfigMaps, kNs, configMap("cm", "1"));
  Json fresh = created;
  fresh["data"]["value"] = "2";
  client_->update(kConfigMaps, kNs, fresh);
  Json stale = created;
  stale["data"]["value"] = "3";
  try {
    client_->update(kConfigMaps, kNs, stale);
    FAIL() << "an update with a stale resourceVersion must conflict";
  } catch (const ApiError& e) {
    EXPECT_TRUE(isConflict(e)) << toString(e.reason()) << ": " << e.what();
    EXPECT_EQ(e.code(), 409);
    EXPECT_FALSE(std::string(e.what()).empty());
  }
  try {
    client_->create(kConfigMaps, kNs, configMap("cm", "again"));
    FAIL() << "creating an existing name must fail";
  } catch (const ApiError& e) {
    EXPECT_TRUE(isAlreadyExists(e)) << toString(e.reason()) << ": " << e.what();
  }
  try {
    client_->get(kConfigMaps, kNs, "missing");
    FAIL() << "a missing object must be NotFound";
  } catch (const ApiError& e) {
    EXPECT_TRUE(isNotFound(e)) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  // A guarded JSON Patch and a delete precondition fail the same way when stale.
  Json ops = Json::array({{{"op", "test"}, {"path", "/data/value"}, {"value", "2"}},
                          {{"op", "replace"}, {"path", "/data/value"}, {"value", "4"}}});
  EXPECT_EQ(client_->patch(kConfigMaps, kNs, "cm", PatchType::Json, ops)["data"]["value"], "4");
  std::string oldRv = created["metadata"]["resourceVersion"];
  EXPECT_THROW(client_->remove(kConfigMaps, kNs, "cm", Propagation::Background, oldRv), ApiError);
  EXPECT_NO_THROW(client_->get(kConfigMaps, kNs, "cm"));
  client_->remove(kConfigMaps, kNs, "cm", Propagation::Foreground);
  EXPECT_THROW(client_->get(kConfigMaps, kNs, "cm"), ApiError);
}

TEST_F(KubeClientSandbox, TooManyRequestsIsWaitedOutHonouringRetryAfter) {
  server_.controls().failNextRequests(1, 429, "TooManyRequests", 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(client_->list(kConfigMaps, kNs));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 900ms) << "Retry-After: 1 was not honoured";
  EXPECT_LT(elapsed, 10s);
  EXPECT_EQ(requests(), (std::vector<std::string>{"list configmaps 429", "list configmaps 200"}));

  // Without automatic retries the caller gets the error and the server's Retry-After.
  HttpClientOptions noRetry;
  noRetry.maxRetriesOn429 = 0;
  auto client = makeClient(loadKubeconfig(server_.kubeconfigPath()), noRetry);
  server_.controls().failNextRequests(1, 429, "TooManyRequests", 3);
  try {
    client->list(kConfigMaps, kNs);
    FAIL() << "429 must surface when retries are off";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::TooManyRequests);
    EXPECT_EQ(e.retryAfter(), std::chrono::seconds(3));
  }
}

TEST_F(KubeClientSandbox, WrongCaFailsWithAClearTlsError) {
  sandbox::Server other;  // its own, different CA
  other.start();
  ClusterConfig cfg = loadKubeconfig(server_.kubeconfigPath());
  cfg.caPem = other.caPem();
  cfg.caSource = "the other sandbox's CA";
  auto client = makeClient(cfg);
  try {
    client->getRaw("/version");
    FAIL() << "a server certificate from another CA must be refused";
  } catch (const ApiError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.reason(), ErrorReason::ConnectionRefused) << msg;
    EXPECT_NE(msg.find("x509"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the other sandbox's CA"), std::string::npos) << msg;
    EXPECT_NE(msg.find(server_.url()), std::string::npos) << msg;
  }
  other.stop();
}

TEST_F(KubeClientSandbox, WrongTokenIsUnauthorizedAndNeverEchoed) {
  ClusterConfig cfg = loadKubeconfig(server_.kubeconfigPath());
  cfg.token = TokenSource::fixed(Secret("wrong-token-value"));
  auto client = makeClient(cfg);
  try {
    client->list(kConfigMaps, kNs);
    FAIL() << "a wrong token must be refused";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::Unauthorized) << e.what();
    EXPECT_EQ(e.code(), 401);
    EXPECT_EQ(std::string(e.what()).find("wrong-token-value"), std::string::npos);
  }
}

TEST_F(KubeClientSandbox, NothingListeningIsConnectionRefusedNamingTheServer) {
  sandbox::Server gone;
  gone.start();
  ClusterConfig cfg = loadKubeconfig(gone.kubeconfigPath());
  gone.stop();
  auto client = makeClient(cfg);
  try {
    client->getRaw("/version");
    FAIL() << "a stopped server must not answer";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.reason(), ErrorReason::ConnectionRefused) << e.what();
    EXPECT_NE(std::string(e.what()).find(cfg.server), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), 0);
  }
}

TEST_F(KubeClientSandbox, CancelFromAnotherThreadEndsABlockedWatchPromptly) {
  WatchOptions wo;
  wo.resourceVersion = client_->list(kConfigMaps, kNs)["metadata"]["resourceVersion"];
  wo.allowBookmarks = false;
  auto stream = client_->watch(kConfigMaps, kNs, wo);
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    stream->cancel();
  });
  auto start = std::chrono::steady_clock::now();
  std::optional<WatchEvent> e;
  {
    Watchdog dog(*stream, 10s);
    e = stream->next();
  }
  canceller.join();
  EXPECT_FALSE(e.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(KubeClientSandbox, ServerTimeoutEndsTheStreamAndRawGetsWork) {
  WatchOptions wo;
  wo.resourceVersion = client_->list(kConfigMaps, kNs)["metadata"]["resourceVersion"];
  wo.timeoutSeconds = 1;
  auto stream = client_->watch(kConfigMaps, kNs, wo);
  std::string lastRv;
  auto events = readEvents(*stream, 1, lastRv, 10s);
  EXPECT_TRUE(events.empty());  // ended by the server's timeout, nothing happened
  Json version = Json::parse(client_->getRaw("/version"));
  EXPECT_TRUE(version.contains("gitVersion")) << version.dump();
}

}  // namespace
}  // namespace pmo::kube
