// Phase version tags: parsing, the CRD pattern agreeing with the parser, precedence.
#include <gtest/gtest.h>

#include <regex>

#include "maintenance/version.hpp"

using pmo::maintenance::compareVersions;
using pmo::maintenance::kVersionPattern;
using pmo::maintenance::parseVersion;
using pmo::maintenance::Version;

namespace {

Version v(const std::string& text) {
  auto parsed = parseVersion(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Version{});
}

int order(const std::string& a, const std::string& b) {
  auto c = compareVersions(v(a), v(b));
  EXPECT_TRUE(c.has_value()) << a << " vs " << b;
  return c.value_or(99);
}

}  // namespace

TEST(Version, ParsesPhaseTagWithAndWithoutV) {
  Version a = v("v2.73.2");
  EXPECT_EQ(a.major, 2u);
  EXPECT_EQ(a.minor, 73u);
  EXPECT_EQ(a.patch, 2u);
  EXPECT_TRUE(a.preRelease.empty());
  EXPECT_FALSE(a.mutableTag());
  EXPECT_EQ(a.text, "v2.73.2");
  Version b = v("2.73.2");
  EXPECT_EQ(b.canonical(), "v2.73.2");
  EXPECT_EQ(b.text, "2.73.2");  // the tag is used as written
  EXPECT_EQ(order("v2.73.2", "2.73.2"), 0);
}

TEST(Version, ParsesPreRelease) {
  Version a = v("v2.74.0-rc.1");
  ASSERT_EQ(a.preRelease.size(), 2u);
  EXPECT_EQ(a.preRelease[0], "rc");
  EXPECT_EQ(a.preRelease[1], "1");
  EXPECT_EQ(a.canonical(), "v2.74.0-rc.1");
}

TEST(Version, LatestIsMutableAndUnordered) {
  Version latest = v("latest");
  EXPECT_TRUE(latest.mutableTag());
  EXPECT_FALSE(compareVersions(latest, v("v2.73.2")).has_value());
  EXPECT_FALSE(compareVersions(v("v2.73.2"), latest).has_value());
  EXPECT_EQ(compareVersions(latest, v("latest")), 0);
}

TEST(Version, OrdersBySemverPrecedence) {
  EXPECT_LT(order("v2.73.2", "v2.73.10"), 0);  // numeric, not lexical
  EXPECT_LT(order("v2.9.0", "v2.10.0"), 0);
  EXPECT_LT(order("v1.99.99", "v2.0.0"), 0);
  EXPECT_GT(order("v2.74.0", "v2.73.2"), 0);
  EXPECT_LT(order("v2.74.0-rc.1", "v2.74.0"), 0);   // pre-release before release
  EXPECT_GT(order("v2.74.0-rc.1", "v2.73.9"), 0);
  EXPECT_LT(order("v2.74.0-rc.1", "v2.74.0-rc.2"), 0);
  EXPECT_LT(order("v2.74.0-rc.2", "v2.74.0-rc.10"), 0);  // numeric identifiers by value
  EXPECT_LT(order("v2.74.0-alpha", "v2.74.0-alpha.1"), 0);  // shorter first
  EXPECT_LT(order("v2.74.0-1", "v2.74.0-alpha"), 0);  // numeric before alphanumeric
  EXPECT_LT(order("v2.74.0-alpha", "v2.74.0-beta"), 0);
  EXPECT_EQ(order("v2.74.0-rc.1", "2.74.0-rc.1"), 0);
}

TEST(Version, RejectsMalformedTagsNamingTheExpectedForm) {
  for (const char* bad : {"", "2.73", "v2", "v2.73.2.1", "V2.73.2", "v02.73.2", "v2.073.2",
                          "v2.73.x", "v2.73.2-", "v2.73.2-rc..1", "v2.73.2+build", "Latest",
                          " v2.73.2", "v2.73.2 ", "v-2.73.2", "vv2.73.2", "v1234567890.0.0"}) {
    std::string error;
    EXPECT_FALSE(parseVersion(bad, &error).has_value()) << bad;
    EXPECT_NE(error.find("vMAJOR.MINOR.PATCH"), std::string::npos) << error;
    EXPECT_NE(error.find("\"latest\""), std::string::npos) << error;
  }
}

TEST(Version, RejectsOverlongTag) {
  std::string error;
  EXPECT_FALSE(parseVersion("v1.2.3-" + std::string(130, 'a'), &error).has_value());
  EXPECT_NE(error.find("128"), std::string::npos);
}

// The CRD's pattern (shared constant) and the parser accept exactly the same tags, so
// admission and the operator never disagree about a version.
TEST(Version, CrdPatternAgreesWithParser) {
  std::regex pattern(kVersionPattern);
  for (const char* text : {"v2.73.2", "2.73.2", "v0.0.0", "v2.74.0-rc.1", "v1.0.0-alpha-1.x",
                           "latest", "2.73", "v2.73.2+b", "v02.0.0", "v1.2.3-", "v1.2.3-a..b",
                           "LATEST", "v1.2.3-rc.01", "v999999999.0.0", "v1000000000.0.0"}) {
    bool byPattern = std::regex_match(std::string(text), pattern);
    bool byParser = parseVersion(text).has_value();
    EXPECT_EQ(byPattern, byParser) << text;
  }
  EXPECT_TRUE(std::regex_match(std::string(), pattern));  // "" = Follow mode
}
