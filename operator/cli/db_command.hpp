#pragma once
// The one runner of the database subcommands (purge, vacuum, stats, reset-network-policies,
// disable-sso). A command declares its own flags and work; the runner owns what they share:
// usage and --help, the database flags, the connection settings, the one-line JSON summary
// and the exit codes.
//
// Guarantees, the same for every command:
//   --help / -h             usage on stdout, exit 0, nothing else read
//   bad usage               "NAME: why" and the usage on stderr, exit 2, nothing connected
//   the work throws         "NAME: why" on stderr, a summary {"command", "success": false,
//                           "error", ...} when the command reports one, exit 1
//   the work returns        its summary (if any) with "command" set, its exit code
// No message the runner prints contains the database password (db_flags.hpp).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "common/args.hpp"
#include "db/connection.hpp"

namespace pmo::cli {

// What the work produced. A null summary writes none (stats prints its own report).
struct DbOutcome {
  int exitCode = 0;
  nlohmann::json summary;
};

// A parsed invocation, ready to connect.
struct DbInvocation {
  std::function<DbOutcome(const db::ConnectionParams&)> run;
  // The summary of a failed run, beyond command/success/error; null writes none.
  std::function<nlohmann::json(const std::exception&)> failureSummary =
      [](const std::exception&) { return nlohmann::json::object(); };
};

struct DbCommand {
  std::string name;
  std::string summary;      // one line for the top-level help
  int order = 100;          // position in the top-level help
  std::string synopsis;     // what follows the command name; the database flags are appended
  std::string description;  // ends with the exit codes
  std::function<void(args::Spec&)> declareFlags;
  // Reads the command's own flags; throws args::UsageError (or std::invalid_argument) for
  // bad usage. Runs before any connection.
  std::function<DbInvocation(const args::Parsed&)> prepare;
};

// The full usage spec of a command: its flags, then the database flags.
args::Spec dbCommandSpec(const DbCommand& command);

// Runs `command` on argv (without the command name) and returns the exit code.
int runDbCommand(const DbCommand& command, const std::vector<std::string>& argv);

// Registers `command` with the top-level command table (command.hpp).
struct DbCommandRegistrar {
  explicit DbCommandRegistrar(DbCommand command);
};

}  // namespace pmo::cli
