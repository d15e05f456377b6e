// Golden checks of the migration and backup Jobs built from the chart's backend Deployment.
#include "maintenance/migration/job_builder.hpp"

#include <gtest/gtest.h>

#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"
#include "migration_test_world.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;

struct JobBuilderTest : ::testing::Test {
  World w;
  Json backend = *w.backend;
  Json migration() {
    return buildMigrationJob(w.pm, w.spec, backend, "v2.73.2", w.spec.backendImage + ":v2.73.2", "2026-11-25T20:00:00Z").value();
  }
  const Json& podSpec(const Json& job) { return job["spec"]["template"]["spec"]; }
};

TEST_F(JobBuilderTest, MigrationJobRunsMigrateInTheTargetImage) {
  const Json job = migration();
  EXPECT_EQ(job["metadata"]["name"], "phase-migrate-v2-73-2");
  EXPECT_EQ(job["metadata"]["namespace"], "phase");
  const Json& c = podSpec(job)["containers"][0];
  ASSERT_EQ(podSpec(job)["containers"].size(), 1u);
  EXPECT_EQ(c["image"], "docker.io/phasehq/backend:v2.73.2");
  EXPECT_EQ(c["command"], Json::array({"python", "manage.py", "migrate"}));
  EXPECT_FALSE(c.contains("args"));
  EXPECT_EQ(c["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(podSpec(job)["restartPolicy"], "Never");
}

TEST_F(JobBuilderTest, MigrationPodKeepsTheBackendEnvironmentAndIdentity) {
  const Json job = migration();
  const Json& c = podSpec(job)["containers"][0];
  const Json& src = backend["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["env"], src["env"]);
  EXPECT_EQ(c["envFrom"], src["envFrom"]);
  EXPECT_EQ(c["securityContext"], src["securityContext"]);
  EXPECT_EQ(c["resources"], src["resources"]);
  EXPECT_EQ(podSpec(job)["serviceAccountName"], "phase-console");
  EXPECT_EQ(podSpec(job)["imagePullSecrets"], Json::array({{{"name", "regcred"}}}));
  EXPECT_EQ(podSpec(job)["securityContext"], backend["spec"]["template"]["spec"]["securityContext"]);
  EXPECT_EQ(podSpec(job)["nodeSelector"], backend["spec"]["template"]["spec"]["nodeSelector"]);
  EXPECT_EQ(podSpec(job)["tolerations"], backend["spec"]["template"]["spec"]["tolerations"]);
}

TEST_F(JobBuilderTest, MigrationPodDropsInitContainersProbesPortsAndStatefulVolumes) {
  const Json job = migration();
  const Json& pod = podSpec(job);
  const Json& c = pod["containers"][0];
  EXPECT_FALSE(pod.contains("initContainers"));  // wait-for-migrations would wait forever
  for (const char* k : {"ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"})
    EXPECT_FALSE(c.contains(k)) << k;
  EXPECT_EQ(pod["volumes"], Json::parse(R"([{"name":"secrets","secret":{"secretName":"phase-console-secret"}},
                                             {"name":"tmp","emptyDir":{}}])"));
  EXPECT_EQ(c["volumeMounts"], Json::parse(R"([{"name":"secrets","mountPath":"/etc/phase/secrets","readOnly":true},
                                               {"name":"tmp","mountPath":"/tmp"}])"));
}

TEST_F(JobBuilderTest, MigrationJobIsOwnedLabelledAndBounded) {
  w.spec.migrations.backoffLimit = 4;
  w.spec.migrations.activeDeadlineSeconds = 600;
  const Json job = migration();
  const Json ref = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "PhaseMaintenance");
  EXPECT_EQ(ref["apiVersion"], "maintenance.phase.dev/v1alpha1");
  EXPECT_EQ(ref["uid"], w.pm["metadata"]["uid"]);
  EXPECT_TRUE(ref["controller"].get<bool>());
  EXPECT_TRUE(ref["blockOwnerDeletion"].get<bool>());
  const Json& l = job["metadata"]["labels"];
  EXPECT_EQ(l[labels::kComponent], "migration");
  EXPECT_EQ(l[labels::kVersion], "v2.73.2");
  EXPECT_EQ(l[labels::kInstance], "phase");
  EXPECT_EQ(l[labels::kManagedBy], "phase-maintenance-operator");
  EXPECT_EQ(l[labels::kOwner], "phase");
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"], l);  // not the Service's selector labels
  EXPECT_EQ(job["spec"]["backoffLimit"], 4);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 600);
  EXPECT_FALSE(job["spec"].contains("ttlSecondsAfterFinished"));
  EXPECT_EQ(job["metadata"]["annotations"][annotations::kMigrationRun], "2026-11-25T20:00:00Z");
  EXPECT_TRUE(isControlledBy(job, w.pm));
}

TEST_F(JobBuilderTest, MigrationJobNeedsTheNamedContainer) {
  w.spec.backend.container = "api";
  EXPECT_FALSE(buildMigrationJob(w.pm, w.spec, backend, "v2.73.2", "img", "x").has_value());
}

TEST_F(JobBuilderTest, BackupJobDumpsWithThePasswordFromTheSecret) {
  w.spec.database = {"db.internal", 5433, "phase_db", "phase_api", {"phase-console-secret", "DATABASE_PASSWORD"}, "require"};
  w.spec.migrations.backup = {true, "phase-backups", 7, "postgres:16"};
  const std::string path = "/backups/phase/v2.72.0-to-v2.73.2-20261125T200000.dump";
  const Json job = buildBackupJob(w.pm, w.spec, backend, "v2.72.0", "v2.73.2", "2026-11-25T20:00:00Z", path);
  EXPECT_EQ(job["metadata"]["name"], "phase-backup-v2-72-0-to-v2-73-2");
  EXPECT_EQ(job["metadata"]["labels"][labels::kComponent], "backup");
  EXPECT_EQ(job["metadata"]["annotations"][annotations::kBackupPath], path);
  const Json& pod = podSpec(job);
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "postgres:16");
  EXPECT_FALSE(pod.contains("initContainers"));
  EXPECT_EQ(pod["serviceAccountName"], "phase-console");
  EXPECT_EQ(pod["volumes"], Json::parse(R"([{"name":"backups","persistentVolumeClaim":{"claimName":"phase-backups"}}])"));
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/backups");
  std::map<std::string, Json> env;
  for (const auto& e : c["env"]) env[e["name"]] = e;
  EXPECT_EQ(env["PGHOST"]["value"], "db.internal");
  EXPECT_EQ(env["PGPORT"]["value"], "5433");
  EXPECT_EQ(env["PGSSLMODE"]["value"], "require");
  EXPECT_EQ(env["BACKUP_FILE"]["value"], path);
  EXPECT_EQ(env["BACKUP_KEEP"]["value"], "7");
  EXPECT_EQ(env["PGPASSWORD"]["valueFrom"]["secretKeyRef"],
            (Json{{"name", "phase-console-secret"}, {"key", "DATABASE_PASSWORD"}}));
  EXPECT_FALSE(env["PGPASSWORD"].contains("value"));
  EXPECT_EQ(c["securityContext"]["runAsUser"], 999);  // runAsNonRoot without a user: postgres's uid
  const std::string script = c["command"][2];
  EXPECT_NE(script.find("pg_dump --format=custom"), std::string::npos);
  EXPECT_NE(script.find("/dev/termination-log"), std::string::npos);
  EXPECT_NE(script.find("tail -n +$((BACKUP_KEEP + 1))"), std::string::npos);
}

}  // namespace
}  // namespace pmo::maintenance
