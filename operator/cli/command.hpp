#pragma once
// Subcommands of the binary. Each cli/*.cpp registers its commands with a static
// CommandRegistrar, so adding a subcommand touches no other file.
#include <functional>
#include <string>
#include <vector>

namespace pmo::cli {

// Exit codes: 0 success, 1 the work failed, 2 bad usage, 3 nothing to do was not an
// option (reserved), per command documented in its --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  std::string name;
  std::string summary;  // one line for the top-level help
  std::function<int(const std::vector<std::string>& args)> run;
  int order = 100;      // position in the top-level help
};

void registerCommand(Command command);
const std::vector<Command>& commands();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command) { registerCommand(std::move(command)); }
};

}  // namespace pmo::cli
