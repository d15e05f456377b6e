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
  if (command == "disable-sso") return {"disable-sso", "--org", "SpaceX", "--disable-enforcement"};
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
    EXPECT_NE(r.out.find("Exit"), std::string::npos) << command << " documents its exit codes: " << r.out;
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

TEST(CliDbCommandsE2E, APasswordInTheUrlIsRefusedNamingTheFix) {
  const std::string password = "hunter2-in-argv";
  for (const auto& command : kDbCommands) {
    std::vector<std::string> args = minimalArgs(command);
    args.insert(args.end(), {"--database-url", "postgres://phase:" + password + "@127.0.0.1:1/phase_db"});
    const RunResult r = run(operatorArgv(args));
    EXPECT_EQ(r.exitCode, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("--database-url carries a password"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("DATABASE_PASSWORD_FILE"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--allow-password-in-url"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(password), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CliDbCommandsE2E, AllowPasswordInUrlAcceptsItAndTheRunGoesOnToConnect) {
  const std::string password = "hunter2-in-argv";
  const RunResult r = run(operatorArgv({"vacuum", "--allow-password-in-url", "--database-url",
                                        "postgres://phase:" + password + "@127.0.0.1:1/phase_db?connect_timeout=2"}));
  EXPECT_EQ(r.exitCode, 1) << "past the usage checks, failing to connect: " << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(password), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(password), std::string::npos) << r.out;
}

TEST(CliDbCommandsE2E, AnUnreadablePasswordFileIsAUsageErrorNamingTheFile) {
  const RunResult r = run(operatorArgv({"stats", "--database-password-file", "/nonexistent/pmo/password",
                                        "--database-url", "postgres://phase@127.0.0.1:1/phase_db"}));
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find("--database-password-file: cannot read \"/nonexistent/pmo/password\""), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace pmo::testing
