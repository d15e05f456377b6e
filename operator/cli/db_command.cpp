#include "cli/db_command.hpp"

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/db_flags.hpp"

namespace pmo::cli {

args::Spec dbCommandSpec(const DbCommand& command) {
  args::Spec spec(command.name, command.synopsis + (command.synopsis.empty() ? "" : " ") + databaseFlagsSynopsis(),
                  command.description);
  if (command.declareFlags) command.declareFlags(spec);
  addDatabaseFlags(spec);
  return spec;
}

int runDbCommand(const DbCommand& command, const std::vector<std::string>& argv) {
  const args::Spec spec = dbCommandSpec(command);
  DbInvocation invocation;
  db::ConnectionParams params;
  try {
    bool help = false;
    const args::Parsed parsed = spec.parse(argv, help);
    if (help) {
      std::cout << spec.usage();
      return kExitOk;
    }
    invocation = command.prepare(parsed);
    params = databaseParams(parsed);
  } catch (const std::exception& e) {
    std::cerr << command.name << ": " << e.what() << "\n\n" << spec.usage();
    return kExitUsage;
  }

  try {
    DbOutcome outcome = invocation.run(params);
    if (!outcome.summary.is_null()) {
      outcome.summary["command"] = command.name;
      writeSummary(outcome.summary);
    }
    return outcome.exitCode;
  } catch (const std::exception& e) {
    // Database errors never carry the password (db/session.hpp).
    std::cerr << command.name << ": " << e.what() << "\n";
    nlohmann::json summary = invocation.failureSummary ? invocation.failureSummary(e) : nlohmann::json();
    if (!summary.is_null()) {
      summary["command"] = command.name;
      summary["success"] = false;
      summary["error"] = e.what();
      writeSummary(summary);
    }
    return kExitFailure;
  }
}

DbCommandRegistrar::DbCommandRegistrar(DbCommand command) {
  auto shared = std::make_shared<const DbCommand>(std::move(command));
  registerCommand({shared->name, shared->summary,
                   [shared](const std::vector<std::string>& argv) { return runDbCommand(*shared, argv); },
                   shared->order});
}

}  // namespace pmo::cli
