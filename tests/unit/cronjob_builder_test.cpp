// The purge and vacuum CronJobs: the fields that matter, names, hostile input.
#include <gtest/gtest.h>

#include <regex>

#include "maintenance/auditlogs/cronjob_builder.hpp"
#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

Json pmObject(const std::string& name = "phase") {
  return Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
              {"kind", "PhaseMaintenance"},
              {"metadata", {{"name", name}, {"namespace", "phase-ns"}, {"uid", "uid-pm"}, {"generation", 1}}}};
}

PhaseMaintenanceSpec specWithDatabase() {
  PhaseMaintenanceSpec s;
  s.database.host = "phase-console-postgres";
  s.database.port = 5433;
  s.database.name = "phase_db";
  s.database.user = "phase_api";
  s.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  s.database.sslMode = "require";
  return s;
}

bool isDnsLabel(const std::string& s, std::size_t max = kMaxCronJobNameLength) {
  return s.size() <= max && std::regex_match(s, std::regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
}

const Json& podSpecOf(const Json& cj) { return cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]; }
const Json& containerOf(const Json& cj) { return podSpecOf(cj)["containers"][0]; }

Json envNamed(const Json& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"] == name) return e;
  return nullptr;
}

TEST(CronJobBuilder, PurgeRunsTheOperatorBinaryWithTheRuleAsArgv) {
  PurgeRule rule{"SpaceX", 90, "app-1", "0 3 * * *"};
  const Json cj = buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "ghcr.io/x/pmo:1.2.3", false);
  const Json& c = containerOf(cj);
  EXPECT_EQ(c["image"], "ghcr.io/x/pmo:1.2.3");
  EXPECT_EQ(c["command"], Json::array({"phase-maintenance-operator"}));
  EXPECT_EQ(c["args"], Json::array({"purge", "--retain", "90", "--app-id", "app-1", "--max-duration", "3h30m", "--",
                                    "SpaceX"}));
  EXPECT_EQ(cj["spec"]["schedule"], "0 3 * * *");
  EXPECT_EQ(cj["spec"]["suspend"], false);
  EXPECT_EQ(cj["metadata"]["annotations"][annotations::kPurgeOrganisation], "SpaceX");
  EXPECT_EQ(cj["metadata"]["annotations"][annotations::kPurgeAppId], "app-1");
}

TEST(CronJobBuilder, DatabaseSettingsComeFromTheSpecAndThePasswordOnlyByReference) {
  const Json cj = buildVacuumCronJob(pmObject(), specWithDatabase(), "img:1", false);
  const Json& c = containerOf(cj);
  EXPECT_EQ(envNamed(c, "DATABASE_HOST")["value"], "phase-console-postgres");
  EXPECT_EQ(envNamed(c, "DATABASE_PORT")["value"], "5433");
  EXPECT_EQ(envNamed(c, "DATABASE_NAME")["value"], "phase_db");
  EXPECT_EQ(envNamed(c, "DATABASE_USER")["value"], "phase_api");
  EXPECT_EQ(envNamed(c, "PGSSLMODE")["value"], "require");
  const Json pw = envNamed(c, "DATABASE_PASSWORD");
  EXPECT_FALSE(pw.contains("value"));
  EXPECT_EQ(pw["valueFrom"]["secretKeyRef"]["name"], "phase-console-secret");
  EXPECT_EQ(pw["valueFrom"]["secretKeyRef"]["key"], "DATABASE_PASSWORD");
}

TEST(CronJobBuilder, SchedulingPolicyHistoryDeadlinesAndTimeZone) {
  PhaseMaintenanceSpec spec = specWithDatabase();
  spec.auditLogs.timeZone = "Europe/Berlin";
  spec.auditLogs.startingDeadlineSeconds = 300;
  spec.auditLogs.successfulJobsHistoryLimit = 3;
  spec.auditLogs.failedJobsHistoryLimit = 0;  // kept at 1: the status reads the last failure
  const Json cj = buildPurgeCronJob(pmObject(), spec, {"SpaceX", 30, "", "0 3 * * *"}, "img:1", true);
  EXPECT_EQ(cj["spec"]["concurrencyPolicy"], "Forbid");
  EXPECT_EQ(cj["spec"]["startingDeadlineSeconds"], 300);
  EXPECT_EQ(cj["spec"]["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(cj["spec"]["failedJobsHistoryLimit"], 1);
  EXPECT_EQ(cj["spec"]["timeZone"], "Europe/Berlin");
  EXPECT_EQ(cj["spec"]["suspend"], true);
  EXPECT_EQ(cj["spec"]["jobTemplate"]["spec"]["backoffLimit"], kAuditJobBackoffLimit);
  EXPECT_EQ(cj["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"], kPurgeActiveDeadlineSeconds);
  EXPECT_EQ(podSpecOf(cj)["restartPolicy"], "Never");
  EXPECT_EQ(containerOf(cj)["resources"], spec.auditLogs.resources);

  spec.auditLogs.timeZone = "";
  EXPECT_FALSE(buildPurgeCronJob(pmObject(), spec, {"SpaceX", 30, "", "0 3 * * *"}, "img:1", false)["spec"].contains(
      "timeZone"));
}

TEST(CronJobBuilder, ContainerIsNonRootReadOnlyWithoutPrivilegesOrApiToken) {
  const Json cj = buildVacuumCronJob(pmObject(), specWithDatabase(), "img:1", false);
  const Json& sc = containerOf(cj)["securityContext"];
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["runAsUser"], 65532);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(podSpecOf(cj)["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(podSpecOf(cj)["automountServiceAccountToken"], false);
  EXPECT_EQ(containerOf(cj)["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(containerOf(cj)["terminationMessagePolicy"], "File");
}

TEST(CronJobBuilder, LabelsOnCronJobJobsAndPodsAndAControllerReference) {
  const Json cj = buildPurgeCronJob(pmObject(), specWithDatabase(), {"SpaceX", 30, "", "0 3 * * *"}, "img:1", false);
  for (const Json* labels : {&cj["metadata"]["labels"], &cj["spec"]["jobTemplate"]["metadata"]["labels"],
                             &cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]}) {
    EXPECT_EQ((*labels)[labels::kComponent], "purge");
    EXPECT_EQ((*labels)[labels::kInstance], "phase");
    EXPECT_EQ((*labels)[labels::kOwner], "phase");
    EXPECT_EQ((*labels)[labels::kManagedBy], labels::kManagedByValue);
    EXPECT_EQ((*labels)[labels::kName], labels::kNameValue);
  }
  const Json& ref = cj["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["uid"], "uid-pm");
  EXPECT_EQ(ref["kind"], "PhaseMaintenance");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(cj["metadata"]["namespace"], "phase-ns");
  EXPECT_EQ(buildVacuumCronJob(pmObject(), specWithDatabase(), "img:1", false)["metadata"]["labels"][labels::kComponent],
            "vacuum");
}

TEST(CronJobBuilder, VacuumArgsFollowTheSpec) {
  VacuumSpec v;
  EXPECT_EQ(vacuumArgs(v), (std::vector<std::string>{"vacuum"}));
  v.full = true;
  v.lockTimeout = "10s";
  v.minDeadTuples = 5000;
  EXPECT_EQ(vacuumArgs(v),
            (std::vector<std::string>{"vacuum", "--full", "--lock-timeout", "10s", "--min-dead-tuples", "5000"}));
}

TEST(CronJobBuilder, VacuumMethodReachesTheJobAndFullKeepsItsSpelling) {
  VacuumSpec v;
  v.method = "Repack";
  v.lockTimeout = "30s";
  EXPECT_EQ(vacuumArgs(v), (std::vector<std::string>{"vacuum", "--method", "repack", "--lock-timeout", "30s"}));
  v.full = true;  // Repack is a full compaction too: method decides
  EXPECT_EQ(vacuumArgs(v), (std::vector<std::string>{"vacuum", "--method", "repack", "--lock-timeout", "30s"}));
  v.full = false;
  v.method = "Full";
  EXPECT_EQ(vacuumArgs(v), (std::vector<std::string>{"vacuum", "--full", "--lock-timeout", "30s"}));
  v.method = "Plain";
  EXPECT_EQ(vacuumArgs(v), (std::vector<std::string>{"vacuum"}));

  PhaseMaintenanceSpec spec = specWithDatabase();
  spec.auditLogs.vacuum = VacuumSpec{"30 3 * * 0", false, "5s", 0, "Repack"};
  const Json cj = buildVacuumCronJob(pmObject(), spec, "img:1", false);
  EXPECT_EQ(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"],
            Json::array({"vacuum", "--method", "repack", "--lock-timeout", "5s"}));
}

TEST(CronJobBuilder, SpecHashIsStableAndFollowsWhatTheOperatorDecides) {
  const PurgeRule rule{"SpaceX", 30, "", "0 3 * * *"};
  const Json a = buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "img:1", false);
  const Json b = buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "img:1", false);
  const std::string hash = a["metadata"]["annotations"][annotations::kSpecHash];
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash, b["metadata"]["annotations"][annotations::kSpecHash]);
  EXPECT_EQ(hash, cronJobSpecHash(a));
  PurgeRule later = rule;
  later.schedule = "0 4 * * *";
  EXPECT_NE(hash, cronJobSpecHash(buildPurgeCronJob(pmObject(), specWithDatabase(), later, "img:1", false)));
  EXPECT_NE(hash, cronJobSpecHash(buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "img:1", true)));
  EXPECT_NE(hash, cronJobSpecHash(buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "img:2", false)));
}

TEST(CronJobBuilder, DriftIsTheHashOrAnOwnedFieldEditedByHand) {
  const Json desired = buildPurgeCronJob(pmObject(), specWithDatabase(), {"SpaceX", 30, "", "0 3 * * *"}, "img:1", false);
  Json observed = desired;
  observed["metadata"]["resourceVersion"] = "7";
  observed["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst";  // API default
  EXPECT_FALSE(cronJobDrifted(observed, desired));
  Json edited = observed;
  edited["spec"]["suspend"] = true;  // kubectl patch, hash untouched
  EXPECT_TRUE(cronJobDrifted(edited, desired));
  edited = observed;
  edited["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][2] = "0";
  EXPECT_TRUE(cronJobDrifted(edited, desired));
  edited = observed;
  edited["metadata"]["annotations"][annotations::kSpecHash] = "0000000000000000";
  EXPECT_TRUE(cronJobDrifted(edited, desired));
}

TEST(CronJobBuilder, UpdateKeepsServerMetadataAndForeignLabels) {
  const Json desired = buildPurgeCronJob(pmObject(), specWithDatabase(), {"SpaceX", 30, "", "0 4 * * *"}, "img:1", false);
  Json observed = buildPurgeCronJob(pmObject(), specWithDatabase(), {"SpaceX", 30, "", "0 3 * * *"}, "img:1", false);
  observed["metadata"]["resourceVersion"] = "42";
  observed["metadata"]["uid"] = "uid-cj";
  observed["metadata"]["labels"]["team"] = "sre";
  observed["metadata"]["annotations"]["note"] = "hi";
  const Json put = cronJobUpdate(observed, desired);
  EXPECT_EQ(put["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(put["metadata"]["uid"], "uid-cj");
  EXPECT_EQ(put["metadata"]["labels"]["team"], "sre");
  EXPECT_EQ(put["metadata"]["annotations"]["note"], "hi");
  EXPECT_EQ(put["metadata"]["annotations"][annotations::kSpecHash], desired["metadata"]["annotations"][annotations::kSpecHash]);
  EXPECT_EQ(put["spec"], desired["spec"]);
}

TEST(CronJobBuilder, NamesAreDeterministicDistinctAndWithinTheCronJobLimit) {
  const PurgeRule org{"SpaceX", 30, "", "0 3 * * *"};
  const PurgeRule app{"SpaceX", 30, "4f0e6c1a-6c7e-4a1b-9a59-1f0b6f7e2c11", "0 3 * * *"};
  EXPECT_EQ(purgeCronJobName("phase", org), purgeCronJobName("phase", org));
  EXPECT_NE(purgeCronJobName("phase", org), purgeCronJobName("phase", app));
  EXPECT_NE(purgeCronJobName("phase", {"Space X", 30, "", ""}), purgeCronJobName("phase", {"space-x", 30, "", ""}));
  EXPECT_NE(purgeCronJobName("a", org), purgeCronJobName("b", org));
  EXPECT_EQ(purgeCronJobName("phase", org).rfind("phase-purge-spacex-", 0), 0u);
  EXPECT_EQ(vacuumCronJobName("phase"), "phase-vacuum");
  const std::string longPm(63, 'p');
  for (const auto& n : {purgeCronJobName(longPm, app), purgeCronJobName("phase", app), vacuumCronJobName(longPm),
                        purgeCronJobName(longPm + ".prod", {std::string(64, 'O'), 0, "", ""})}) {
    EXPECT_TRUE(isDnsLabel(n)) << n;
  }
  EXPECT_NE(vacuumCronJobName(longPm), vacuumCronJobName(longPm + "q"));
}

TEST(CronJobBuilder, HostileOrganisationNamesGiveValidNamesAndOneArgvElement) {
  for (const std::string org : {"Robert'); DROP TABLE api_app;--", "火星 Mars", "$(reboot) `id` \"q\"", "-rf",
                                "--retain", "a\nb", "日本語"}) {
    const PurgeRule rule{org, 7, "", "0 3 * * *"};
    const Json cj = buildPurgeCronJob(pmObject(), specWithDatabase(), rule, "img:1", false);
    const std::string name = cj["metadata"]["name"];
    EXPECT_TRUE(isDnsLabel(name)) << name;
    const Json& args = containerOf(cj)["args"];
    ASSERT_GE(args.size(), 2u);
    EXPECT_EQ(args[args.size() - 2], "--") << "the organisation must follow the end of flags";
    EXPECT_EQ(args.back(), org);
    EXPECT_EQ(containerOf(cj)["command"].size(), 1u);  // no shell: argv as is
  }
}

TEST(CronJobBuilder, ImageIsTheSpecOverrideOrTheOperatorsOwn) {
  Observed in;
  in.operatorImage = "ghcr.io/x/pmo:1.0";
  EXPECT_EQ(auditJobImage(in), "ghcr.io/x/pmo:1.0");
  in.spec.operatorImage = "mirror.local/pmo:1.0";
  EXPECT_EQ(auditJobImage(in), "mirror.local/pmo:1.0");
}

}  // namespace
}  // namespace pmo::maintenance
