// phase-maintenance-operator: the operator (`run`) and the maintenance commands its
// CronJobs and a person in a shell use (`purge`, `vacuum`, `stats`, recoveries).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "cli/command.hpp"

namespace pmo::cli {
namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

void registerCommand(Command command) { registry().push_back(std::move(command)); }

const std::vector<Command>& commands() {
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
  return r;
}

namespace {

void printUsage(std::ostream& os) {
  os << "Usage: phase-maintenance-operator COMMAND [FLAGS]\n\n"
        "Keeps a self-hosted Phase instance healthy: migration-gated upgrades, audit-log\n"
        "purge and vacuum, and break-glass recoveries.\n\nCommands:\n";
  for (const auto& c : commands()) {
    os << "  " << c.name << std::string(c.name.size() < 24 ? 24 - c.name.size() : 1, ' ') << c.summary << "\n";
  }
  os << "\nRun 'phase-maintenance-operator COMMAND --help' for a command's flags.\n";
}

int versionCommand(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "Usage: phase-maintenance-operator version\n\nPrints the version and the commit.\n";
    return kExitOk;
  }
  if (!args.empty()) {
    std::cerr << "version: unexpected argument \"" << args[0] << "\"\n";
    return kExitUsage;
  }
  std::cout << "phase-maintenance-operator " << build::kVersion << " (commit " << build::kGitCommit << ")\n";
  return kExitOk;
}

const CommandRegistrar kVersion({"version", "Print the version and exit", versionCommand, 900});

}  // namespace
}  // namespace pmo::cli

int main(int argc, char** argv) {
  using namespace pmo::cli;
  if (argc < 2) {
    printUsage(std::cerr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(std::cout);
    return kExitOk;
  }
  if (name == "--version") return versionCommand({});
  const std::vector<std::string> rest(argv + 2, argv + argc);
  for (const auto& c : commands()) {
    if (c.name == name) {
      try {
        return c.run(rest);
      } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << "\n";
        return kExitFailure;
      }
    }
  }
  std::cerr << "unknown command \"" << name << "\"\n\n";
  printUsage(std::cerr);
  return kExitUsage;
}
