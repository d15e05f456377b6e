#pragma once
// What every database subcommand (purge, vacuum, stats, recoveries) shares: where the
// database is (--database-url, or Phase's own DATABASE_* variables), where its password
// comes from (never the command line, which any process can read in /proc/PID/cmdline),
// and how the final one-line JSON summary leaves the process (stdout and the pod's
// termination message).
#include <string>

#include <nlohmann/json.hpp>

#include "common/args.hpp"
#include "db/connection.hpp"

namespace pmo::cli {

// Declares --database-url URL, --database-password-file FILE and --allow-password-in-url.
void addDatabaseFlags(args::Spec& spec);

// How the database flags read in a synopsis.
std::string databaseFlagsSynopsis();

// --database-url when given, else Phase's variables (db::paramsFromEnv: DATABASE_HOST, ...,
// DATABASE_PASSWORD_FILE or DATABASE_PASSWORD, DATABASE_SSL, DATABASE_SSL_CA_PATH). The
// password of a URL comes from --database-password-file, else DATABASE_PASSWORD_FILE, else
// DATABASE_PASSWORD (else libpq's own PGPASSWORD / ~/.pgpass); a URL that carries one is
// refused unless --allow-password-in-url. `env` is the process environment (tests pass
// their own). Throws args::UsageError with a message that names what is missing or
// malformed and the fix, and never contains the password.
db::ConnectionParams databaseParams(const args::Parsed& parsed, const std::map<std::string, std::string>& env);
db::ConnectionParams databaseParams(const args::Parsed& parsed);

// Where the summary is copied: $PMO_TERMINATION_LOG when set (created if needed),
// otherwise /dev/termination-log only when it exists. Empty: nowhere.
std::string terminationLogPath();

// Prints `summary` as one JSON line on stdout (flushed) and writes the same line to
// terminationLogPath(), replacing what was there. A failure to write the termination
// log is reported on stderr and does not fail the command: stdout already has it.
void writeSummary(const nlohmann::json& summary);

}  // namespace pmo::cli
