#pragma once
// The resource types the sandbox serves: the built-ins and every established CRD.
// Objects are stored per group/resource (not per version): a CRD's versions share storage,
// as with conversion strategy None.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

struct PrinterColumn {
  std::string name, type, format, description, jsonPath;
  int priority = 0;
};

struct ResourceType {
  std::string group;              // "" core
  std::vector<std::string> versions;  // served versions, storage version first
  std::string resource;           // plural
  std::string singular;
  std::string kind;
  std::string listKind;
  bool namespaced = true;
  std::vector<std::string> shortNames;
  std::vector<std::string> categories;
  bool statusSubresource = false;
  bool scaleSubresource = false;
  bool logSubresource = false;   // pods/log
  bool hasGeneration = false;    // metadata.generation tracked (spec changes bump it)
  bool custom = false;           // defined by a CRD: schema-validated, merge patch only
  std::map<std::string, nlohmann::json> schemas;  // version -> openAPIV3Schema (custom only)
  // version -> the name cel.hpp knows that version's schema by, for versions whose schema
  // has x-kubernetes-validations; it changes with the schema.
  std::map<std::string, std::string> celSchemaKeys;
  std::map<std::string, std::vector<PrinterColumn>> columns;  // version -> additionalPrinterColumns

  std::string key() const { return group.empty() ? resource : group + "/" + resource; }
  bool serves(const std::string& version) const;
  std::string apiVersion(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
};
using TypePtr = std::shared_ptr<const ResourceType>;

class TypeRegistry {
 public:
  TypeRegistry();  // registers the built-ins
  TypePtr find(const std::string& group, const std::string& version, const std::string& resource) const;
  TypePtr byKey(const std::string& key) const;
  TypePtr byKind(const std::string& group, const std::string& kind) const;
  std::vector<TypePtr> all() const;
  // Registers (or replaces) the type a CRD defines; throws ApiError 422 on a bad CRD.
  TypePtr registerCrd(const nlohmann::json& crd);
  void unregister(const std::string& key);

 private:
  void add(TypePtr t);
  mutable std::mutex mutex_;
  std::map<std::string, TypePtr> types_;
};

// The type a CRD object declares (no registration). Throws ApiError 422 when incomplete.
ResourceType typeFromCrd(const nlohmann::json& crd);

}  // namespace pmo::sandbox
