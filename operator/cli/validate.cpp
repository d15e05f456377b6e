// `validate`: checks PhaseMaintenance files as the operator would, before they are applied:
// the CRD's defaults, then every rule of validateSpec() (which mirrors the CRD's schema
// and CEL rules). Reads files or stdin; talks to nothing.
#include <fstream>
#include <iostream>

#include "cli/command.hpp"
#include "common/args.hpp"
#include "common/yaml_json.hpp"
#include "maintenance/spec/spec.hpp"

namespace pmo::cli {
namespace {

using maintenance::FieldError;

args::Spec validateSpec() {
  args::Spec spec("validate", "-f FILE [-f FILE...] [--output text|json]",
                  "Checks every PhaseMaintenance in the YAML or JSON files (\"-\" reads stdin) as the\n"
                  "operator does after the API server admitted it, and prints each rejected field with\n"
                  "what to do. Other kinds in the files are skipped. Connects to nothing.\n"
                  "Exit codes: 0 all valid, 1 a resource is invalid or a file unreadable, 2 bad usage.");
  spec.flag({"output", "FORMAT", "text (one line per error) or json (the field errors of each resource)", false,
             "text"});
  spec.flag({"filename", "FILE", "a file of YAML or JSON documents, or - for stdin; -f for short", true, ""});
  return spec;
}

// The cause types of a Kubernetes Status (field.ErrorType), so tools can compare the two.
const char* reason(FieldError::Kind kind) {
  switch (kind) {
    case FieldError::Kind::Invalid: return "FieldValueInvalid";
    case FieldError::Kind::Required: return "FieldValueRequired";
    case FieldError::Kind::Duplicate: return "FieldValueDuplicate";
    case FieldError::Kind::Unsupported: return "FieldValueNotSupported";
    case FieldError::Kind::TooMany: return "FieldValueTooMany";
    case FieldError::Kind::TooLong: return "FieldValueTooLong";
    case FieldError::Kind::Unknown: return "FieldValueUnknown";
  }
  return "FieldValueInvalid";
}

std::vector<nlohmann::json> readDocuments(const std::string& file) {
  if (file == "-") return yaml::loadAll(std::cin);
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file);
  return yaml::loadAll(in);
}

int runValidate(const std::vector<std::string>& argv) {
  const args::Spec spec = validateSpec();
  args::Parsed parsed;
  std::string output;
  try {
    bool help = false;
    std::vector<std::string> args = argv;
    for (auto& a : args)
      if (a == "-f") a = "--filename";  // kubectl's spelling
    parsed = spec.parse(args, help);
    if (help) {
      std::cout << spec.usage();
      return kExitOk;
    }
    if (!parsed.has("filename")) throw args::UsageError("name at least one file: -f FILE (or -f - for stdin)");
    if (!parsed.positionals().empty()) throw args::UsageError("unexpected argument \"" + parsed.positionals()[0] + "\"");
    output = parsed.get("output", "text");
    if (output != "text" && output != "json") throw args::UsageError("--output: expected text or json, got \"" + output + "\"");
  } catch (const std::exception& e) {
    std::cerr << "validate: " << e.what() << "\n\n" << spec.usage();
    return kExitUsage;
  }

  int exitCode = kExitOk;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& file : parsed.all("filename")) {
    std::vector<nlohmann::json> docs;
    try {
      docs = readDocuments(file);
    } catch (const std::exception& e) {
      std::cerr << "validate: " << file << ": " << e.what() << "\n";
      exitCode = kExitFailure;
      continue;
    }
    for (const auto& doc : docs) {
      if (!doc.is_object() || doc.value("kind", "") != "PhaseMaintenance") continue;
      const std::string name = doc.value("/metadata/name"_json_pointer, std::string());
      const std::string ns = doc.value("/metadata/namespace"_json_pointer, std::string());
      const auto result = maintenance::parseSpec(doc);
      if (!result.ok()) exitCode = kExitFailure;
      nlohmann::json errors = nlohmann::json::array();
      for (const auto& e : result.errors) {
        errors.push_back({{"field", e.field}, {"reason", reason(e.kind)}, {"value", e.value},
                          {"message", e.message}, {"error", e.toString()}});
        if (output == "text") std::cout << file << ": " << (ns.empty() ? "" : ns + "/") << name << ": " << e.toString() << "\n";
      }
      if (output == "text" && result.ok()) std::cout << file << ": " << (ns.empty() ? "" : ns + "/") << name << ": valid\n";
      items.push_back({{"file", file}, {"namespace", ns}, {"name", name}, {"valid", result.ok()}, {"errors", errors}});
    }
  }
  if (items.empty() && exitCode == kExitOk) {
    std::cerr << "validate: no PhaseMaintenance in the files\n";
    exitCode = kExitFailure;
  }
  if (output == "json") std::cout << nlohmann::json{{"items", items}}.dump() << "\n";
  return exitCode;
}

const CommandRegistrar kValidate({"validate", "Check PhaseMaintenance files offline, as the operator would",
                                  runValidate, 80});

}  // namespace
}  // namespace pmo::cli
