#include "maintenance/names.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace pmo::maintenance {
namespace {

bool isDnsLabel(const std::string& s) {
  static const std::regex re("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return s.size() <= 63 && std::regex_match(s, re);
}

TEST(Names, MigrationJobNameCarriesTheVersion) {
  EXPECT_EQ(migrationJobName("phase", "v2.73.2"), "phase-migrate-v2-73-2");
  EXPECT_EQ(migrationJobName("phase", "v2.74.0-rc.1"), "phase-migrate-v2-74-0-rc-1");
}

TEST(Names, BackupJobNameCarriesBothVersions) {
  EXPECT_EQ(backupJobName("phase", "v2.72.0", "v2.73.2"), "phase-backup-v2-72-0-to-v2-73-2");
}

TEST(Names, UppercaseAndOddCharactersBecomeDnsSafe) {
  EXPECT_EQ(dnsFragment("My_Phase..Prod"), "my-phase-prod");
  EXPECT_EQ(dnsFragment("--x--"), "x");
  EXPECT_TRUE(isDnsLabel(migrationJobName("Phase_Prod", "LATEST")));
}

TEST(Names, LongNamesAreCutWithAStableHashSuffix) {
  const std::string pm(60, 'a');
  const std::string a = backupJobName(pm, "v2.72.0", "v2.73.2");
  const std::string b = backupJobName(pm, "v2.72.0", "v2.73.3");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_TRUE(isDnsLabel(a)) << a;
  EXPECT_TRUE(isDnsLabel(b)) << b;
  EXPECT_NE(a, b);
  EXPECT_EQ(a, backupJobName(pm, "v2.72.0", "v2.73.2"));
  EXPECT_TRUE(std::regex_search(a, std::regex("-[0-9a-f]{8}$"))) << a;
}

TEST(Names, NamesAtTheLimitAreNotHashed) {
  const std::string pm(63 - std::string("-migrate-v2-73-2").size(), 'p');
  EXPECT_EQ(migrationJobName(pm, "v2.73.2"), pm + "-migrate-v2-73-2");
}

TEST(Names, BackupDumpPathIsPerInstanceAndTimestamped) {
  const auto t = parseTime("2026-11-25T20:36:13Z").value();
  EXPECT_EQ(backupDumpPath("phase", "v2.72.0", "v2.73.2", t),
            "/backups/phase/v2.72.0-to-v2.73.2-20261125T203613.dump");
}

}  // namespace
}  // namespace pmo::maintenance
