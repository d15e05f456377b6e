#pragma once
// What every database subcommand (purge, vacuum, stats, recoveries) shares: where the
// database is (--database-url, or Phase's own DATABASE_* variables) and how the final
// one-line JSON summary leaves the process (stdout and the pod's termination message).
#include <string>

#include <nlohmann/json.hpp>

#include "common/args.hpp"
#include "db/connection.hpp"

namespace pmo::cli {

// Declares --database-url URL on `spec`.
void addDatabaseFlags(args::Spec& spec);

// How the database flags read in a synopsis: "[--database-url URL]".
std::string databaseFlagsSynopsis();

// --database-url when given, else DATABASE_HOST/PORT/NAME/USER/PASSWORD/SSL from the
// process environment (as Phase reads them). Throws args::UsageError with a message that
// names what is missing or malformed and never contains the password.
db::ConnectionParams databaseParams(const args::Parsed& parsed);

// Where the summary is copied: $PMO_TERMINATION_LOG when set (created if needed),
// otherwise /dev/termination-log only when it exists. Empty: nowhere.
std::string terminationLogPath();

// Prints `summary` as one JSON line on stdout (flushed) and writes the same line to
// terminationLogPath(), replacing what was there. A failure to write the termination
// log is reported on stderr and does not fail the command: stdout already has it.
void writeSummary(const nlohmann::json& summary);

}  // namespace pmo::cli
