#pragma once
// Deterministic names of the children the migration flow creates (docs/architecture.md: a restarted
// operator finds what it made by name instead of making it twice).
//
// Guarantees:
//  - The same inputs always give the same name; different versions give different names
//    (the version is in the name).
//  - Every name is a DNS-1123 label: lowercase [a-z0-9-], starts and ends alphanumeric,
//    at most 63 characters (a Job's name becomes its pods' `job-name` label value).
//  - A name that would be longer is cut and ends in "-" + 8 hex digits of a hash of the
//    full name, so two long names that share a prefix still differ.
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

inline constexpr std::size_t kMaxNameLength = 63;

// "v2.74.0-rc.1" -> "v2-74-0-rc-1": lowercase, every other character becomes '-', runs of
// '-' collapse, no '-' at either end. May be empty.
std::string dnsFragment(const std::string& text);

// Joins already-sanitized fragments with '-' and bounds the result to 63 characters.
std::string boundedName(const std::string& full);

// "<pm>-migrate-<to>", e.g. "phase-migrate-v2-73-2".
std::string migrationJobName(const std::string& pmName, const std::string& toVersion);

// "<pm>-backup-<from>-to-<to>", e.g. "phase-backup-v2-72-0-to-v2-73-2".
std::string backupJobName(const std::string& pmName, const std::string& fromVersion,
                          const std::string& toVersion);

// Where the backup Job writes its dump, on the backup PVC mounted at /backups:
// "/backups/<pm>/<from>-to-<to>-<yyyymmddThhmmss>.dump" (UTC, the migration's start).
// The directory is per PhaseMaintenance so retention (`keep`) never touches another
// instance's dumps.
std::string backupDumpPath(const std::string& pmName, const std::string& fromVersion,
                           const std::string& toVersion, TimePoint startedAt);

inline constexpr const char* kBackupMountPath = "/backups";

}  // namespace pmo::maintenance
