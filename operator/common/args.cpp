#include "common/args.hpp"

#include <cctype>
#include <sstream>

#include "common/duration.hpp"

namespace pmo::args {

std::string Parsed::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Parsed::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

long Parsed::getLong(const std::string& name, long fallback) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  try {
    size_t used = 0;
    const long n = std::stol(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + ": \"" + v + "\" is not a whole number");
}

double Parsed::getDouble(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  try {
    size_t used = 0;
    const double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + ": \"" + v + "\" is not a number");
}

const Flag* Spec::find(const std::string& name) const {
  for (const auto& f : flags_)
    if (f.name == name) return &f;
  return nullptr;
}

Parsed Spec::parse(const std::vector<std::string>& argv, bool& helpRequested) const {
  Parsed out;
  helpRequested = false;
  bool onlyPositionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (onlyPositionals || a.size() < 2 || a[0] != '-') {
      out.positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      onlyPositionals = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      helpRequested = true;
      return out;
    }
    if (a.rfind("--", 0) != 0) throw UsageError("unknown flag " + a + " (flags are spelled --name)");
    std::string name = a.substr(2), value;
    bool hasValue = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    const Flag* f = find(name);
    if (!f) throw UsageError("unknown flag --" + name);
    if (f->valueName.empty()) {
      if (hasValue && value != "true" && value != "false")
        throw UsageError("--" + name + " is a switch; it takes no value (or =true/=false)");
      if (hasValue && value == "false") {
        out.values_.erase(name);
        continue;
      }
      value = "true";
    } else if (!hasValue) {
      if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value (" + f->valueName + ")");
      value = argv[++i];
    }
    auto& slot = out.values_[name];
    if (!f->repeatable) slot.clear();
    slot.push_back(value);
  }
  size_t required = 0;
  for (const auto& p : positionals_) required += p.required ? 1 : 0;
  if (out.positionals_.size() < required)
    throw UsageError("missing argument " + positionals_[out.positionals_.size()].name);
  if (out.positionals_.size() > positionals_.size())
    throw UsageError("unexpected argument \"" + out.positionals_[positionals_.size()] + "\"");
  return out;
}

std::string Spec::usage() const {
  std::ostringstream os;
  os << "Usage: phase-maintenance-operator " << command_;
  if (!synopsis_.empty()) os << " " << synopsis_;
  os << "\n\n" << description_ << "\n";
  if (!positionals_.empty()) {
    os << "\nArguments:\n";
    for (const auto& p : positionals_) os << "  " << p.name << "\n      " << p.help << "\n";
  }
  os << "\nFlags:\n";
  for (const auto& f : flags_) {
    os << "  --" << f.name;
    if (!f.valueName.empty()) os << " " << f.valueName;
    os << "\n      " << f.help;
    if (!f.defaultValue.empty()) os << " (default " << f.defaultValue << ")";
    if (f.repeatable) os << " (repeatable)";
    os << "\n";
  }
  os << "  -h, --help\n      Show this help.\n";
  return os.str();
}

long long parseDurationMs(const std::string& text) {
  const auto d = parseGoDuration(text);
  if (!d)
    throw std::invalid_argument("\"" + text + "\" is not a duration (examples: 500ms, 90s, 15m, 2h, 1h30m)");
  // A positive duration below a millisecond stays positive: 0 would mean "no limit" to
  // PostgreSQL's lock_timeout and statement_timeout.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*d);
  return ms.count();
}

}  // namespace pmo::args
