#include "maintenance/migration/foreign_jobs.hpp"

#include <vector>

#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance {
namespace {

using Words = std::vector<std::string>;

// The simple commands of a container: its argv items are words of one command, and each
// item is split again on blanks and on the shell's command separators (; & | newline and
// parentheses), so a `sh -c` script yields its own commands. Quotes are dropped. Good
// enough to find `manage.py migrate`; not a shell parser.
std::vector<Words> commandsOf(const Json& container) {
  std::vector<Words> commands(1);
  std::string word;
  auto endWord = [&] {
    if (!word.empty()) commands.back().push_back(word);
    word.clear();
  };
  auto endCommand = [&] {
    endWord();
    if (!commands.back().empty()) commands.emplace_back();
  };
  for (const char* field : {"command", "args"}) {
    const Json argv = container.value(field, Json::array());
    if (!argv.is_array()) continue;
    for (const auto& item : argv) {
      if (!item.is_string()) continue;
      for (const char c : item.get<std::string>()) {
        if (c == ';' || c == '&' || c == '|' || c == '\n' || c == '(' || c == ')') endCommand();
        else if (c == ' ' || c == '\t' || c == '\r') endWord();
        else if (c != '"' && c != '\'') word += c;
      }
      endWord();
    }
  }
  return commands;
}

bool isDjangoEntryPoint(const std::string& word) {
  for (const std::string name : {"manage.py", "django-admin"}) {
    if (word == name) return true;
    if (word.size() > name.size() && word.compare(word.size() - name.size() - 1, std::string::npos, "/" + name) == 0)
      return true;
  }
  return false;
}

bool hasTrueCondition(const Json& job, const char* type) {
  const Json conds = job.value("/status/conditions"_json_pointer, Json::array());
  if (!conds.is_array()) return false;
  for (const auto& c : conds)
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  return false;
}

bool isOperatorsJob(const Json& job) {
  const Json labels = job.value("/metadata/labels"_json_pointer, Json::object());
  if (labels.is_object() && labels.value(labels::kManagedBy, std::string()) == labels::kManagedByValue) return true;
  const Json refs = job.value("/metadata/ownerReferences"_json_pointer, Json::array());
  if (!refs.is_array()) return false;
  const std::string group = std::string(kGroupVersion).substr(0, std::string(kGroupVersion).find('/') + 1);
  for (const auto& r : refs)
    if (r.value("kind", "") == kKind && r.value("apiVersion", "").rfind(group, 0) == 0) return true;
  return false;
}

bool running(const Json& job) {
  if (hasTrueCondition(job, "Complete") || hasTrueCondition(job, "Failed")) return false;
  const long active = job.value("/status/active"_json_pointer, 0L);
  return active > 0 || !job.value("/spec/suspend"_json_pointer, false);
}

}  // namespace

std::string foreignJobsSelector() { return std::string(labels::kManagedBy) + "!=" + labels::kManagedByValue; }

bool runsMigrate(const Json& container) {
  for (const auto& words : commandsOf(container)) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (!isDjangoEntryPoint(words[i]) || words[i + 1] != "migrate") continue;
      bool readOnly = false;
      for (std::size_t j = i + 2; j < words.size(); ++j)
        readOnly = readOnly || words[j] == "--check" || words[j] == "--plan";
      if (!readOnly) return true;
    }
  }
  return false;
}

bool isForeignMigration(const Json& job) {
  if (!job.is_object() || isOperatorsJob(job) || !running(job)) return false;
  const Json podSpec = job.value("/spec/template/spec"_json_pointer, Json::object());
  for (const char* list : {"initContainers", "containers"}) {
    const Json containers = podSpec.value(list, Json::array());
    if (!containers.is_array()) continue;
    for (const auto& c : containers)
      if (c.is_object() && runsMigrate(c)) return true;
  }
  return false;
}

std::string jobStartTime(const Json& job) {
  const std::string started = job.value("/status/startTime"_json_pointer, std::string());
  return started.empty() ? job.value("/metadata/creationTimestamp"_json_pointer, std::string()) : started;
}

}  // namespace pmo::maintenance
