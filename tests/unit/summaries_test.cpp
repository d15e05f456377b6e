// The purge and vacuum summaries: one type each, written by db and read back by the
// audit-log planner. The wire form is pinned byte for byte (Jobs of earlier versions wrote
// exactly this), and what is written reads back as it was.
#include <gtest/gtest.h>

#include <string>

#include "maintenance/auditlogs/summaries.hpp"

namespace pmo::maintenance {
namespace {

using Json = nlohmann::json;

// A run as db::purgeSummary fills it: no dry run, no back-off, no deadline, nothing skipped.
PurgeSummary aPurge() {
  PurgeSummary s;
  s.organisation = "SpaceX";
  s.retainDays = 90;
  s.cutoff = "2026-08-27T03:00:00.000000Z";
  s.deleted = 750000;
  s.tagRowsDeleted = 150000;
  s.batches = 12;
  s.durationSeconds = 21.5;
  s.rowsPerSecond = 34883.5;
  s.longestBatchSeconds = 0.4;
  s.matchedAtStart = 750000;
  s.wouldDelete = 750000;  // not a dry run: not written
  s.success = true;
  return s;
}

// The same with every field that is written only when it applies.
PurgeSummary aPurgeWithEveryField() {
  PurgeSummary s = aPurge();
  s.appId = "app-1";
  s.remaining = 7;
  s.dryRun = true;
  s.wouldDelete = 750007;
  s.matchedAtStart = 750007;
  s.backoffs = 2;
  s.backoffSeconds = 1.25;
  s.backoffReason = "a standby lagged";
  s.stoppedEarly = true;
  s.deadline = "2026-01-01T00:00:00.000000Z";
  s.stopReason = "deadline";
  s.skippedLocked = 3;
  s.skippedReason = "held by another transaction";
  return s;
}

TableStats someStats(long long dead) {
  TableStats t;
  t.table = "api_secretevent";
  t.checkedAt = "2026-11-25T03:30:00Z";
  t.currentUser = "phase";
  t.currentDatabase = "phase";
  t.owner = "phase";
  t.currentUserCanVacuum = true;
  t.tableBytes = 9000;
  t.indexBytes = 3000;
  t.totalBytes = 12000;
  t.liveTuples = 500;
  t.deadTuples = dead;
  t.lastVacuum = "2026-11-24T00:00:00Z";
  return t;
}

TEST(Summaries, APurgeSummaryIsWrittenAsEarlierVersionsWroteIt) {
  const PurgeSummary s = aPurge();
  EXPECT_EQ(Json(s).dump(),
            R"({"appId":null,"backoffSeconds":0.0,"backoffs":0,"batches":12,"cutoff":"2026-08-27T03:00:00.000000Z",)"
            R"("deleted":750000,"dryRun":false,"durationSeconds":21.5,"longestBatchSeconds":0.4,"matchedAtStart":750000,)"
            R"("nothingToDo":false,"organisation":"SpaceX","remaining":0,"retainDays":90,"rowsPerSecond":34883.5,)"
            R"("skippedLocked":0,"stoppedEarly":false,"success":true,"tagRowsDeleted":150000})");
}

TEST(Summaries, APurgeSummaryWritesItsConditionalFieldsOnlyWhenTheyApply) {
  const Json j = aPurgeWithEveryField();
  EXPECT_EQ(j.at("appId"), "app-1");
  EXPECT_EQ(j.at("wouldDelete"), 750007);
  EXPECT_EQ(j.at("backoffReason"), "a standby lagged");
  EXPECT_EQ(j.at("deadline"), "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(j.at("stopReason"), "deadline");
  EXPECT_EQ(j.at("skippedReason"), "held by another transaction");
  EXPECT_FALSE(j.contains("error"));
  PurgeSummary failed;
  failed.error = "boom";
  EXPECT_EQ(Json(failed).at("error"), "boom");
}

TEST(Summaries, APurgeSummaryReadsBackAsItWasWritten) {
  const PurgeSummary s = aPurgeWithEveryField();
  const auto back = Json(s).get<PurgeSummary>();
  EXPECT_EQ(Json(back), Json(s));
  EXPECT_EQ(back.stopReason, "deadline");
  EXPECT_EQ(back.matchedAtStart, 750007);
  EXPECT_DOUBLE_EQ(back.backoffSeconds, 1.25);
}

TEST(Summaries, AVacuumSummaryIsWrittenAsEarlierVersionsWroteIt) {
  VacuumSummary s;
  s.table = "api_secretevent";
  s.method = "Full";
  s.outcome = "Completed";
  s.full = true;
  s.before = someStats(900);
  s.after = someStats(0);
  s.after->totalBytes = 5000;
  s.bytesReclaimed = 7000;
  s.durationSeconds = 3.25;
  s.lockAttempts = 4;
  s.success = true;
  const std::string stats =
      R"("checkedAt":"2026-11-25T03:30:00Z","currentDatabase":"phase","currentUser":"phase","currentUserCanVacuum":true,)";
  const std::string times = R"("lastAnalyze":null,"lastAutoanalyze":null,"lastAutovacuum":null,"lastVacuum":"2026-11-24T00:00:00Z",)";
  EXPECT_EQ(Json(s).dump(),
            R"({"after":{)" + stats + R"("deadRatio":0.0,"deadTuples":0,"indexBytes":3000,)" + times +
                R"("liveTuples":500,"owner":"phase","table":"api_secretevent","tableBytes":9000,"totalBytes":5000},)"
                R"("before":{)" + stats + R"("deadRatio":0.6428571428571429,"deadTuples":900,"indexBytes":3000,)" +
                times + R"("liveTuples":500,"owner":"phase","table":"api_secretevent","tableBytes":9000,"totalBytes":12000},)"
                R"("bytesReclaimed":7000,"durationSeconds":3.25,"full":true,"gaveUp":false,"lockAttempts":4,"message":"",)"
                R"("method":"Full","outcome":"Completed","skipped":false,"success":true,"table":"api_secretevent"})");
}

TEST(Summaries, AVacuumThatFailedBeforeMeasuringNamesOnlyTheTableAndMethod) {
  VacuumSummary s;
  s.table = "api_secretevent";
  s.method = "Repack";
  EXPECT_EQ(Json(s).dump(), R"({"method":"Repack","success":false,"table":"api_secretevent"})");
  s.outcome = "GaveUp";
  s.gaveUp = true;
  s.before = someStats(3);
  const Json gaveUp = s;
  EXPECT_TRUE(gaveUp.at("after").is_null());
  EXPECT_EQ(gaveUp.at("before").at("deadTuples"), 3);
}

TEST(Summaries, AVacuumSummaryReadsBackAsItWasWritten) {
  VacuumSummary s;
  s.table = "audit.events";
  s.method = "Plain";
  s.outcome = "Completed";
  s.before = someStats(900);
  s.after = someStats(2);
  s.after->lastAutoanalyze = "2026-11-25T03:31:00Z";
  s.bytesReclaimed = -8192;  // a plain VACUUM may grow the file
  s.durationSeconds = 0.5;
  s.message = "done";
  s.success = true;
  const auto back = Json(s).get<VacuumSummary>();
  EXPECT_EQ(Json(back), Json(s));
  ASSERT_TRUE(back.after);
  EXPECT_EQ(back.after->lastAutoanalyze, "2026-11-25T03:31:00Z");
  EXPECT_FALSE(back.after->lastAnalyze);
  EXPECT_EQ(back.bytesReclaimed, -8192);
}

TEST(Summaries, TableStatsOfTheWrongShapeReadAsEmpty) {
  const auto t = Json::parse(R"({"totalBytes":-1,"lastVacuum":7,"currentUserCanVacuum":"yes","table":[]})").get<TableStats>();
  EXPECT_EQ(t.totalBytes, 0);
  EXPECT_FALSE(t.lastVacuum);
  EXPECT_FALSE(t.currentUserCanVacuum);
  EXPECT_EQ(t.table, "");
  EXPECT_EQ(Json::array().get<TableStats>().deadTuples, 0);
}

}  // namespace
}  // namespace pmo::maintenance
