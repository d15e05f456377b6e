// The operator matches the CRD's patterns with std::regex; the API server with Go's regexp
// (RE2). Every pattern validateSpec shares with the CRD must accept exactly the strings
// RE2 accepts: checked here against RE2 itself, on strings chosen where ECMAScript and RE2
// differ (\s, \S, '.', line breaks, multi-byte characters, anchors).
#include <gtest/gtest.h>

#include "maintenance/spec/cron.hpp"
#include "maintenance/spec/schema.hpp"
#include "maintenance/version.hpp"
#include "sandbox/schema_regex.hpp"

namespace {

namespace schema = pmo::maintenance::schema;

TEST(SpecPatterns, OperatorAndRe2AcceptTheSameStrings) {
  const std::vector<std::pair<const char*, const char*>> patterns = {
      {"dnsSubdomain", schema::kDnsSubdomain},
      {"dnsLabel", schema::kDnsLabel},
      {"secretKey", schema::kSecretKey},
      {"imageRepository", schema::kImageRepository},
      {"imageReference", schema::kImageReference},
      {"optionalImageReference", schema::kOptionalImageReference},
      {"host", schema::kHost},
      {"organisation", schema::kOrganisation},
      {"appId", schema::kAppId},
      {"requestId", schema::kRequestId},
      {"duration", schema::kDuration},
      {"optionalDuration", schema::kOptionalDuration},
      {"timeZone", schema::kTimeZone},
      {"quantity", schema::kQuantity},
      {"resourceName", schema::kResourceName},
      {"version", pmo::maintenance::kVersionPattern},
      {"cron", pmo::maintenance::kCronPattern},
  };
  const std::vector<std::string> samples = {
      "", "a", "A", "0", "-", ".", " ", "a ", " a", "a b", "\va", "a\v", "\fa", "a\rb", "a\nb", "a\n", "\n",
      "\ta", "a\t", "Ü", "ÜberStraße", " Ü", "Ü ", "a\xC2\xA0", "\xC2\xA0" "a", "日本", "😀",
      "phase-console", "phase-console.default.svc", "Phase", "a..b", "a.b.", "-a", "a-",
      "docker.io/phasehq/backend", "docker.io/phasehq/backend:v2.73.2", "localhost:5000/x/y@sha256:" +
      std::string(64, 'a'), "postgres:15", "UPPER/case", "db.example.com", "::1", "10.0.0.1",
      "DATABASE_PASSWORD", "a/b", "2024-05-01-lockout", "r_1.x", "5s", "1h30m", "1.5h", "0s", "5", "5x", "1..5s",
      "Europe/Berlin", "Etc/GMT+5", "America/Argentina/Buenos_Aires", "/Berlin", "Berlin/", "a//b",
      "100m", "1.5Gi", "+1e3", ".5", "1e", "cpu", "memory", "example.com/gpu", "nvidia.com/gpu/x",
      "v2.73.2", "2.73.2", "latest", "v1.2.3-rc.1", "v01.2.3", "v1.2", "0 3 * * *", "@daily", "0 3 * *",
      "0\t3 * * *", "0 3 * * * *", "@every 5m"};
  for (const auto& [name, pattern] : patterns)
    for (const auto& s : samples)
      EXPECT_EQ(schema::matches(pattern, s), pmo::sandbox::regex::search(pattern, s).matched)
          << name << " on " << ::testing::PrintToString(s);
}

}  // namespace
