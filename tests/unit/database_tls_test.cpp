// spec.database.tls: parsed with the CRD's defaults, validated as its CEL rules are, and
// mounted read-only into every child that connects, with libpq's variables pointing at it.
#include <gtest/gtest.h>

#include "maintenance/auditlogs/cronjob_builder.hpp"
#include "maintenance/database_tls.hpp"
#include "maintenance/migration/job_builder.hpp"
#include "maintenance/spec/schema.hpp"
#include "migration_test_world.hpp"

namespace pmo::maintenance {
namespace {

Json resource(const Json& database) {
  Json db = {{"host", "db"}, {"name", "phase_db"}, {"user", "phase_api"},
             {"passwordSecretRef", {{"name", "phase-console-secret"}}}};
  db.update(database);
  return Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
              {"kind", "PhaseMaintenance"},
              {"metadata", {{"name", "phase"}, {"namespace", "phase"}}},
              {"spec", {{"database", db}}}};
}

const Json kCaFromSecret = {{"tls", {{"ca", {{"secretKeyRef", {{"name", "db-ca"}}}}}}}};

std::string errorsOf(const SpecParseResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.toString() + "\n";
  return out;
}

TEST(DatabaseTlsSpec, ACaMakesVerifyFullTheDefaultAsPhaseDoes) {
  const auto r = parseSpec(resource(kCaFromSecret));
  ASSERT_TRUE(r.ok()) << errorsOf(r);
  EXPECT_EQ(r.spec.database.sslMode, "verify-full");
  ASSERT_TRUE(r.spec.database.tls.caSecret);
  EXPECT_EQ(r.spec.database.tls.caSecret->name, "db-ca");
  EXPECT_EQ(r.spec.database.tls.caSecret->key, "ca.crt");
  EXPECT_EQ(parseSpec(resource(Json::object())).spec.database.sslMode, "prefer");
  Json verifyCa = kCaFromSecret;
  verifyCa["sslMode"] = "verify-ca";
  EXPECT_EQ(parseSpec(resource(verifyCa)).spec.database.sslMode, "verify-ca");
}

TEST(DatabaseTlsSpec, ACaWithAnUnverifiedSslModeIsRefusedNamingTheFix) {
  Json db = kCaFromSecret;
  db["sslMode"] = "require";
  const auto r = parseSpec(resource(db));
  ASSERT_EQ(r.errors.size(), 1u) << errorsOf(r);
  EXPECT_EQ(r.errors[0].field, "spec.database.sslMode");
  EXPECT_NE(r.errors[0].message.find(schema::kRuleCaNeedsVerify), std::string::npos) << errorsOf(r);
  EXPECT_NE(r.errors[0].message.find("remove sslMode"), std::string::npos) << errorsOf(r);
}

TEST(DatabaseTlsSpec, TheCaComesFromExactlyOneSource) {
  Json both = {{"tls", {{"ca", {{"secretKeyRef", {{"name", "a"}}}, {"configMapKeyRef", {{"name", "b"}}}}}}}};
  Json none = {{"tls", {{"ca", Json::object()}}}};
  for (const Json& db : {both, none}) {
    const auto r = parseSpec(resource(db));
    ASSERT_FALSE(r.ok()) << db;
    EXPECT_EQ(r.errors[0].field, "spec.database.tls.ca") << errorsOf(r);
    EXPECT_NE(r.errors[0].message.find(schema::kRuleCaOneSource), std::string::npos) << errorsOf(r);
  }
  Json badName = {{"tls", {{"ca", {{"configMapKeyRef", {{"name", "Not_A_Name"}}}}}}}};
  const auto r = parseSpec(resource(badName));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].field, "spec.database.tls.ca.configMapKeyRef.name") << errorsOf(r);
}

testing::World tlsWorld(bool clientCert) {
  testing::World w;
  w.spec.database.host = "db.internal";
  w.spec.database.name = "phase_db";
  w.spec.database.user = "phase_api";
  w.spec.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  w.spec.database.sslMode = "verify-full";
  w.spec.database.tls.caGiven = true;
  w.spec.database.tls.caConfigMap = SecretKeyRef{"db-ca-bundle", "root.pem"};
  if (clientCert) w.spec.database.tls.clientCertSecret = "phase-db-client";
  w.spec.migrations.backup.enabled = true;
  w.spec.migrations.backup.persistentVolumeClaim = "phase-backups";
  return w;
}

Json envValue(const Json& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"] == name) return e.value("value", Json());
  return nullptr;
}

// Every connecting child: the purge and vacuum CronJobs' pods and the backup Job's pod.
std::vector<Json> connectingPods(const testing::World& w) {
  const PurgeRule rule{"SpaceX", 30, "", "0 3 * * *"};
  return {buildPurgeCronJob(w.pm, w.spec, rule, "img:1", false)["spec"]["jobTemplate"]["spec"]["template"]["spec"],
          buildVacuumCronJob(w.pm, w.spec, "img:1", false)["spec"]["jobTemplate"]["spec"]["template"]["spec"],
          buildBackupJob(w.pm, w.spec, *w.backend, "v2.72.0", "v2.73.2", "run", "/backups/x.dump")["spec"]["template"]
                        ["spec"]};
}

TEST(DatabaseTlsChildren, EveryConnectingPodMountsTheCaReadOnlyAndPointsLibpqAtIt) {
  for (const Json& pod : connectingPods(tlsWorld(false))) {
    const Json* volume = nullptr;
    for (const auto& v : pod["volumes"])
      if (v["name"] == kDatabaseTlsVolume) volume = &v;
    ASSERT_TRUE(volume) << pod["volumes"];
    EXPECT_EQ((*volume)["projected"]["sources"],
              Json::parse(R"([{"configMap": {"name": "db-ca-bundle", "items": [{"key": "root.pem", "path": "ca.crt"}]}}])"));
    const Json& c = pod["containers"][0];
    bool mounted = false;
    for (const auto& m : c["volumeMounts"])
      if (m["name"] == kDatabaseTlsVolume) mounted = m["readOnly"] == true && m["mountPath"] == kDatabaseTlsMountPath;
    EXPECT_TRUE(mounted) << c["volumeMounts"];
    EXPECT_EQ(envValue(c, "PGSSLMODE"), "verify-full");
    EXPECT_EQ(envValue(c, "PGSSLROOTCERT"), std::string(kDatabaseTlsMountPath) + "/ca.crt");
    EXPECT_EQ(envValue(c, "PGSSLKEY"), nullptr) << "no client certificate given";
  }
}

TEST(DatabaseTlsChildren, MutualTlsAddsTheClientCertificateAndAKeyLibpqAccepts) {
  for (const Json& pod : connectingPods(tlsWorld(true))) {
    Json sources;
    for (const auto& v : pod["volumes"])
      if (v["name"] == kDatabaseTlsVolume) sources = v["projected"]["sources"];
    ASSERT_EQ(sources.size(), 2u) << pod["volumes"];
    EXPECT_EQ(sources[1]["secret"]["name"], "phase-db-client");
    const Json& c = pod["containers"][0];
    EXPECT_EQ(envValue(c, "PGSSLCERT"), std::string(kDatabaseTlsMountPath) + "/tls.crt");
    EXPECT_EQ(envValue(c, "PGSSLKEY"), std::string(kDatabaseTlsMountPath) + "/tls.key");
    // libpq refuses a key readable by others; 0440 owned by root with the pod's fsGroup it reads.
    for (const auto& v : pod["volumes"]) {
      if (v["name"] == kDatabaseTlsVolume) {
        EXPECT_EQ(v["projected"]["defaultMode"], 0440);
      }
    }
    EXPECT_TRUE(pod["securityContext"].contains("fsGroup")) << pod["securityContext"];
  }
}

TEST(DatabaseTlsChildren, WithoutTlsNothingIsMounted) {
  testing::World w = tlsWorld(false);
  w.spec.database.tls = DatabaseTlsSpec{};
  const std::vector<Json> pods = connectingPods(w);
  for (const Json& pod : pods) {
    for (const auto& v : pod["volumes"]) EXPECT_NE(v["name"], kDatabaseTlsVolume);
    EXPECT_EQ(envValue(pod["containers"][0], "PGSSLROOTCERT"), nullptr);
  }
  for (std::size_t cron : {0u, 1u}) EXPECT_FALSE(pods[cron]["securityContext"].contains("fsGroup"));
}

}  // namespace
}  // namespace pmo::maintenance
