#pragma once
// The object lifecycle with the API server's semantics. Every function here requires the
// store lock (World::store.lock()) to be held by the caller, so each check-then-write is
// atomic: optimistic concurrency, AlreadyExists, finalizers and deletion are decided on
// the state they write over.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/builtin_validation.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

struct Target {
  TypePtr type;
  std::string version;
  std::string ns;
  std::string name;
  std::string subresource;  // "", "status", "scale", "log"
  bool strictFields = false;  // fieldValidation=Strict: unknown fields are an error, not pruned
  FieldValidation fieldValidation = FieldValidation::Warn;  // how unknown fields are reported
  std::shared_ptr<std::vector<std::string>> warnings;       // texts of the response's Warning headers
  // Validating admission of a create (old: null) or update: runs after validation, on the
  // object about to be stored; throws ApiError to refuse it.
  std::function<void(const nlohmann::json* old, const nlohmann::json& next)> admit;
  // Who writes, for metadata.managedFields (managed_fields.hpp): the fieldManager query
  // parameter, else the User-Agent. `applied`: the body's managedFields are an apply's result.
  std::string fieldManager;
  std::string userAgent;
  bool applied = false;
};

struct DeleteOptions {
  std::string propagationPolicy;  // "" (the type's default), Background, Foreground, Orphan
  std::string preconditionUid;
  std::string preconditionRv;
};

// The object as a client of `version` sees it (apiVersion and kind set).
nlohmann::json present(const ResourceType& type, const std::string& version, const nlohmann::json& object);

ObjectPtr createObject(World& w, const Target& t, nlohmann::json body, bool dryRun);
// PUT: the main resource (status kept) or the status subresource (only status taken).
ObjectPtr updateObject(World& w, const Target& t, nlohmann::json body, bool dryRun);
ObjectPtr patchObject(World& w, const Target& t, const std::string& contentType, const std::string& body,
                      bool dryRun);
// Returns the object as deleted, or with deletionTimestamp set while finalizers remain.
ObjectPtr deleteObject(World& w, const Target& t, const DeleteOptions& options, bool dryRun);

// For the simulated controllers and the garbage collector (no validation, no preconditions).
ObjectPtr createInternal(World& w, const ResourceType& type, nlohmann::json object);
// Replaces the object's status; no write (and null) when nothing changes.
ObjectPtr writeStatusInternal(World& w, const std::string& typeKey, const ObjectPtr& current,
                              nlohmann::json status);
// Stores a modified object (metadata kept as given) unless it equals `current`.
ObjectPtr replaceInternal(World& w, const std::string& typeKey, const ObjectPtr& current, nlohmann::json next);
// Deletes as a DELETE request with `policy` would (finalizers respected).
ObjectPtr deleteInternal(World& w, const ResourceType& type, const ObjectPtr& current, const std::string& policy);

// Secrets: stringData is folded into data (base64), as the API server does on every write.
void normalizeSecret(nlohmann::json& secret);
// Type-specific defaults on create (objects_builtin.cpp).
void defaultOnCreate(World& w, const ResourceType& type, nlohmann::json& object);

}  // namespace pmo::sandbox
