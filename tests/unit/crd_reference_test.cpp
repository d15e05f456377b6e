// docs/crd-reference.md is generated from the CRD's openAPIV3Schema by the renderer below,
// and this test fails when the two differ, saying how to regenerate:
//   PMO_UPDATE_GOLDEN=1 ctest --test-dir build -R CrdReference
// One section per object (spec, spec.database, ...), one table row per field: type,
// default, validation (lengths, bounds, enum, pattern, list rules, CEL rule messages),
// required, description. Fields keep the CRD's order (yaml-cpp, not a sorted JSON map).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "spec_test_yaml.hpp"

namespace pmo::testing {
namespace {

const char* kCrdFile = "crds/maintenance.phase.dev_phasemaintenances.yaml";
const char* kReferenceFile = "docs/crd-reference.md";

// Text for a Markdown table cell: one line, pipes escaped (also inside code spans, as
// GitHub requires).
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += ' ';
    else if (c == '|') out += "\\|";
    else out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string code(const std::string& text) { return "`" + text + "`"; }

std::string str(const YAML::Node& n, const char* key) { return n[key] ? n[key].Scalar() : ""; }

// A default as written in YAML: a scalar as is ("" for the empty string), a map or list in
// flow style.
std::string defaultText(const YAML::Node& d) {
  if (d.IsScalar()) return d.Scalar().empty() ? "\"\"" : d.Scalar();
  return yamlToJson(d).dump();
}

std::string typeOf(const YAML::Node& s) {
  if (s["x-kubernetes-int-or-string"] && s["x-kubernetes-int-or-string"].as<bool>()) return "int-or-string";
  const std::string type = str(s, "type");
  if (type == "array" && s["items"]) return "[]" + typeOf(s["items"]);
  if (type == "object" && s["additionalProperties"] && s["additionalProperties"].IsMap())
    return "map[string]" + typeOf(s["additionalProperties"]);
  if (type == "object" && s["x-kubernetes-preserve-unknown-fields"] && !s["properties"]) return "object (free-form)";
  return s["format"] ? type + " (" + str(s, "format") + ")" : type;
}

std::string range(const YAML::Node& s, const char* lo, const char* hi, const std::string& what) {
  if (s[lo] && s[hi]) return what + str(s, lo) + "–" + str(s, hi);
  if (s[lo]) return what + "≥ " + str(s, lo);
  if (s[hi]) return what + "≤ " + str(s, hi);
  return "";
}

// What the API server checks on this field, in words.
std::vector<std::string> validation(const YAML::Node& s) {
  std::vector<std::string> out;
  for (const auto& r :
       {range(s, "minimum", "maximum", ""), range(s, "minLength", "maxLength", "length "),
        range(s, "minItems", "maxItems", "items "), range(s, "minProperties", "maxProperties", "entries ")})
    if (!r.empty()) out.push_back(r);
  if (s["exclusiveMinimum"] && s["exclusiveMinimum"].as<bool>()) out.push_back("minimum excluded");
  if (s["exclusiveMaximum"] && s["exclusiveMaximum"].as<bool>()) out.push_back("maximum excluded");
  if (s["enum"]) {
    std::string values;
    for (const auto& v : s["enum"])
      values += (values.empty() ? "" : ", ") + code(v.Scalar().empty() ? "\"\"" : v.Scalar());
    out.push_back("one of " + values);
  }
  if (s["pattern"]) out.push_back("pattern " + code(str(s, "pattern")));
  const std::string listType = str(s, "x-kubernetes-list-type");
  if (listType == "set") out.push_back("unique items");
  if (listType == "map") {
    std::string keys;
    for (const auto& k : s["x-kubernetes-list-map-keys"]) keys += (keys.empty() ? "" : ", ") + code(k.Scalar());
    out.push_back("unique by " + keys);
  }
  if (s["x-kubernetes-validations"])
    for (const auto& rule : s["x-kubernetes-validations"]) out.push_back("rule: " + str(rule, "message"));
  if (s["additionalProperties"] && s["additionalProperties"].IsMap())
    for (const auto& v : validation(s["additionalProperties"])) out.push_back("values: " + v);
  return out;
}

// GitHub's heading anchor: lower case, punctuation other than '-' dropped, spaces to '-'.
std::string anchor(const std::string& heading) {
  std::string out;
  for (char c : heading) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (c == '_' || c == '-')
      out += c;
    else if (c == ' ') out += '-';
  }
  return out;
}

struct Section {
  std::string path;  // "spec.database", "spec.auditLogs.purge[]"
  YAML::Node schema;
};

// The object whose fields a field's section lists (itself, or its list items), if any.
std::optional<Section> sectionOf(const std::string& path, const YAML::Node& s) {
  if (s["properties"]) return Section{path, s};
  if (s["items"] && s["items"]["properties"]) return Section{path + "[]", s["items"]};
  return std::nullopt;
}

// Every object with fields, depth first in the CRD's order.
void collect(const Section& section, std::vector<Section>& out) {
  out.push_back(section);
  for (const auto& field : section.schema["properties"]) {
    const std::string path = (section.path.empty() ? "" : section.path + ".") + field.first.Scalar();
    if (auto child = sectionOf(path, field.second)) collect(*child, out);
  }
}

void renderSection(const Section& section, const std::string& title, std::ostringstream& md) {
  md << "\n## " << title << "\n\n";
  if (section.schema["description"]) md << cell(str(section.schema, "description")) << "\n\n";
  md << "| Field | Type | Default | Validation | Description |\n| --- | --- | --- | --- | --- |\n";
  std::vector<std::string> required;
  if (section.schema["required"])
    for (const auto& r : section.schema["required"]) required.push_back(r.Scalar());
  for (const auto& field : section.schema["properties"]) {
    const std::string name = field.first.Scalar();
    const YAML::Node& s = field.second;
    const std::string path = (section.path.empty() ? "" : section.path + ".") + name;
    std::string fieldCell = code(name);
    if (auto child = sectionOf(path, s)) fieldCell = "[" + fieldCell + "](#" + anchor(child->path) + ")";
    if (std::find(required.begin(), required.end(), name) != required.end()) fieldCell += " **required**";
    std::string checks;
    for (const auto& v : validation(s)) checks += (checks.empty() ? "" : "; ") + v;
    md << "| " << fieldCell << " | " << cell(typeOf(s)) << " | "
       << (s["default"] ? cell(code(defaultText(s["default"]))) : "") << " | " << cell(checks) << " | "
       << cell(str(s, "description")) << " |\n";
  }
}

std::string renderCrdReference(const YAML::Node& crd) {
  const YAML::Node& version = crd["spec"]["versions"][0];
  const YAML::Node& names = crd["spec"]["names"];
  const std::string kind = str(names, "kind");
  std::ostringstream md;
  md << "<!-- Generated from " << kCrdFile << " by tests/unit/crd_reference_test.cpp; do not edit.\n"
     << "     Regenerate: PMO_UPDATE_GOLDEN=1 ctest --test-dir build -R CrdReference -->\n"
     << "# " << kind << " reference\n\n"
     << "`" << str(crd["spec"], "group") << "/" << str(version, "name") << "`, kind `" << kind << "`, "
     << "scope " << str(crd["spec"], "scope") << ", short name `" << names["shortNames"][0].Scalar()
     << "`. Generated from the CRD ("
     << "[`" << kCrdFile << "`](../" << kCrdFile << "));\n`kubectl explain " << str(names, "singular")
     << ".spec --recursive` shows the same fields in a cluster.\n"
     << "The API server applies the defaults and checks every validation below when the resource is written;\n"
     << "the operator checks the spec again and reports what it rejects in the `SpecValid` condition.\n";
  std::vector<Section> sections;
  collect({"", version["schema"]["openAPIV3Schema"]}, sections);
  md << "\n";
  for (const auto& s : sections) {
    const std::string title = s.path.empty() ? kind : s.path;
    md << std::string(
              2 * static_cast<std::size_t>(std::count(s.path.begin(), s.path.end(), '.')) + (s.path.empty() ? 0 : 2),
              ' ')
       << "- [" << title << "](#" << anchor(title) << ")\n";
  }
  for (const auto& s : sections) renderSection(s, s.path.empty() ? kind : s.path, md);
  return md.str();
}

// "line N" of the first difference, with both lines, for the failure message.
std::string firstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l, r;
  for (int line = 1;; ++line) {
    const bool more1 = static_cast<bool>(std::getline(x, l)), more2 = static_cast<bool>(std::getline(y, r));
    if (!more1 && !more2) return "no difference";
    if (!more1 || !more2 || l != r)
      return "first difference at line " + std::to_string(line) + ":\n  checked in: " + (more1 ? l : "(end)") +
             "\n  generated:  " + (more2 ? r : "(end)");
  }
}

TEST(CrdReference, DocsAreTheReferenceGeneratedFromTheCrd) {
  const std::string generated = renderCrdReference(YAML::LoadFile(sourcePath(kCrdFile)));
  const char* update = std::getenv("PMO_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(sourcePath(kReferenceFile)).parent_path());
    std::ofstream(sourcePath(kReferenceFile), std::ios::binary) << generated;
    std::cout << "wrote " << sourcePath(kReferenceFile) << "\n";
  }
  std::ifstream in(sourcePath(kReferenceFile), std::ios::binary);
  ASSERT_TRUE(in) << kReferenceFile << " is missing. Generate it and commit the result:\n"
                  << "  PMO_UPDATE_GOLDEN=1 ctest --test-dir build -R CrdReference";
  std::stringstream checkedIn;
  checkedIn << in.rdbuf();
  EXPECT_TRUE(checkedIn.str() == generated)
      << kReferenceFile << " is not the reference generated from " << kCrdFile << " ("
      << firstDifference(checkedIn.str(), generated) << ").\nRegenerate it and commit the result:\n"
      << "  PMO_UPDATE_GOLDEN=1 ctest --test-dir build -R CrdReference";
}

TEST(CrdReference, RendersEveryConstraintOfAField) {
  const YAML::Node schema = YAML::Load(R"(
type: object
required: [mode]
properties:
  mode:
    type: string
    default: A
    enum: [A, B]
    description: How.
  name:
    type: string
    maxLength: 63
    pattern: '^(a|b)$'
    description: |-
      Two
      lines.
  items:
    type: array
    maxItems: 3
    x-kubernetes-list-type: set
    items: {type: string}
)");
  std::ostringstream md;
  renderSection({"spec", schema}, "spec", md);
  const std::string text = md.str();
  EXPECT_NE(text.find("| `mode` **required** | string | `A` | one of `A`, `B` | How. |"), std::string::npos) << text;
  EXPECT_NE(text.find("| `name` | string |  | length ≤ 63; pattern `^(a\\|b)$` | Two lines. |"), std::string::npos)
      << text;
  EXPECT_NE(text.find("| `items` | []string |  | items ≤ 3; unique items |  |"), std::string::npos) << text;
}

TEST(CrdReference, LinksAFieldToTheSectionOfItsObject) {
  const YAML::Node schema = YAML::Load(R"(
type: object
properties:
  purge: {type: array, items: {type: object, properties: {organisation: {type: string}}}}
)");
  std::vector<Section> sections;
  collect({"spec.auditLogs", schema}, sections);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[1].path, "spec.auditLogs.purge[]");
  std::ostringstream md;
  renderSection(sections[0], "spec.auditLogs", md);
  EXPECT_NE(md.str().find("[`purge`](#specauditlogspurge)"), std::string::npos) << md.str();
}

}  // namespace
}  // namespace pmo::testing
