#include "runtime/event_recorder.hpp"

#include <gtest/gtest.h>

#include "support/fake_client.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;
using kube::resources::kEvents;
using kube::resources::kPhaseMaintenances;
using kube::Json;
using testing::FakeClient;

struct EventRecorderTest : ::testing::Test {
  FakeClient fake;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  Json pm = Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                 {"kind", "PhaseMaintenance"},
                 {"metadata", {{"name", "phase"}, {"namespace", "prod"}, {"uid", "u-1"}, {"resourceVersion", "7"}}}};
};

TEST_F(EventRecorderTest, CreatesAnEventAboutTheObject) {
  EventRecorder rec(fake, clock, {"phase-maintenance-operator", "pod-1", 16});
  rec.normal(pm, "MigrationStarted", "Job phase-migrate-v2-73-2 started");
  auto events = fake.objects(kEvents);
  ASSERT_EQ(events.size(), 1u);
  const Json& e = events[0];
  EXPECT_EQ(e["metadata"]["namespace"], "prod");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("phase.", 0), 0u);
  EXPECT_EQ(e["involvedObject"],
            (Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"}, {"kind", "PhaseMaintenance"}, {"name", "phase"},
                  {"namespace", "prod"}, {"uid", "u-1"}, {"resourceVersion", "7"}}));
  EXPECT_EQ(e["reason"], "MigrationStarted");
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["source"], (Json{{"component", "phase-maintenance-operator"}, {"host", "pod-1"}}));
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(e["lastTimestamp"], "2026-01-01T00:00:00Z");
}

// kube-apiserver refuses an Event name over 253 characters: a long object name is cut.
TEST_F(EventRecorderTest, ALongObjectNameStillGetsAValidEventName) {
  EventRecorder rec(fake, clock);
  Json longPm = pm;
  longPm["metadata"]["name"] = std::string(240, 'a') + "-b.c" + std::string(9, 'd');
  rec.normal(longPm, "MigrationStarted", "started");
  auto events = fake.objects(kEvents);
  ASSERT_EQ(events.size(), 1u);
  const std::string name = events[0]["metadata"]["name"];
  EXPECT_LE(name.size(), 253u);
  EXPECT_EQ(name.find(".."), std::string::npos) << name;
  EXPECT_EQ(name.find("-."), std::string::npos) << name;
  EXPECT_EQ(events[0]["involvedObject"]["name"], longPm["metadata"]["name"]);
}

TEST_F(EventRecorderTest, RepeatsPatchCountAndLastTimestamp) {
  EventRecorder rec(fake, clock);
  rec.warning(pm, "MigrationFailed", "Job failed: BackoffLimitExceeded");
  clock->advance(30s);
  rec.warning(pm, "MigrationFailed", "Job failed: BackoffLimitExceeded");
  clock->advance(30s);
  rec.warning(pm, "MigrationFailed", "Job failed: BackoffLimitExceeded");
  auto events = fake.objects(kEvents);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["count"], 3);
  EXPECT_EQ(events[0]["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(events[0]["lastTimestamp"], "2026-01-01T00:01:00Z");
  EXPECT_EQ(fake.count("create", "events"), 1u);
  EXPECT_EQ(fake.count("patch", "events"), 2u);

  rec.warning(pm, "MigrationFailed", "Job failed: DeadlineExceeded");  // a different message
  rec.normal(pm, "MigrationFailed", "Job failed: BackoffLimitExceeded");  // a different type
  EXPECT_EQ(fake.objects(kEvents).size(), 3u);
}

TEST_F(EventRecorderTest, NeverThrowsAndStartsOverWhenTheEventIsGone) {
  EventRecorder rec(fake, clock);
  fake.failRequests("create", "events", kube::ApiError(kube::ErrorReason::Forbidden, 403, "forbidden"), 1);
  EXPECT_NO_THROW(rec.normal(pm, "RolloutComplete", "done"));
  EXPECT_TRUE(fake.objects(kEvents).empty());
  EXPECT_NO_THROW(rec.normal(Json::object(), "Bad", "object without metadata"));
  rec.normal(pm, "RolloutComplete", "done");
  ASSERT_EQ(fake.objects(kEvents).size(), 1u);
  const std::string name = fake.objects(kEvents)[0]["metadata"]["name"];
  fake.remove(kEvents, "prod", name);  // the API server's event TTL
  rec.normal(pm, "RolloutComplete", "done");
  auto events = fake.objects(kEvents);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["count"], 1);
}

TEST_F(EventRecorderTest, TruncatesLongMessages) {
  EventRecorder rec(fake, clock);
  rec.normal(pm, "Long", std::string(5000, 'x'));
  EXPECT_EQ(fake.objects(kEvents)[0]["message"].get<std::string>().size(), 1024u);
}

// A fact keyed by a request is told once, also by a new recorder (a restarted operator)
// whose memory of recent Events is empty; another fact, or another object, is told again.
TEST_F(EventRecorderTest, AKeyedFactIsPostedOnceAcrossRecorders) {
  EventRecorder(fake, clock).recordOnce(pm, EventType::Normal, "RecoveryApplied", "reset 3 policies", "prod/phase/r/1");
  EventRecorder(fake, clock).recordOnce(pm, EventType::Normal, "RecoveryApplied", "reset 3 policies (recorded)",
                                        "prod/phase/r/1");
  EXPECT_EQ(fake.objects(kEvents).size(), 1u);
  EventRecorder(fake, clock).recordOnce(pm, EventType::Normal, "RecoveryApplied", "reset 1 policy", "prod/phase/r/2");
  Json other = pm;
  other["metadata"]["uid"] = "u-2";
  EventRecorder(fake, clock).recordOnce(other, EventType::Normal, "RecoveryApplied", "reset", "prod/phase/r/1");
  EXPECT_EQ(fake.objects(kEvents).size(), 3u);
}

TEST_F(EventRecorderTest, AKeyedFactOfALongNamedObjectGetsAValidName) {
  Json longPm = pm;
  longPm["metadata"]["name"] = std::string(253, 'a');
  EventRecorder(fake, clock).recordOnce(longPm, EventType::Warning, "RecoveryRejected", "no such org", "k");
  const auto events = fake.objects(kEvents);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_LE(events[0]["metadata"]["name"].get<std::string>().size(), 253u);
}

}  // namespace
}  // namespace pmo::runtime
