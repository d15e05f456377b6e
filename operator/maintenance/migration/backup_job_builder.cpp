#include <string>

#include "maintenance/migration/job_builder.hpp"
#include "maintenance/database_tls.hpp"
#include "maintenance/job_common.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/names.hpp"
#include "maintenance/owner.hpp"
#include "maintenance/migration/pod_template.hpp"

namespace pmo::maintenance {
namespace {

constexpr const char* kBackupVolume = "backups";
constexpr long kPostgresUid = 999;  // the official postgres image's "postgres" user

Json envVar(const std::string& name, const std::string& value) {
  return Json{{"name", name}, {"value", value}};
}

// The backend's securityContexts may demand runAsNonRoot without naming a user (the Phase
// image has a non-root USER, the postgres image runs as root by default): then the kubelet
// would refuse to start the container. Run it as the postgres user in that case.
Json backupSecurityContext(const Json& podSecurityContext, const Json& backendContainer) {
  Json sc = backendContainer.value("securityContext", Json::object());
  const bool nonRoot = sc.value("runAsNonRoot", false) || podSecurityContext.value("runAsNonRoot", false);
  const bool hasUser = sc.contains("runAsUser") || podSecurityContext.contains("runAsUser");
  if (nonRoot && !hasUser) sc["runAsUser"] = kPostgresUid;
  return sc;
}

}  // namespace

std::string backupScript() {
  return R"(set -eu
dir=$(dirname "$BACKUP_FILE")
mkdir -p "$dir"
tmp="$BACKUP_FILE.partial"
trap 'rm -f "$tmp"' EXIT
echo "pg_dump -Fc of $PGDATABASE on $PGHOST:$PGPORT to $BACKUP_FILE"
pg_dump --format=custom --no-password --file="$tmp"
mv "$tmp" "$BACKUP_FILE"
# Retention: the newest $BACKUP_KEEP dumps of this instance stay, older ones go.
ls -1t "$dir"/*.dump | tail -n +$((BACKUP_KEEP + 1)) | while IFS= read -r old; do
  echo "removing old dump $old"
  rm -f -- "$old"
done
printf '%s' "$BACKUP_FILE" > /dev/termination-log
echo "backup written to $BACKUP_FILE"
)";
}

Json buildBackupJob(const Json& pm, const PhaseMaintenanceSpec& spec, const Json& backend,
                    const std::string& fromVersion, const std::string& toVersion,
                    const std::string& runId, const std::string& dumpPath) {
  const DatabaseSpec& db = spec.database;
  Json env = Json::array({envVar("PGHOST", db.host), envVar("PGPORT", std::to_string(db.port)),
                          envVar("PGDATABASE", db.name), envVar("PGUSER", db.user),
                          envVar("PGSSLMODE", db.sslMode),
                          Json{{"name", "PGPASSWORD"},
                               {"valueFrom",
                                {{"secretKeyRef",
                                  {{"name", db.passwordSecretRef.name},
                                   {"key", db.passwordSecretRef.key}}}}}},
                          envVar("BACKUP_FILE", dumpPath),
                          envVar("BACKUP_KEEP", std::to_string(spec.migrations.backup.keep))});

  Json pod = derivedPodSpec(backend);
  pod.erase("volumes");  // the dump needs only the PVC, not the backend's secrets
  pod["volumes"] = Json::array(
      {{{"name", kBackupVolume},
        {"persistentVolumeClaim", {{"claimName", spec.migrations.backup.persistentVolumeClaim}}}}});

  const Json backendContainer = derivedContainer(backend, spec.backend.container).value_or(Json::object());
  Json container = {{"name", "backup"},
                    {"image", spec.migrations.backup.image},
                    {"command", Json::array({"/bin/sh", "-c", backupScript()})},
                    {"env", env},
                    {"volumeMounts", Json::array({{{"name", kBackupVolume}, {"mountPath", kBackupMountPath}}})},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  const Json sc = backupSecurityContext(pod.value("securityContext", Json::object()), backendContainer);
  if (!sc.empty()) container["securityContext"] = sc;
  pod["containers"] = Json::array({container});
  mountDatabaseTls(pod, spec.database.tls, kPostgresUid);  // pg_dump reads PGSSLROOTCERT and the rest

  const std::string name = backupJobName(pmName(pm), fromVersion, toVersion);
  return jobObject(pm, spec, name, labels::kComponentBackup, toVersion, runId,
                   Json{{annotations::kBackupPath, dumpPath}}, pod);
}

}  // namespace pmo::maintenance
