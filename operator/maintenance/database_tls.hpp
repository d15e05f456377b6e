#pragma once
// spec.database.tls in the pods that connect to the database (purge and vacuum CronJobs, the
// backup Job): one projected volume, mounted read-only, and libpq's own variables pointing
// at its files, so the operator's CLI and pg_dump read them alike.
//
// Guarantees: the certificate and key reach the pod only as files of Secret/ConfigMap
// volumes, never as env values or args; the key file is 0440 and the pod gets an fsGroup,
// as libpq accepts a key owned by root only without group write or any world access.
#include <optional>

#include "maintenance/spec/spec.hpp"

namespace pmo::maintenance {

using Json = nlohmann::json;

inline constexpr const char* kDatabaseTlsVolume = "database-tls";
inline constexpr const char* kDatabaseTlsMountPath = "/etc/phase-maintenance/database-tls";
inline constexpr const char* kDatabaseTlsCaFile = "ca.crt";    // in the mount
inline constexpr const char* kDatabaseTlsCertFile = "tls.crt";  // kubernetes.io/tls keys
inline constexpr const char* kDatabaseTlsKeyFile = "tls.key";
inline constexpr int kDatabaseTlsFileMode = 0440;

// The projected volume of `tls`; nullopt when it names nothing.
std::optional<Json> databaseTlsVolume(const DatabaseTlsSpec& tls);

// The read-only mount of that volume.
Json databaseTlsMount();

// PGSSLROOTCERT (with a CA), PGSSLCERT and PGSSLKEY (with a client certificate): paths into
// the mount; empty without tls.
Json databaseTlsEnv(const DatabaseTlsSpec& tls);

// Adds the volume, its mount on every container and the variables to `podSpec`, and an
// fsGroup (when the pod has none) so the key is readable; leaves `podSpec` as it is
// without tls.
void mountDatabaseTls(Json& podSpec, const DatabaseTlsSpec& tls, long long fsGroup);

}  // namespace pmo::maintenance
