// Reading the purge/vacuum JSON summaries back from termination messages: exact fields,
// and no crash, ever, on what a pod may leave there.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "maintenance/auditlogs/termination_summary.hpp"

namespace pmo::maintenance {
namespace {

// As cli/purge.cpp writes it (db::purgeSummary, then success).
const char* kPurge =
    R"({"appId":null,"batches":12,"cutoff":"2026-08-27T03:00:00.000000Z","deleted":750000,"dryRun":false,)"
    R"("durationSeconds":21.5,"longestBatchSeconds":0.4,"nothingToDo":false,"organisation":"SpaceX",)"
    R"("remaining":0,"retainDays":90,"rowsPerSecond":34883.7,"stoppedEarly":false,"success":true,"tagRowsDeleted":150000})";

// As cli/vacuum.cpp writes it (db::toJson(VacuumResult) + command + success).
const char* kVacuum =
    R"({"after":{"checkedAt":"2026-11-25T03:31:00Z","deadTuples":0,"indexBytes":1000,"liveTuples":500,)"
    R"("table":"api_secretevent","tableBytes":4000,"totalBytes":5000},"before":{"checkedAt":"2026-11-25T03:30:00Z",)"
    R"("deadTuples":900,"indexBytes":3000,"liveTuples":500,"table":"api_secretevent","tableBytes":9000,"totalBytes":12000},)"
    R"("bytesReclaimed":7000,"command":"vacuum","durationSeconds":3.25,"full":true,"gaveUp":false,"message":"",)"
    R"("outcome":"Completed","skipped":false,"success":true,"table":"api_secretevent"})";

// Issue 13: rows left because another transaction held them, and a failed run's progress.
TEST(TerminationSummary, ReadsSkippedLockedRowsAndAFailedRunsProgress) {
  const auto held = parsePurgeSummary(
      R"({"deleted":997,"remaining":3,"skippedLocked":3,"skippedReason":"held by another transaction","success":true})");
  ASSERT_TRUE(held);
  EXPECT_EQ(held->skippedLocked, 3);
  EXPECT_EQ(held->skippedReason, "held by another transaction");
  const auto failed = parsePurgeSummary(
      R"({"cutoff":"2026-08-27T03:00:00.000000Z","deleted":1500,"batches":6,"success":false,"error":"boom"})");
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->success);
  EXPECT_EQ(failed->deleted, 1500);
  EXPECT_EQ(failed->batches, 6);
  EXPECT_EQ(failed->cutoff, "2026-08-27T03:00:00.000000Z");
  EXPECT_EQ(parsePurgeSummary(kPurge)->skippedLocked, 0);
}

TEST(TerminationSummary, ReadsThePurgeSummaryFields) {
  const auto s = parsePurgeSummary(kPurge);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->organisation, "SpaceX");
  EXPECT_EQ(s->appId, "");
  EXPECT_EQ(s->retainDays, 90);
  EXPECT_EQ(s->cutoff, "2026-08-27T03:00:00.000000Z");
  EXPECT_EQ(s->deleted, 750000);
  EXPECT_EQ(s->tagRowsDeleted, 150000);
  EXPECT_EQ(s->remaining, 0);
  EXPECT_EQ(s->batches, 12);
  EXPECT_DOUBLE_EQ(s->durationSeconds, 21.5);
  EXPECT_DOUBLE_EQ(s->rowsPerSecond, 34883.7);
  EXPECT_FALSE(s->dryRun);
  EXPECT_FALSE(s->stoppedEarly);
  EXPECT_TRUE(s->success);
}

TEST(TerminationSummary, ReadsAFailedPurgeWithItsError) {
  const auto s = parsePurgeSummary(
      R"({"organisation":"Nope","deleted":0,"success":false,"error":"organisation \"Nope\" does not exist"})");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->success);
  EXPECT_EQ(s->error, "organisation \"Nope\" does not exist");
}

TEST(TerminationSummary, ReadsTheVacuumSummaryWithBeforeAndAfter) {
  const auto s = parseVacuumSummary(kVacuum);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->table, "api_secretevent");
  EXPECT_TRUE(s->full);
  EXPECT_FALSE(s->skipped);
  EXPECT_TRUE(s->success);
  EXPECT_EQ(s->bytesReclaimed, 7000);
  EXPECT_DOUBLE_EQ(s->durationSeconds, 3.25);
  ASSERT_TRUE(s->before && s->after);
  EXPECT_EQ(s->before->deadTuples, 900);
  EXPECT_EQ(s->after->totalBytes, 5000);
  EXPECT_EQ(s->after->tableBytes, 4000);
  EXPECT_EQ(s->after->indexBytes, 1000);
  EXPECT_EQ(s->after->liveTuples, 500);
  EXPECT_EQ(s->after->checkedAt, "2026-11-25T03:31:00Z");
}

TEST(TerminationSummary, ReadsTheVacuumMethodWhenThereIsOne) {
  const auto repack = parseVacuumSummary(R"({"table":"api_secretevent","method":"Repack","full":true,"success":true})");
  ASSERT_TRUE(repack);
  EXPECT_EQ(repack->method, "Repack");
  EXPECT_TRUE(repack->full);
  EXPECT_EQ(parseVacuumSummary(kVacuum)->method, "") << "summaries of earlier versions have none";
}

TEST(TerminationSummary, ASkippedVacuumHasNoAfter) {
  const auto s = parseVacuumSummary(
      R"({"table":"api_secretevent","skipped":true,"after":null,"before":{"deadTuples":3},"message":"3 dead tuples","success":true})");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->skipped);
  EXPECT_FALSE(s->after);
  EXPECT_EQ(s->before->deadTuples, 3);
  EXPECT_EQ(s->message, "3 dead tuples");
}

TEST(TerminationSummary, TheLastSummaryLineWinsOverProgressOutput) {
  const std::string msg = std::string("purge: batch 1 deleted 10 rows\n{\"note\":1}\n") + kPurge + "\n\n";
  const auto s = parsePurgeSummary(msg);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->deleted, 750000);
}

TEST(TerminationSummary, GarbageAndTruncationGiveNothingAndNeverThrow) {
  const std::string purge = kPurge;
  std::string deep(4000, '[');
  std::string huge = "{\"success\":true,\"x\":\"" + std::string(10000, 'a') + "\"}";
  for (const std::string& bad :
       {std::string(), std::string("not json"), std::string("{"), purge.substr(0, purge.size() / 2),
        std::string("[1,2,3]"), std::string("{\"success\":\"yes\"}"), std::string("null"), deep,
        std::string("\xff\xfe\x00garbage", 10), huge, std::string("{\"success\":true}{\"success\":true}"),
        std::string("{\"success\":true,\"deleted\":1e400}")}) {
    EXPECT_NO_THROW({
      EXPECT_FALSE(parsePurgeSummary(bad)) << bad.substr(0, 40);
      EXPECT_FALSE(parseVacuumSummary(bad)) << bad.substr(0, 40);
    });
  }
}

TEST(TerminationSummary, WrongTypesAndOddNumbersKeepSafeDefaults) {
  const auto s = parsePurgeSummary(
      R"({"success":true,"deleted":-5,"remaining":"many","batches":1e300,"durationSeconds":-1,)"
      R"("retainDays":30.6,"tagRowsDeleted":18446744073709551615,"organisation":42,"stoppedEarly":"true"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->deleted, 0);
  EXPECT_EQ(s->remaining, 0);
  EXPECT_EQ(s->batches, std::numeric_limits<long long>::max());
  EXPECT_EQ(s->durationSeconds, 0);
  EXPECT_EQ(s->retainDays, 31);
  EXPECT_EQ(s->tagRowsDeleted, std::numeric_limits<long long>::max());
  EXPECT_EQ(s->organisation, "");
  EXPECT_FALSE(s->stoppedEarly);
}

TEST(TerminationSummary, ReadsOnlyTheFirst4KiBAsTheKubeletDoes) {
  std::string msg = std::string(kTerminationMessageLimit - 10, ' ') + kPurge;  // cut in the middle
  EXPECT_FALSE(parsePurgeSummary(msg));
  EXPECT_TRUE(parsePurgeSummary(std::string(100, '\n') + kPurge));
}

}  // namespace
}  // namespace pmo::maintenance
