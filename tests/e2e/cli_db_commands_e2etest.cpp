// The database subcommands share one runner (cli/db_command.hpp): the same usage, the same
// exit codes and the same summary on failure, checked here on the real binary without a
// database (an unreachable one is enough).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace pmo::testing {
namespace {

const std::vector<std::string> kDbCommands = {"purge", "vacuum", "stats", "reset-network-policies", "disable-sso"};

// The arguments each command needs to get past its own usage checks.
std::vector<std::string> minimalArgs(const std::string& command) {
  if (command == "purge") return {"purge", "SpaceX"};
  if (command == "disable-sso") return {"disable-sso", "--org", "SpaceX"};
  return {command};
}

std::vector<std::string> operatorArgv(std::vector<std::string> args) {
  args.insert(args.begin(), PMO_OPERATOR_BINARY);
  return args;
}

TEST(CliDbCommandsE2E, HelpNamesTheCommandOnceAndListsTheDatabaseFlags) {
  for (const auto& command : kDbCommands) {
    const RunResult r = run(operatorArgv({command, "--help"}));
    EXPECT_EQ(r.exitCode, 0) << command;
    const std::string firstLine = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(firstLine.rfind("Usage: phase-maintenance-operator " + command + " ", 0), 0u) << firstLine;
    EXPECT_EQ(firstLine.find(command + " " + command), std::string::npos) << firstLine;
    EXPECT_NE(r.out.find("--database-url"), std::string::npos) << command;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << command << ": " << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
}

TEST(CliDbCommandsE2E, BadUsageExitsTwoNamingTheCommandWithItsUsage) {
  for (const auto& command : kDbCommands) {
    std::vector<std::string> args = minimalArgs(command);
    args.push_back("--no-such-flag");
    const RunResult r = run(operatorArgv(args));
    EXPECT_EQ(r.exitCode, 2) << command;
    EXPECT_EQ(r.err.rfind(command + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("Usage: phase-maintenance-operator " + command), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const RunResult restore = run(operatorArgv({"reset-network-policies", "--restore"}));
  EXPECT_EQ(restore.exitCode, 2);
  EXPECT_NE(restore.err.find("--restore needs --request-id"), std::string::npos) << restore.err;
  const RunResult noOrg = run(operatorArgv({"disable-sso"}));
  EXPECT_EQ(noOrg.exitCode, 2);
  EXPECT_NE(noOrg.err.find("--org NAME is required"), std::string::npos) << noOrg.err;
}

TEST(CliDbCommandsE2E, AnUnreachableDatabaseExitsOneWithAFailureSummary) {
  TempDir dir;
  const std::string termination = dir.path() + "/termination-log";
  for (const auto& command : kDbCommands) {
    std::vector<std::string> args = minimalArgs(command);
    args.insert(args.end(), {"--database-url", "postgres://phase@127.0.0.1:1/phase_db?connect_timeout=2"});
    std::remove(termination.c_str());
    const RunResult r = run(operatorArgv(args), {{"PMO_TERMINATION_LOG", termination}});
    EXPECT_EQ(r.exitCode, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find(command + ": "), std::string::npos) << r.err;
    if (command == "stats") {  // read only: a report for people, no summary
      EXPECT_TRUE(r.out.empty()) << r.out;
      continue;
    }
    const auto summary = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
    EXPECT_EQ(summary.at("command"), command);
    EXPECT_EQ(summary.at("success"), false);
    EXPECT_NE(summary.at("error").get<std::string>().find("127.0.0.1:1"), std::string::npos) << summary;
    std::ifstream in(termination);
    std::string copied;
    std::getline(in, copied);
    EXPECT_EQ(nlohmann::json::parse(copied), summary);
  }
}

}  // namespace
}  // namespace pmo::testing
