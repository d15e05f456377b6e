// No child the operator creates carries a database password on a command line: every pod
// it renders (migration and backup Jobs, purge and vacuum CronJobs), for a spec with every
// feature on, is searched for a password in args or command, a URL with user information,
// and a password variable given by value instead of by Secret reference. (The operator
// itself starts no child process: it talks to PostgreSQL through libpq in its own process.)
#include <regex>

#include <gtest/gtest.h>

#include "maintenance/auditlogs/cronjob_builder.hpp"
#include "maintenance/migration/job_builder.hpp"
#include "migration_test_world.hpp"

namespace pmo::maintenance {
namespace {

// Every container (init containers included) of every pod template in `object`.
void collectContainers(const Json& object, std::vector<Json>& out) {
  if (object.is_object()) {
    for (const char* key : {"containers", "initContainers"}) {
      if (object.contains(key) && object.at(key).is_array())
        for (const auto& c : object.at(key)) out.push_back(c);
    }
    for (const auto& [key, value] : object.items()) collectContainers(value, out);
  } else if (object.is_array()) {
    for (const auto& value : object) collectContainers(value, out);
  }
}

std::vector<Json> everyChild(const testing::World& w) {
  std::vector<Json> children;
  children.push_back(buildMigrationJob(w.pm, w.spec, *w.backend, "v2.73.2", "docker.io/phasehq/backend:v2.73.2", "2026-11-25T20:00:00Z").value());
  children.push_back(buildBackupJob(w.pm, w.spec, *w.backend, "v2.72.0", "v2.73.2", "2026-11-25T20:00:00Z",
                                    "/backups/phase/v2.72.0-to-v2.73.2.dump"));
  for (const auto& rule : w.spec.auditLogs.purge) children.push_back(buildPurgeCronJob(w.pm, w.spec, rule, "img:1", false));
  children.push_back(buildVacuumCronJob(w.pm, w.spec, "img:1", false));
  return children;
}

testing::World everyFeatureOn() {
  testing::World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.database.host = "db.internal";
  w.spec.database.name = "phase_db";
  w.spec.database.user = "phase_api";
  w.spec.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  w.spec.database.sslMode = "verify-full";
  w.spec.database.tls.caGiven = true;
  w.spec.database.tls.caSecret = SecretKeyRef{"db-ca", "ca.crt"};
  w.spec.database.tls.clientCertSecret = "phase-db-client";
  w.spec.migrations.backup.enabled = true;
  w.spec.migrations.backup.persistentVolumeClaim = "phase-backups";
  w.spec.auditLogs.purge = {{"SpaceX", 90, "", "0 3 * * *"}, {"Acme", 0, "app-1", "0 4 * * *"}};
  w.spec.auditLogs.vacuum = VacuumSpec{};
  w.spec.auditLogs.vacuum->schedule = "30 3 * * 0";
  w.spec.auditLogs.vacuum->full = true;
  return w;
}

// A URL with user information and a password (scheme://user:password@host), a libpq
// keyword, or a password flag.
bool carriesPassword(const std::string& arg) {
  static const std::regex userinfo(R"([A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]*@)");
  static const std::regex keyword(R"((^|[\s'"])(password|PGPASSWORD|DATABASE_PASSWORD)=)", std::regex::icase);
  static const std::regex flag(R"(--(database-)?password(=|$)|--database-url)");
  return std::regex_search(arg, userinfo) || std::regex_search(arg, keyword) || std::regex_search(arg, flag);
}

TEST(ChildPodSecrets, TheDetectorFindsAPasswordInEachFormItLooksFor) {
  EXPECT_TRUE(carriesPassword("postgres://phase:hunter2@db:5432/phase_db"));
  EXPECT_TRUE(carriesPassword("host=db password=hunter2"));
  EXPECT_TRUE(carriesPassword("PGPASSWORD=hunter2 pg_dump"));
  EXPECT_TRUE(carriesPassword("--database-url"));
  EXPECT_TRUE(carriesPassword("--password=hunter2"));
  EXPECT_FALSE(carriesPassword("postgres://phase@db:5432/phase_db"));
  EXPECT_FALSE(carriesPassword("pg_dump --format=custom --no-password"));
}

TEST(ChildPodSecrets, NoChildCarriesAPasswordInItsArgsOrCommand) {
  const testing::World w = everyFeatureOn();
  const std::vector<Json> children = everyChild(w);
  ASSERT_EQ(children.size(), 5u);
  std::size_t containers = 0;
  for (const Json& child : children) {
    std::vector<Json> found;
    collectContainers(child, found);
    ASSERT_FALSE(found.empty()) << child["metadata"]["name"];
    for (const Json& c : found) {
      ++containers;
      for (const char* key : {"command", "args"}) {
        for (const auto& arg : c.value(key, Json::array())) {
          EXPECT_FALSE(carriesPassword(arg.get<std::string>()))
              << child["metadata"]["name"] << " container " << c["name"] << " " << key << ": " << arg;
        }
      }
    }
  }
  EXPECT_GE(containers, 5u);
}

TEST(ChildPodSecrets, PasswordVariablesComeFromSecretsNeverByValue) {
  const testing::World w = everyFeatureOn();
  std::size_t passwordVariables = 0;
  for (const Json& child : everyChild(w)) {
    std::vector<Json> found;
    collectContainers(child, found);
    for (const Json& c : found) {
      for (const auto& e : c.value("env", Json::array())) {
        const std::string name = e.value("name", "");
        if (name.find("PASSWORD") == std::string::npos || (name.size() > 5 && name.substr(name.size() - 5) == "_FILE"))
          continue;
        ++passwordVariables;
        EXPECT_FALSE(e.contains("value")) << child["metadata"]["name"] << " " << name << " has a literal value";
        EXPECT_TRUE(e.contains("/valueFrom/secretKeyRef"_json_pointer)) << child["metadata"]["name"] << " " << name;
      }
    }
  }
  EXPECT_GE(passwordVariables, 4u) << "migration, backup and both kinds of CronJob read a password";
}

}  // namespace
}  // namespace pmo::maintenance
