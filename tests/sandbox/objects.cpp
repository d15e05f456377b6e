#include "sandbox/objects.hpp"

#include <random>

#include "sandbox/api_error.hpp"
#include "sandbox/builtin_validation.hpp"
#include "sandbox/cel.hpp"
#include "sandbox/crd_validation.hpp"
#include "sandbox/managed_fields.hpp"
#include "sandbox/patch.hpp"
#include "sandbox/schema.hpp"

namespace pmo::sandbox {

namespace {

const std::string kCrdKey = "apiextensions.k8s.io/customresourcedefinitions";

std::string randomSuffix(size_t n) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static std::mt19937 rng(std::random_device{}());
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % (sizeof alphabet - 1)];
  return s;
}

nlohmann::json withoutVolatile(const nlohmann::json& o) {
  nlohmann::json c = o;
  if (c.contains("metadata")) c["metadata"].erase("resourceVersion");
  return c;
}

// What counts as "spec" for metadata.generation: everything but metadata and status.
bool specChanged(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json x = a, y = b;
  for (auto* o : {&x, &y}) {
    o->erase("metadata");
    o->erase("status");
    o->erase("apiVersion");
    o->erase("kind");
  }
  return x != y;
}

// CEL rules run unless an error makes them meaningless (hasBlockingErr in
// apiextensions-apiserver's customresource strategy: a wrong type or an unsupported value).
void addCelErrors(const Target& t, const nlohmann::json& schema, const nlohmann::json& obj, const nlohmann::json* old,
                  std::vector<FieldCause>& causes) {
  auto key = t.type->celSchemaKeys.find(t.version);
  if (key == t.type->celSchemaKeys.end()) return;  // no rules in this version's schema
  for (const auto& c : causes)
    if (c.reason == "FieldValueTypeInvalid" || c.reason == "FieldValueNotSupported") {
      causes.push_back({"FieldValueInvalid", "<nil>",
                        "Invalid value: \"null\": some validation rules were not checked because the object was "
                        "invalid; correct the existing errors to complete validation"});
      return;
    }
  for (auto& c : celErrors(key->second, schema, obj, old)) causes.push_back(std::move(c));
}

void validateCustom(World&, const Target& t, nlohmann::json& obj, const std::string& name,
                    const nlohmann::json* old = nullptr) {
  if (!t.type->custom) return;
  auto it = t.type->schemas.find(t.version);
  if (it == t.type->schemas.end()) return;
  SchemaResult r = applySchema(it->second, obj);
  if (t.strictFields && !r.pruned.empty()) {
    std::string fields;
    for (const auto& f : r.pruned) fields += (fields.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
    throw badRequest(t.type->kind + " in version \"" + t.version + "\" cannot be handled as a " + t.type->kind +
                     ": strict decoding error: " + fields);
  }
  if (t.fieldValidation == FieldValidation::Warn && t.warnings)
    for (const auto& f : r.pruned) t.warnings->push_back("unknown field \"" + f + "\"");
  addCelErrors(t, it->second, obj, old, r.causes);
  if (!r.causes.empty()) throw invalid(t.type->kind, t.type->group, name, r.causes);
}

void checkKind(const Target& t, const nlohmann::json& body) {
  if (!body.is_object()) throw badRequest("the body of the request must be a JSON object");
  std::string kind = body.value("kind", "");
  std::string apiVersion = body.value("apiVersion", "");
  if (!kind.empty() && kind != t.type->kind)
    throw badRequest("the API version in the data (" + apiVersion + ") and kind (" + kind +
                     ") do not match the URL (" + t.type->apiVersion(t.version) + ", " + t.type->kind + ")");
}

// Deleted for good: deletionTimestamp set and no finalizer left (a namespace also waits
// for its spec.finalizers, which the namespace controller in gc.cpp clears).
bool readyToErase(const nlohmann::json& o) {
  const auto& meta = o["metadata"];
  if (!meta.contains("deletionTimestamp")) return false;
  if (meta.contains("finalizers") && !meta["finalizers"].empty()) return false;
  auto spec = o.find("spec");
  return !(spec != o.end() && spec->is_object() && spec->contains("finalizers") && !(*spec)["finalizers"].empty());
}

void wakeGc(World& w) {
  w.gcDirty = true;
  w.gcWake.notify_all();
}

void afterCommit(World& w, const std::string& typeKey, const ObjectPtr& obj, bool deleted) {
  if (typeKey == kCrdKey && obj) {
    if (deleted) w.types.unregister(ResourceType(typeFromCrd(*obj)).key());
    else w.types.registerCrd(*obj);
  }
  if (deleted || (obj && obj->contains("metadata") && (*obj)["metadata"].contains("deletionTimestamp"))) wakeGc(w);
}

// Stores `next` over `current`: no write when equal, erase when being deleted and no
// finalizer is left.
ObjectPtr commit(World& w, const ResourceType& type, const ObjectPtr& current, nlohmann::json next, bool dryRun) {
  if (current && withoutVolatile(*current) == withoutVolatile(next)) return current;
  bool finalized = readyToErase(next);
  if (dryRun) {
    return std::make_shared<const nlohmann::json>(std::move(next));
  }
  ObjectPtr out = finalized ? w.store.erase(type.key(), std::move(next)) : w.store.put(type.key(), std::move(next));
  afterCommit(w, type.key(), out, finalized);
  return out;
}

ObjectPtr requireObject(World& w, const Target& t) {
  ObjectPtr cur = w.store.find(t.type->key(), t.ns, t.name);
  if (!cur) throw notFound(t.type->resource, t.type->group, t.name);
  return cur;
}

}  // namespace

nlohmann::json present(const ResourceType& type, const std::string& version, const nlohmann::json& object) {
  nlohmann::json o = object;
  o["apiVersion"] = type.apiVersion(version);
  o["kind"] = type.kind;
  return o;
}

ObjectPtr createInternal(World& w, const ResourceType& type, nlohmann::json o) {
  auto& meta = o["metadata"];
  if (!meta.contains("name") && meta.contains("generateName"))
    meta["name"] = meta["generateName"].get<std::string>() + randomSuffix(5);
  if (!meta.contains("uid")) meta["uid"] = newUid();
  meta["creationTimestamp"] = nowRfc3339();
  if (type.hasGeneration) meta["generation"] = 1;
  o.erase("apiVersion");
  o.erase("kind");
  ObjectPtr out = w.store.put(type.key(), std::move(o));
  afterCommit(w, type.key(), out, false);
  return out;
}

ObjectPtr createObject(World& w, const Target& t, nlohmann::json body, bool dryRun) {
  const ResourceType& type = *t.type;
  checkKind(t, body);
  decodeBuiltinObject(type, t.version, body, t.fieldValidation, t.warnings.get());
  auto& meta = body["metadata"];
  if (!meta.is_object()) throw badRequest("metadata must be an object");
  std::string bodyNs = meta.value("namespace", "");
  if (type.namespaced) {
    if (!bodyNs.empty() && bodyNs != t.ns)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    meta["namespace"] = t.ns;
  } else {
    meta.erase("namespace");
  }
  std::string name = meta.value("name", "");
  if (name.empty()) {
    std::string gen = meta.value("generateName", "");
    if (gen.empty())
      throw invalid(type.kind, type.group, "",
                    {{"FieldValueRequired", "metadata.name", "Required value: name or generateName is required"}});
    for (int i = 0; i < 16; ++i) {
      name = gen + randomSuffix(5);
      if (!w.store.find(type.key(), t.ns, name)) break;
    }
    meta["name"] = name;
  }
  if (type.namespaced) {
    ObjectPtr ns = w.store.find("namespaces", "", t.ns);
    if (!ns) throw notFound("namespaces", "", t.ns);
    if ((*ns)["metadata"].contains("deletionTimestamp"))
      throw ApiError(403, "Forbidden",
                     qualifiedResource(type.resource, type.group) + " \"" + name + "\" is forbidden: unable to create new content in namespace " + t.ns +
                         " because it is being terminated",
                     {{"name", name}, {"kind", type.resource}});
  }
  const nlohmann::json applied = t.applied ? meta["managedFields"] : nlohmann::json();
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields"})
    meta.erase(f);
  if (type.statusSubresource) body.erase("status");
  validateCustom(w, t, body, name);
  if (type.resource == "customresourcedefinitions") {
    defaultCrd(body);
    requireValidCrd(body, nullptr);
  }
  defaultOnCreate(w, type, body);
  if (type.resource == "customresourcedefinitions") typeFromCrd(body);
  validateOnCreate(type, body);  // after defaulting, before storage, as the registry does
  if (w.store.find(type.key(), t.ns, name)) throw alreadyExists(type.resource, type.group, name);
  if (!body["metadata"].contains("uid")) body["metadata"]["uid"] = newUid();
  body["metadata"]["creationTimestamp"] = nowRfc3339();
  if (type.hasGeneration) body["metadata"]["generation"] = 1;
  body.erase("apiVersion");
  body.erase("kind");
  if (t.applied) body["metadata"]["managedFields"] = applied;
  stampUpdate(t, nullptr, body);
  if (t.admit) t.admit(nullptr, body);
  if (dryRun) return std::make_shared<const nlohmann::json>(std::move(body));
  ObjectPtr out = w.store.put(type.key(), std::move(body));
  afterCommit(w, type.key(), out, false);
  return out;
}

ObjectPtr updateObject(World& w, const Target& t, nlohmann::json body, bool dryRun) {
  const ResourceType& type = *t.type;
  checkKind(t, body);
  decodeBuiltinObject(type, t.version, body, t.fieldValidation, t.warnings.get());
  ObjectPtr cur = requireObject(w, t);
  std::string bodyName = metaString(body, "name");
  if (bodyName != t.name)
    throw badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + t.name + ")");
  std::string rv = metaString(body, "resourceVersion");
  if (rv.empty() && type.custom)
    throw invalid(type.kind, type.group, t.name,
                  {{"FieldValueInvalid", "metadata.resourceVersion",
                    "Invalid value: 0x0: must be specified for an update"}});
  if (!rv.empty() && rv != metaString(*cur, "resourceVersion"))
    throw conflict(type.resource, type.group, t.name,
                   "the object has been modified; please apply your changes to the latest version and try again");
  const auto& oldMeta = (*cur)["metadata"];
  nlohmann::json next;
  if (t.subresource == "status") {
    next = *cur;
    if (body.contains("status")) next["status"] = body["status"];
    else next.erase("status");
  } else {
    next = std::move(body);
    next.erase("apiVersion");
    next.erase("kind");
    auto& meta = next["metadata"];
    for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                          "namespace"}) {
      if (oldMeta.contains(f)) meta[f] = oldMeta[f];
      else meta.erase(f);
    }
    meta.erase("selfLink");
    if (type.statusSubresource) {
      if (cur->contains("status")) next["status"] = (*cur)["status"];
      else next.erase("status");
    }
    if (oldMeta.contains("deletionTimestamp") && meta.contains("finalizers")) {
      const auto& oldF = oldMeta.value("finalizers", nlohmann::json::array());
      for (const auto& f : meta["finalizers"])
        if (std::find(oldF.begin(), oldF.end(), f) == oldF.end())
          throw invalid(type.kind, type.group, t.name,
                        {{"FieldValueForbidden", "metadata.finalizers",
                          "Forbidden: no new finalizers can be added if the object is being deleted, found new "
                          "finalizers []string{" + f.dump() + "}"}});
    }
  }
  if (type.resource == "secrets") normalizeSecret(next);
  if (type.resource == "customresourcedefinitions" && t.subresource.empty()) {
    defaultCrd(next);
    requireValidCrd(next, cur.get());
  }
  validateCustom(w, t, next, t.name, cur.get());
  validateOnUpdate(type, t.version, next, *cur, t.subresource);
  if (type.hasGeneration && specChanged(*cur, next))
    next["metadata"]["generation"] = oldMeta.value("generation", 0) + 1;
  stampUpdate(t, cur.get(), next);
  if (t.admit) t.admit(cur.get(), next);
  return commit(w, type, cur, std::move(next), dryRun);
}

ObjectPtr patchObject(World& w, const Target& t, const std::string& contentType, const std::string& body,
                      bool dryRun) {
  ObjectPtr cur = requireObject(w, t);
  nlohmann::json base = present(*t.type, t.version, *cur);
  nlohmann::json next = applyPatch(contentType, base, body, !t.type->custom);
  if (!next.is_object()) throw badRequest("the patch did not produce an object");
  if (!next.contains("metadata") || !next["metadata"].is_object()) next["metadata"] = nlohmann::json::object();
  if (metaString(next, "resourceVersion").empty())
    next["metadata"]["resourceVersion"] = metaString(*cur, "resourceVersion");
  if (!next["metadata"].contains("name")) next["metadata"]["name"] = t.name;
  return updateObject(w, t, std::move(next), dryRun);
}

ObjectPtr deleteInternal(World& w, const ResourceType& type, const ObjectPtr& cur, const std::string& policyIn) {
  const auto& meta = (*cur)["metadata"];
  if (meta.contains("deletionTimestamp")) return cur;
  std::string policy = policyIn;
  if (policy.empty()) policy = type.key() == "batch/jobs" ? "Orphan" : "Background";
  nlohmann::json next = *cur;
  auto& m = next["metadata"];
  nlohmann::json finalizers = m.value("finalizers", nlohmann::json::array());
  bool hasDependents = false;
  const std::string uid = meta.value("uid", "");
  if (policy != "Background") {
    w.store.forEach([&](const std::string&, const ObjectPtr& o) {
      if (hasDependents) return;
      const auto& om = (*o)["metadata"];
      if (!om.contains("ownerReferences")) return;
      for (const auto& r : om["ownerReferences"])
        if (r.value("uid", "") == uid) hasDependents = true;
    });
  }
  if (hasDependents) finalizers.push_back(policy == "Orphan" ? "orphan" : "foregroundDeletion");
  bool keep = !finalizers.empty() || type.resource == "namespaces" || type.resource == "customresourcedefinitions";
  if (type.resource == "customresourcedefinitions") finalizers.push_back("customresourcecleanup.apiextensions.k8s.io");
  if (!keep) {
    ObjectPtr out = w.store.erase(type.key(), std::move(next));
    afterCommit(w, type.key(), out, true);
    return out;
  }
  m["finalizers"] = finalizers;
  if (finalizers.empty()) m.erase("finalizers");
  m["deletionTimestamp"] = nowRfc3339();
  m["deletionGracePeriodSeconds"] = 0;
  if (type.hasGeneration) m["generation"] = meta.value("generation", 0) + 1;
  if (type.resource == "namespaces") next["status"]["phase"] = "Terminating";
  ObjectPtr out = w.store.put(type.key(), std::move(next));
  afterCommit(w, type.key(), out, false);
  return out;
}

ObjectPtr deleteObject(World& w, const Target& t, const DeleteOptions& options, bool dryRun) {
  ObjectPtr cur = requireObject(w, t);
  const auto& meta = (*cur)["metadata"];
  if (!options.preconditionUid.empty() && options.preconditionUid != meta.value("uid", ""))
    throw conflict(t.type->resource, t.type->group, t.name,
                   "Precondition failed: UID in precondition: " + options.preconditionUid +
                       ", UID in object meta: " + meta.value("uid", ""));
  if (!options.preconditionRv.empty() && options.preconditionRv != meta.value("resourceVersion", ""))
    throw conflict(t.type->resource, t.type->group, t.name,
                   "Precondition failed: ResourceVersion in precondition: " + options.preconditionRv +
                       ", ResourceVersion in object meta: " + meta.value("resourceVersion", ""));
  const std::string& p = options.propagationPolicy;
  if (!p.empty() && p != "Background" && p != "Foreground" && p != "Orphan")
    throw invalid("DeleteOptions", "", "",
                  {{"FieldValueNotSupported", "propagationPolicy",
                    "Unsupported value: " + goQuote(p) + ": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""}});
  if (dryRun) return cur;
  return deleteInternal(w, *t.type, cur, p);
}

ObjectPtr writeStatusInternal(World& w, const std::string& typeKey, const ObjectPtr& current, nlohmann::json status) {
  nlohmann::json next = *current;
  next["status"] = std::move(status);
  if (next == *current) return nullptr;
  return w.store.put(typeKey, std::move(next));
}

ObjectPtr replaceInternal(World& w, const std::string& typeKey, const ObjectPtr& current, nlohmann::json next) {
  if (withoutVolatile(next) == withoutVolatile(*current)) return current;
  bool finalized = readyToErase(next);
  ObjectPtr out = finalized ? w.store.erase(typeKey, std::move(next)) : w.store.put(typeKey, std::move(next));
  afterCommit(w, typeKey, out, finalized);
  return out;
}

}  // namespace pmo::sandbox
