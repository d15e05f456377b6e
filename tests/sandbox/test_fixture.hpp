#pragma once
// Shared by the sandbox's own tests: a started in-process server, a client, a small CRD.
#include <gtest/gtest.h>

#include "sandbox/test_client.hpp"

namespace pmo::sandbox::testing {

// widgets.test.dev/v1 Widget: status subresource, short name wd, a printer column, and a
// schema with required, enum, pattern, bounds, defaults (nested) and a preserved map.
inline nlohmann::json widgetCrd() {
  return nlohmann::json::parse(R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.test.dev"},
  "spec": {"group": "test.dev", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                                   {"name": "Phase", "type": "string", "jsonPath": ".status.phase"}],
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "required": ["size"], "properties": {
          "size": {"type": "integer", "minimum": 0, "maximum": 10},
          "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
          "version": {"type": "string", "pattern": "^v[0-9]+$"},
          "parts": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1},
            "keep": {"type": "integer", "minimum": 0, "default": 7}}}},
          "backup": {"type": "object", "properties": {
            "enabled": {"type": "boolean", "default": true},
            "keep": {"type": "integer", "default": 5}}},
          "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}}]}})");
}

inline nlohmann::json widget(const std::string& name, int size, const std::string& ns = "default") {
  return {{"apiVersion", "test.dev/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"size", size}}}};
}

inline std::string widgets(const std::string& ns = "default") { return "/apis/test.dev/v1/namespaces/" + ns + "/widgets"; }

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.jobDuration = std::chrono::milliseconds(100);
    o.rolloutDuration = std::chrono::milliseconds(100);
    o.bookmarkInterval = std::chrono::seconds(1);
    customize(o);
    server = std::make_unique<Server>(o);
    server->start();
    client = std::make_unique<Client>(server->url(), server->caPem(), o.token);
  }
  void TearDown() override { server->stop(); }
  virtual void customize(Options&) {}
  void installWidgets() {
    auto r = client->post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::unique_ptr<Server> server;
  std::unique_ptr<Client> client;
};

}  // namespace pmo::sandbox::testing
