#pragma once
// A small command-line parser for the subcommands: declared flags only, `--flag value`
// and `--flag=value`, boolean switches, repeatable flags, positionals. An unknown flag
// or a missing value is a UsageError (the caller prints usage and exits 2).
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pmo::args {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Flag {
  std::string name;         // without dashes: "retain"
  std::string valueName;    // "DAYS"; empty for a boolean switch
  std::string help;
  bool repeatable = false;
  std::string defaultValue; // shown in help, not applied
};

class Parsed {
 public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // Last value given, or `fallback`.
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& name) const;
  // Parses an integer / double / boolean-switch value, throwing UsageError naming the flag.
  long getLong(const std::string& name, long fallback) const;
  double getDouble(const std::string& name, double fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  friend class Spec;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

class Spec {
 public:
  Spec(std::string command, std::string synopsis, std::string description)
      : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {}
  Spec& flag(Flag f) { flags_.push_back(std::move(f)); return *this; }
  Spec& positional(std::string name, std::string help, bool required = true) {
    positionals_.push_back({std::move(name), std::move(help), required});
    return *this;
  }
  // Throws UsageError; `--help`/`-h` sets helpRequested instead of failing.
  Parsed parse(const std::vector<std::string>& argv, bool& helpRequested) const;
  std::string usage() const;

 private:
  struct Positional {
    std::string name, help;
    bool required;
  };
  const Flag* find(const std::string& name) const;
  std::string command_, synopsis_, description_;
  std::vector<Flag> flags_;
  std::vector<Positional> positionals_;
};

// Parses a duration in the operator's one grammar (common/duration.hpp: Go's, "500ms", "90s",
// "1h30m", "250000us") into milliseconds, a positive one never below 1. Throws
// std::invalid_argument.
long long parseDurationMs(const std::string& text);

}  // namespace pmo::args
