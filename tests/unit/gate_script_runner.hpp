#pragma once
// Runs the schema gate's shell scripts (schema_gate.hpp) against a fake `python`, for the
// unit tests of the gate and of its schema-ahead check (header-only: tests/unit globs *_test.cpp).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "maintenance/migration/schema_gate.hpp"

namespace pmo::maintenance::testing {

struct ScriptRun {
  int exitCode;
  std::string output;
};
// Runs a shell command line; its exit code and its stdout (stderr too when the line says 2>&1).
inline ScriptRun runShell(const std::string& cmd) {
  ScriptRun run{-1, ""};
  FILE* f = ::popen(cmd.c_str(), "r");
  char buf[512];
  while (f && std::fgets(buf, sizeof buf, f)) run.output += buf;
  const int status = f ? ::pclose(f) : -1;
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Runs `script` against a fake `python`: `manage.py migrate --check` fails `failures` times
// (counted in *calls), then passes; `manage.py shell -c CODE` (the schema-ahead check, its
// CODE kept in ahead.py) answers as `ahead` says: "" none ahead, "error" a failure whose output
// carries a secret, else those migration names ahead (exit 3). `mode` sets kEnvMode.
inline ScriptRun runScript(const std::string& script, int failures, int timeoutSeconds, int* calls = nullptr,
                           const std::string& ahead = "", const std::string& mode = "",
                           std::string* aheadCode = nullptr) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pmo-gate-" + std::to_string(::getpid()) + "-" + std::to_string(failures));
  std::filesystem::create_directories(dir);
  {
    std::ofstream py(dir / "python");
    py << "#!/bin/sh\n"
       << "if [ \"$1 $2 $3\" = 'manage.py shell -c' ]; then\n"
       << "  printf '%s' \"$4\" > " << (dir / "ahead.py").string() << "\n"
       << "  echo 'settings loaded'\n"
       << (ahead.empty() ? "  echo 'schema-ahead: none'; exit 0\n"
           : ahead == "error" ? "  echo 'psycopg.OperationalError: password=hunter2 rejected'; exit 1\n"
                              : "  echo 'schema-ahead: the database has 2 migration(s) this image does not: " + ahead +
                                    "'; exit 3\n")
       << "fi\n"
       << "n=$(cat " << (dir / "count").string() << " 2>/dev/null || echo 0)\n"
       << "echo $((n + 1)) > " << (dir / "count").string() << "\n"
       << "[ \"$*\" = 'manage.py migrate --check' ] || exit 9\n"
       << "if [ \"$n\" -lt " << failures << " ]; then echo 'Unapplied migration api.0099_x'; exit 1; fi\nexit 0\n";
  }
  std::filesystem::permissions(dir / "python", std::filesystem::perms::owner_all);
  { std::ofstream(dir / "gate.sh") << script; }
  const std::string cmd = "cd " + dir.string() + " && PATH=" + dir.string() + ":$PATH " + schemagate::kEnvTimeout +
                          "=" + std::to_string(timeoutSeconds) + " " + schemagate::kEnvInterval + "=1 " +
                          (mode.empty() ? "" : std::string(schemagate::kEnvMode) + "=" + mode + " ") +
                          "/bin/sh gate.sh 2>&1";
  ScriptRun run = runShell(cmd);
  if (calls) {
    std::ifstream count(dir / "count");
    *calls = 0;
    count >> *calls;
  }
  if (aheadCode) {
    std::ifstream code(dir / "ahead.py");
    aheadCode->assign(std::istreambuf_iterator<char>(code), std::istreambuf_iterator<char>());
  }
  std::filesystem::remove_all(dir);
  return run;
}

inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace pmo::maintenance::testing
