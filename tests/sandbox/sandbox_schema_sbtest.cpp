// Custom resources validated as kube-apiserver 1.32 validates them: lengths in characters,
// RE2 patterns, formats, list-type uniqueness, property counts, numbers as Go decodes
// them. The first tests go through HTTP with the project's own CRD; the rest call
// applySchema with small schemas, one rule each.
#include "sandbox/schema.hpp"
#include "sandbox/schema_gofmt.hpp"
#include "sandbox/test_fixture.hpp"
#include "unit/spec_test_yaml.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

class SandboxSchemaTest : public SandboxTest {
 protected:
  const std::string pms = "/apis/maintenance.phase.dev/v1alpha1/namespaces/default/phasemaintenances";
  void installPhaseMaintenanceCrd() {
    auto r = client->post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", pmo::testing::loadCrd());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  Json phaseMaintenance(const std::string& name) {
    Json pm = pmo::testing::loadYamlDocuments("deploy/examples/minimal.yaml").at(0);
    pm["metadata"] = {{"name", name}, {"namespace", "default"}};
    return pm;
  }
};

TEST_F(SandboxSchemaTest, OrganisationLengthCountsCharactersNotBytes) {
  installPhaseMaintenanceCrd();
  for (int n : {40, 64}) {  // 80 and 128 bytes: a byte count would refuse both
    Json pm = phaseMaintenance("ue" + std::to_string(n));
    pm["spec"]["auditLogs"] = {{"purge", {{{"organisation", repeat("Ü", n)}}}}};
    auto r = client->post(pms, pm);
    EXPECT_EQ(r.status, 201) << n << ": " << r.body;
  }
  Json pm = phaseMaintenance("ue65");
  pm["spec"]["auditLogs"] = {{"purge", {{{"organisation", repeat("Ü", 65)}}}}};
  auto r = client->post(pms, pm);
  ASSERT_EQ(r.status, 422) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["message"], "PhaseMaintenance.maintenance.phase.dev \"ue65\" is invalid: "
                          "spec.auditLogs.purge[0].organisation: Too long: may not be more than 64 bytes");
  ASSERT_EQ(s["details"]["causes"].size(), 1u);
  EXPECT_EQ(s["details"]["causes"][0]["reason"], "FieldValueTooLong");
}

TEST_F(SandboxSchemaTest, DuplicateInSetListIsRefusedWhereItRepeats) {
  installPhaseMaintenanceCrd();
  Json pm = phaseMaintenance("dup");
  pm["spec"]["recovery"] = {{"resetGlobalNetworkPolicies", {{"organisations", {"SpaceX", "Acme", "SpaceX", "SpaceX"}}}}};
  auto r = client->post(pms, pm);
  ASSERT_EQ(r.status, 422) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["message"], "PhaseMaintenance.maintenance.phase.dev \"dup\" is invalid: "
                          "spec.recovery.resetGlobalNetworkPolicies.organisations[2]: Duplicate value: \"SpaceX\"");
  ASSERT_EQ(s["details"]["causes"].size(), 1u);
  EXPECT_EQ(s["details"]["causes"][0]["reason"], "FieldValueDuplicate");
  EXPECT_EQ(s["details"]["causes"][0]["field"], "spec.recovery.resetGlobalNetworkPolicies.organisations[2]");
}

// A schema with one property per rule under test: {"spec": {"properties": PROPS}}.
Json schemaWith(const Json& props) {
  return {{"type", "object"},
          {"properties", {{"spec", {{"type", "object"}, {"properties", props}}}}}};
}

// The causes of validating {"spec": SPEC}, as "field: message" lines.
std::vector<std::string> causesOf(const Json& props, Json spec, Json* stored = nullptr) {
  Json object = {{"apiVersion", "test.dev/v1"}, {"kind", "Gadget"}, {"metadata", {{"name", "g"}}}, {"spec", spec}};
  SchemaResult r = applySchema(schemaWith(props), object);
  if (stored) *stored = object["spec"];
  std::vector<std::string> out;
  for (const auto& c : r.causes) out.push_back(c.field + ": " + c.message + " [" + c.reason + "]");
  return out;
}
using Lines = std::vector<std::string>;

TEST(SandboxSchemaRules, StringChecksStopAtTheFirstFailureAndCountRunes) {
  Json props = {{"name", {{"type", "string"}, {"minLength", 2}, {"maxLength", 3}, {"pattern", "^[a-zÜ]+$"}}}};
  EXPECT_EQ(causesOf(props, {{"name", "ÜÜÜ"}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"name", "ABCD"}}),
            Lines{"spec.name: Too long: may not be more than 3 bytes [FieldValueTooLong]"});
  EXPECT_EQ(causesOf(props, {{"name", "Ü"}}),
            Lines{"spec.name: Invalid value: \"Ü\": spec.name in body should be at least 2 chars long [FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"name", "A1"}}),
            Lines{"spec.name: Invalid value: \"A1\": spec.name in body should match '^[a-zÜ]+$' [FieldValueInvalid]"});
}

TEST(SandboxSchemaRules, PatternIsAnUnanchoredRe2Search) {
  Json props = {{"word", {{"type", "string"}, {"pattern", "b"}}},
                {"org", {{"type", "string"}, {"pattern", "^\\S(.*\\S)?$"}}},
                {"letters", {{"type", "string"}, {"pattern", "^\\pL+$"}}}};
  EXPECT_EQ(causesOf(props, {{"word", "abc"}}), Lines{});
  // Go: \s is [\t\n\f\r ] (a vertical tab is not space) and '.' matches \r
  EXPECT_EQ(causesOf(props, {{"org", "\va"}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"org", "a\rb"}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"org", "a "}}).size(), 1u);
  EXPECT_EQ(causesOf(props, {{"letters", "ÜberStraße"}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"letters", "R2D2"}}).size(), 1u);
}

TEST(SandboxSchemaRules, PatternThatDoesNotCompileRefusesTheValue) {
  Json props = {{"broken", {{"type", "string"}, {"pattern", "(a"}}}};
  EXPECT_EQ(causesOf(props, {{"broken", "a"}}),
            Lines{"spec.broken: Invalid value: \"a\": spec.broken in body should match '(a, but pattern is invalid: "
                  "error parsing regexp: missing closing ): `(a`' [FieldValueInvalid]"});
}

TEST(SandboxSchemaRules, ListTypeSetAndMapRefuseRepeats) {
  Json props = {
      {"tags", {{"type", "array"}, {"x-kubernetes-list-type", "set"}, {"items", {{"type", "integer"}}}}},
      {"conditions",
       {{"type", "array"}, {"x-kubernetes-list-type", "map"}, {"x-kubernetes-list-map-keys", {"type"}},
        {"items", {{"type", "object"}, {"properties", {{"type", {{"type", "string"}}}, {"status", {{"type", "string"}}}}}}}}},
      {"ports",
       {{"type", "array"}, {"x-kubernetes-list-type", "map"}, {"x-kubernetes-list-map-keys", {"name", "protocol"}},
        {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}, {"protocol", {{"type", "string"}}}}}}}}}};
  EXPECT_EQ(causesOf(props, {{"tags", {1, 2, 3}}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"tags", {1, 2, 1, 1}}}), Lines{"spec.tags[2]: Duplicate value: 1 [FieldValueDuplicate]"});
  EXPECT_EQ(causesOf(props, {{"conditions", {{{"type", "Ready"}, {"status", "True"}}, {{"type", "Ready"}}}}}),
            Lines{"spec.conditions[1]: Duplicate value: map[string]interface {}{\"type\":\"Ready\"} [FieldValueDuplicate]"});
  Json tcp = {{"name", "http"}, {"protocol", "TCP"}}, udp = {{"name", "http"}, {"protocol", "UDP"}};
  EXPECT_EQ(causesOf(props, {{"ports", {tcp, udp}}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"ports", {tcp, udp, tcp}}}),
            Lines{"spec.ports[2]: Duplicate value: map[string]interface {}{\"name\":\"http\", \"protocol\":\"TCP\"} "
                  "[FieldValueDuplicate]"});
}

TEST(SandboxSchemaRules, PropertyCountsAndUniqueItems) {
  Json props = {{"labels", {{"type", "object"}, {"minProperties", 1}, {"maxProperties", 2},
                            {"additionalProperties", {{"type", "string"}}}}},
                {"unique", {{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "string"}}}}}};
  EXPECT_EQ(causesOf(props, {{"labels", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}}),
            Lines{"spec.labels: Too many: 3: must have at most 2 items [FieldValueTooMany]"});
  EXPECT_EQ(causesOf(props, {{"labels", Json::object()}}),
            Lines{"spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties [FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"unique", {"x", "y", "x"}}}),
            Lines{"spec.unique: Invalid value: \"\": spec.unique in body shouldn't contain duplicates [FieldValueInvalid]"});
}

TEST(SandboxSchemaRules, IntegersAreDecodedAsGoDecodesJson) {
  Json props = {{"count", {{"type", "integer"}, {"multipleOf", 5}, {"maximum", 100}}},
                {"ratio", {{"type", "number"}, {"multipleOf", 0.5}, {"minimum", 0}}}};
  Json stored;
  EXPECT_EQ(causesOf(props, {{"count", 10.0}, {"ratio", 1.5}}, &stored), Lines{});
  EXPECT_TRUE(stored["count"].is_number_integer()) << stored.dump();  // a later read returns 10, as Go writes 10.0
  const std::string notInteger =
      "spec.count: Invalid value: \"number\": spec.count in body must be of type integer: \"number\" "
      "[FieldValueTypeInvalid]";
  EXPECT_EQ(causesOf(props, {{"count", 10.5}}),
            (Lines{notInteger, "spec.count: Invalid value: 10.5: spec.count in body should be a multiple of 5 "
                               "[FieldValueInvalid]"}));
  EXPECT_EQ(causesOf(props, {{"count", 7}}),
            Lines{"spec.count: Invalid value: 7: spec.count in body should be a multiple of 5 [FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"count", 105}}),
            Lines{"spec.count: Invalid value: 105: spec.count in body should be less than or equal to 100 "
                  "[FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"ratio", 0.75}}),
            Lines{"spec.ratio: Invalid value: 0.75: spec.ratio in body should be a multiple of 0.5 [FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"ratio", -1e7}}),
            Lines{"spec.ratio: Invalid value: -1e+07: spec.ratio in body should be greater than or equal to 0 "
                  "[FieldValueInvalid]"});
  EXPECT_EQ(causesOf(props, {{"count", Json::parse("18446744073709551615")}}).at(0), notInteger);  // beyond int64
}

TEST(SandboxSchemaRules, FormatsKubeApiserverChecks) {
  struct Case {
    const char* format;
    std::vector<std::string> valid, invalid;
  };
  const std::vector<Case> cases = {
      {"date-time", {"2024-05-01T10:00:00Z", "2024-05-01t10:00:00.5+02:00"}, {"2024-05-01", "2024-05-01T24:00:00Z", "yesterday"}},
      {"date", {"2024-02-29", "0001-01-01"}, {"2023-02-29", "2024-13-01", "2024-5-1"}},
      {"uuid", {"123e4567-e89b-12d3-a456-426614174000", "123E4567E89B12D3A456426614174000"}, {"123e4567", "g23e4567-e89b-12d3-a456-426614174000"}},
      {"uuid4", {"123e4567-e89b-42d3-a456-426614174000"}, {"123e4567-e89b-12d3-a456-426614174000"}},
      {"byte", {"aGVsbG8=", "YWJj"}, {"", "aGVsbG8", "a b="}},
      {"hostname", {"example.com", "localhost", "bücher.de"}, {"-bad.com", "a..b", std::string(64, 'a') + ".com"}},
      {"ipv4", {"10.0.0.1", "010.0.0.1"}, {"10.0.0", "256.0.0.1", "::1"}},
      {"ipv6", {"::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"}, {"10.0.0.1", "2001:db8::1::1", "00001::"}},
      {"cidr", {"10.0.0.0/8", "2001:db8::/32"}, {"10.0.0.0", "10.0.0.0/33"}},
      {"duration", {"1h30m", "1.5s", "3 days", "-2ms"}, {"soon", "1x", ""}},
      {"mac", {"00:1a:2b:3c:4d:5e", "001a.2b3c.4d5e"}, {"00:1a:2b:3c:4d", "00:1a-2b:3c:4d:5e"}},
      {"int64", {"anything"}, {}},  // not a format kube-apiserver checks: stripped
  };
  for (const auto& c : cases) {
    Json props = {{"v", {{"type", "string"}, {"format", c.format}}}};
    for (const auto& v : c.valid) EXPECT_EQ(causesOf(props, {{"v", v}}), Lines{}) << c.format << " " << v;
    for (const auto& v : c.invalid)
      EXPECT_EQ(causesOf(props, {{"v", v}}),
                Lines{"spec.v: Invalid value: " + gofmt::quoted(v) + ": spec.v in body must be of type " + c.format + ": " +
                      gofmt::quoted(v) + " [FieldValueTypeInvalid]"})
          << c.format << " " << v;
  }
}

TEST(SandboxSchemaRules, FormatTheSandboxDoesNotImplementIsAnExplicitError) {
  Json props = {{"mail", {{"type", "string"}, {"format", "email"}}}};
  try {
    causesOf(props, {{"mail", "a@example.com"}});
    FAIL() << "an unimplemented format must not pass silently";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 501);
    EXPECT_NE(std::string(e.what()).find("\"email\""), std::string::npos) << e.what();
  }
}

TEST(SandboxSchemaRules, NullableAnyOfAndIntOrString) {
  Json quantity = {{"x-kubernetes-int-or-string", true},
                   {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}},
                   {"pattern", "^[0-9]+m?$"}};
  Json props = {{"note", {{"type", "string"}, {"nullable", true}}},
                {"plain", {{"type", "string"}}},
                {"items", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"quantity", quantity}};
  Json stored;
  EXPECT_EQ(causesOf(props, {{"note", nullptr}, {"plain", nullptr}, {"quantity", 5}}, &stored), Lines{});
  EXPECT_TRUE(stored["note"].is_null());
  EXPECT_FALSE(stored.contains("plain"));  // a null the field may not hold is dropped
  EXPECT_EQ(causesOf(props, {{"quantity", "50m"}}), Lines{});
  EXPECT_EQ(causesOf(props, {{"items", {"a", nullptr}}}),
            Lines{"spec.items[1]: Invalid value: \"null\": spec.items[1] in body must be of type string: \"null\" "
                  "[FieldValueTypeInvalid]"});
  EXPECT_EQ(causesOf(props, {{"quantity", 1.5}}),
            (Lines{"spec.quantity: Invalid value: \"number\": spec.quantity in body must be of type integer,string: "
                   "\"number\" [FieldValueTypeInvalid]",
                   "<nil>: Invalid value: \"\": \"spec.quantity\" must validate at least one schema (anyOf) "
                   "[FieldValueInvalid]",
                   "spec.quantity: Invalid value: \"number\": spec.quantity in body must be of type integer: \"number\" "
                   "[FieldValueTypeInvalid]"}));
}

TEST(SandboxSchemaRules, GoPrintsFloatsAsFmtDoes) {
  EXPECT_EQ(gofmt::floatV(1e6), "1e+06");
  EXPECT_EQ(gofmt::floatV(123456), "123456");
  EXPECT_EQ(gofmt::floatV(0.0001), "0.0001");
  EXPECT_EQ(gofmt::floatV(0.00001), "1e-05");
  EXPECT_EQ(gofmt::floatV(-2.5), "-2.5");
  EXPECT_EQ(gofmt::quoted("a\"b\n\x01Ü"), "\"a\\\"b\\n\\x01Ü\"");
}

}  // namespace
}  // namespace pmo::sandbox::testing
