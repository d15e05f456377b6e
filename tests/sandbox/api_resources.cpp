// Resource requests: get, list, create, update, patch, delete, deletecollection, and the
// status, scale and log subresources.
#include <algorithm>
#include <cctype>

#include "sandbox/api.hpp"
#include "sandbox/apply.hpp"
#include "sandbox/owner_admission.hpp"
#include "sandbox/protobuf.hpp"
#include "sandbox/selectors.hpp"

namespace pmo::sandbox {

namespace {

bool wantsTable(const HttpRequest& req) { return req.header("accept").find("as=Table") != std::string::npos; }

nlohmann::json parseBody(const HttpRequest& req) {
  std::string ct = req.header("content-type");
  if (ct.rfind("application/vnd.kubernetes.protobuf", 0) == 0) return decodeKubeProtobuf(req.body);
  if (!ct.empty() && ct.find("json") == std::string::npos)
    throw ApiError(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types include: application/json");
  try {
    return nlohmann::json::parse(req.body);
  } catch (const std::exception& e) {
    throw badRequest(std::string("the object provided is unrecognized: ") + e.what());
  }
}

bool dryRun(const HttpRequest& req) { return req.param("dryRun") == "All"; }

// One Warning header per distinct warning, as kube-apiserver sends them (299 - "text").
HttpResponse withWarnings(HttpResponse r, const Target& t) {
  if (!t.warnings) return r;
  std::vector<std::string> seen;
  for (const auto& w : *t.warnings) {
    if (std::find(seen.begin(), seen.end(), w) != seen.end()) continue;
    seen.push_back(w);
    r.headers.push_back({"Warning", warningHeader(w)});
  }
  return r;
}

// Objects of the target matching the request's selectors, in key order (deletecollection).
std::vector<ObjectPtr> selectCurrent(World& w, const Target& t, const HttpRequest& req) {
  Selector labels = Selector::parseLabels(req.param("labelSelector"));
  Selector fields = Selector::parseFields(req.param("fieldSelector"));
  std::vector<ObjectPtr> out;
  for (const auto& o : w.store.list(t.type->key(), t.ns))
    if (labels.matches(*o) && fields.matches(*o)) out.push_back(o);
  return out;
}

struct DeleteRequest {
  DeleteOptions options;
  bool dryRun = false;
};

// DeleteOptions from the body (JSON or protobuf) or, only when there is no body, from the
// query, then validated (handlers/delete.go; apimachinery meta/v1/validation
// ValidateDeleteOptions: 422 DeleteOptions.meta.k8s.io).
DeleteRequest deleteOptions(const HttpRequest& req) {
  nlohmann::json b = nlohmann::json::object();
  if (!req.body.empty()) {
    const std::string ct = req.header("content-type");
    if (ct.rfind("application/vnd.kubernetes.protobuf", 0) == 0) {
      b = decodeDeleteOptionsProtobuf(req.body);
    } else if (!ct.empty() && ct.find("json") == std::string::npos) {
      throw ApiError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json, application/vnd.kubernetes.protobuf");
    } else {
      try {
        b = nlohmann::json::parse(req.body);
      } catch (const std::exception& e) {
        throw badRequest(std::string("invalid DeleteOptions: ") + e.what());
      }
      if (!b.is_object()) throw badRequest("invalid DeleteOptions: the body must be a JSON object");
    }
  } else {
    if (!req.param("propagationPolicy").empty()) b["propagationPolicy"] = req.param("propagationPolicy");
    if (!req.param("orphanDependents").empty()) b["orphanDependents"] = req.param("orphanDependents") == "true";
    if (!req.param("dryRun").empty()) b["dryRun"] = {req.param("dryRun")};
  }
  DeleteRequest d;
  std::vector<FieldCause> causes;
  const bool hasPolicy = b.contains("propagationPolicy") && b["propagationPolicy"].is_string();
  const bool hasOrphan = b.contains("orphanDependents") && b["orphanDependents"].is_boolean();
  if (hasPolicy) d.options.propagationPolicy = b["propagationPolicy"].get<std::string>();
  if (hasOrphan) d.options.propagationPolicy = b["orphanDependents"].get<bool>() ? "Orphan" : "Background";
  const std::string& p = d.options.propagationPolicy;
  if (hasOrphan && hasPolicy)
    causes.push_back({"FieldValueInvalid", "propagationPolicy",
                      "Invalid value: " + goQuote(b["propagationPolicy"].get<std::string>()) +
                          ": orphanDependents and deletionPropagation cannot be both set"});
  else if (hasPolicy && p != "Background" && p != "Foreground" && p != "Orphan")
    causes.push_back({"FieldValueNotSupported", "propagationPolicy",
                      "Unsupported value: " + goQuote(p) + ": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""});
  if (b.contains("dryRun") && b["dryRun"].is_array()) {
    std::string values;
    bool ok = true;
    for (const auto& v : b["dryRun"]) {
      const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      values += (values.empty() ? "" : ", ") + goQuote(s);
      if (s != "All") ok = false;
      else d.dryRun = true;
    }
    if (!ok)
      causes.push_back({"FieldValueNotSupported", "dryRun",
                        "Unsupported value: []string{" + values + "}: supported values: \"All\""});
  }
  if (!causes.empty()) throw invalid("DeleteOptions", "meta.k8s.io", "", causes);
  if (b.contains("preconditions") && b["preconditions"].is_object()) {
    d.options.preconditionUid = b["preconditions"].value("uid", "");
    d.options.preconditionRv = b["preconditions"].value("resourceVersion", "");
  }
  return d;
}

nlohmann::json scaleOf(const Target& t, const nlohmann::json& o) {
  nlohmann::json labels = o["spec"]["selector"].value("matchLabels", nlohmann::json::object());
  std::string sel;
  for (auto it = labels.begin(); it != labels.end(); ++it)
    sel += (sel.empty() ? "" : ",") + it.key() + "=" + it->get<std::string>();
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata",
           {{"name", t.name}, {"namespace", t.ns}, {"uid", metaString(o, "uid")},
            {"resourceVersion", metaString(o, "resourceVersion")},
            {"creationTimestamp", metaString(o, "creationTimestamp")}}},
          {"spec", {{"replicas", o["spec"].value("replicas", 1)}}},
          {"status", {{"replicas", o.value("status", nlohmann::json::object()).value("replicas", 0)}, {"selector", sel}}}};
}

HttpResponse serveScale(World& w, const Target& t, const HttpRequest& req) {
  auto lock = w.store.lock();
  ObjectPtr cur = w.store.find(t.type->key(), t.ns, t.name);
  if (!cur) throw notFound(t.type->resource, t.type->group, t.name);
  if (req.method == "GET") return jsonResponse(200, scaleOf(t, *cur));
  nlohmann::json scale = scaleOf(t, *cur);
  if (req.method == "PUT") scale = parseBody(req);
  else if (req.method == "PATCH") scale = nlohmann::json::parse(req.body).is_array() ? scale.patch(nlohmann::json::parse(req.body)) : [&] { scale.merge_patch(nlohmann::json::parse(req.body)); return scale; }();
  else throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  nlohmann::json next = *cur;
  next["spec"]["replicas"] = scale["spec"].value("replicas", 1);
  std::string rv = metaString(scale, "resourceVersion");
  if (!rv.empty()) next["metadata"]["resourceVersion"] = rv;
  Target main = t;
  main.subresource.clear();
  ObjectPtr out = updateObject(w, main, present(*t.type, t.version, next), dryRun(req));
  return jsonResponse(200, scaleOf(t, *out));
}

}  // namespace

std::string verbFor(const HttpRequest& req, const ResourcePath& p) {
  // Any ?watch value but false and 0 is true (apimachinery's Convert_Slice_string_To_bool).
  const auto it = req.query.find("watch");
  std::string value = it == req.query.end() ? "false" : it->second;
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool watch = value != "0" && value != "false";
  if (req.method == "GET") return p.name.empty() ? (watch ? "watch" : "list") : "get";
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return p.name.empty() ? "deletecollection" : "delete";
  return req.method;
}

std::optional<HttpResponse> serveResource(World& w, const HttpRequest& req, ResponseStream& stream,
                                          RequestRecord& record, const Attributes& attrs) {
  ResourcePath p;
  parseResourcePath(req.path, p);

  Target t;
  t.type = w.types.find(p.group, p.version, p.resource);
  if (!t.type) throw ApiError(404, "NotFound", "the server could not find the requested resource", nlohmann::json::object());
  t.version = p.version;
  t.ns = p.ns;
  t.name = p.name;
  t.subresource = p.subresource;
  if (record.verb == "create" || record.verb == "update" || record.verb == "patch") {
    t.fieldValidation = parseFieldValidation(req.param("fieldValidation"), record.verb);
    t.strictFields = t.fieldValidation == FieldValidation::Strict;
    t.warnings = std::make_shared<std::vector<std::string>>();
    t.admit = ownerReferencesAdmission(w, attrs, record.admissionChecks);
  }
  t.fieldManager = req.param("fieldManager");
  t.userAgent = req.header("user-agent");
  if (!t.type->namespaced && !t.ns.empty())
    throw ApiError(404, "NotFound", "the server could not find the requested resource", nlohmann::json::object());
  bool subOk = t.subresource.empty() || (t.subresource == "status" && t.type->statusSubresource) ||
               (t.subresource == "scale" && t.type->scaleSubresource) ||
               (t.subresource == "log" && t.type->logSubresource && req.method == "GET");
  if (!subOk) throw ApiError(404, "NotFound", "the server could not find the requested resource", nlohmann::json::object());
  if (req.method == "PATCH" && isApplyPatch(req.header("content-type"))) refuseApplyOnSubresource(t);
  if (t.subresource == "scale") return serveScale(w, t, req);

  const std::string& verb = record.verb;
  if (verb == "watch") {
    validateWatchOptions(req);
    serveWatch(w, t, req, stream, [&] {
      record.code = 200;
      logRequest(w, record);
    });
    return std::nullopt;
  }
  if (verb == "list") return serveList(w, t, req);
  if (t.type->namespaced && t.ns.empty() && verb != "deletecollection")
    throw ApiError(404, "NotFound", "the server could not find the requested resource", nlohmann::json::object());
  if (verb == "get") {
    auto lock = w.store.lock();
    if (auto tooNew = awaitResourceVersion(w, lock, req.param("resourceVersion"))) return tooNew;
    ObjectPtr o = w.store.find(t.type->key(), t.ns, t.name);
    if (!o) throw notFound(t.type->resource, t.type->group, t.name);
    if (t.subresource == "log") {
      auto it = w.podLogs.find(t.ns + "/" + t.name);
      return HttpResponse{200, "text/plain", it == w.podLogs.end() ? "" : it->second, {}};
    }
    lock.unlock();
    if (wantsTable(req))
      return jsonResponse(200, toTable(*t.type, t.version, {o}, {{"resourceVersion", metaString(*o, "resourceVersion")}},
                                       req.param("includeObject") == "Object"));
    return jsonResponse(200, present(*t.type, t.version, *o));
  }
  if (verb == "create") {
    if (!t.name.empty()) throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    validateWriteOptions(req, verb, false);
    nlohmann::json body = parseBody(req);
    auto lock = w.store.lock();
    ObjectPtr o = createObject(w, t, std::move(body), dryRun(req));
    return withWarnings(jsonResponse(201, present(*t.type, t.version, *o)), t);
  }
  if (verb == "update") {
    validateWriteOptions(req, verb, false);
    nlohmann::json body = parseBody(req);
    auto lock = w.store.lock();
    ObjectPtr o = updateObject(w, t, std::move(body), dryRun(req));
    return withWarnings(jsonResponse(200, present(*t.type, t.version, *o)), t);
  }
  if (verb == "patch") {
    const bool apply = isApplyPatch(req.header("content-type"));
    validateWriteOptions(req, verb, apply);
    auto lock = w.store.lock();
    if (apply) {
      auto [o, created] = applyObject(w, t, req.body, req.param("force") == "true", dryRun(req));
      return withWarnings(jsonResponse(created ? 201 : 200, present(*t.type, t.version, *o)), t);
    }
    ObjectPtr o = patchObject(w, t, req.header("content-type"), req.body, dryRun(req));
    return withWarnings(jsonResponse(200, present(*t.type, t.version, *o)), t);
  }
  if (verb == "delete") {
    DeleteRequest d = deleteOptions(req);
    auto lock = w.store.lock();
    ObjectPtr o = deleteObject(w, t, d.options, d.dryRun);
    return jsonResponse(200, present(*t.type, t.version, *o));
  }
  if (verb == "deletecollection") {
    DeleteRequest d = deleteOptions(req);
    auto lock = w.store.lock();
    nlohmann::json list = {{"kind", t.type->listKind},
                           {"apiVersion", t.type->apiVersion(t.version)},
                           {"metadata", nlohmann::json::object()},
                           {"items", nlohmann::json::array()}};
    for (const auto& o : selectCurrent(w, t, req)) {
      Target one = t;
      one.ns = metaString(*o, "namespace");
      one.name = metaString(*o, "name");
      ObjectPtr out = deleteObject(w, one, d.options, d.dryRun);
      list["items"].push_back(present(*t.type, t.version, *out));
    }
    list["metadata"]["resourceVersion"] = std::to_string(w.store.currentRv());
    return jsonResponse(200, list);
  }
  throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

}  // namespace pmo::sandbox
