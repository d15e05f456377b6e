#include "sandbox/protobuf.hpp"

#include <cstdint>
#include <functional>
#include <vector>

#include "sandbox/api_error.hpp"
#include "sandbox/kubeconfig.hpp"

namespace pmo::sandbox {

namespace {

// Visits each field of one message: (field number, wire type, varint value, bytes).
void fields(const std::string& msg, const std::function<void(int, int, uint64_t, const std::string&)>& f) {
  size_t i = 0;
  auto varint = [&]() -> uint64_t {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= msg.size()) throw badRequest("malformed protobuf body");
      uint8_t b = static_cast<uint8_t>(msg[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw badRequest("malformed protobuf body");
  };
  while (i < msg.size()) {
    uint64_t key = varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (wire == 0) {
      f(field, wire, varint(), "");
    } else if (wire == 2) {
      uint64_t n = varint();
      if (n > msg.size() - i) throw badRequest("malformed protobuf body");
      f(field, wire, 0, msg.substr(i, n));
      i += n;
    } else if (wire == 1) {
      i += 8;
    } else if (wire == 5) {
      i += 4;
    } else {
      throw badRequest("unsupported protobuf wire type");
    }
  }
}

std::pair<std::string, std::string> mapEntry(const std::string& entry) {
  std::pair<std::string, std::string> kv;
  fields(entry, [&](int n, int, uint64_t, const std::string& s) {
    if (n == 1) kv.first = s;
    if (n == 2) kv.second = s;
  });
  return kv;
}

nlohmann::json objectMeta(const std::string& m) {
  nlohmann::json meta = nlohmann::json::object();
  fields(m, [&](int n, int wire, uint64_t, const std::string& s) {
    if (wire != 2) return;
    if (n == 1) meta["name"] = s;
    if (n == 2) meta["generateName"] = s;
    if (n == 3) meta["namespace"] = s;
    if (n == 11) meta["labels"][mapEntry(s).first] = mapEntry(s).second;
    if (n == 12) meta["annotations"][mapEntry(s).first] = mapEntry(s).second;
    if (n == 14) meta["finalizers"].push_back(s);
  });
  return meta;
}

// authentication.k8s.io/v1 TokenRequestSpec: audiences 1, boundObjectRef 3, expirationSeconds 4.
nlohmann::json tokenRequestSpec(const std::string& m) {
  nlohmann::json spec = nlohmann::json::object();
  fields(m, [&](int n, int wire, uint64_t v, const std::string& s) {
    if (n == 1 && wire == 2) spec["audiences"].push_back(s);
    if (n == 3 && wire == 2) {
      nlohmann::json ref = nlohmann::json::object();
      fields(s, [&](int rn, int rw, uint64_t, const std::string& rs) {
        static const char* names[] = {"", "kind", "apiVersion", "name", "uid"};
        if (rw == 2 && rn >= 1 && rn <= 4) ref[names[rn]] = rs;
      });
      spec["boundObjectRef"] = ref;
    }
    if (n == 4 && wire == 0) spec["expirationSeconds"] = static_cast<int64_t>(v);
  });
  return spec;
}

// The string fields of a message, by field number.
nlohmann::json stringFields(const std::string& m, const std::vector<const char*>& names) {
  nlohmann::json out = nlohmann::json::object();
  fields(m, [&](int n, int wire, uint64_t, const std::string& s) {
    if (wire == 2 && n >= 1 && static_cast<size_t>(n) <= names.size()) out[names[n - 1]] = s;
  });
  return out;
}

nlohmann::json emptySpec(const std::string&) { return nlohmann::json::object(); }

// authorization.k8s.io/v1 SelfSubjectAccessReviewSpec: resourceAttributes 1 (namespace,
// verb, group, version, resource, subresource, name), nonResourceAttributes 2 (path, verb).
nlohmann::json accessReviewSpec(const std::string& m) {
  nlohmann::json spec = nlohmann::json::object();
  fields(m, [&](int n, int wire, uint64_t, const std::string& s) {
    if (n == 1 && wire == 2)
      spec["resourceAttributes"] =
          stringFields(s, {"namespace", "verb", "group", "version", "resource", "subresource", "name"});
    if (n == 2 && wire == 2) spec["nonResourceAttributes"] = stringFields(s, {"path", "verb"});
  });
  return spec;
}

nlohmann::json rulesReviewSpec(const std::string& m) { return stringFields(m, {"namespace"}); }

struct Envelope {
  std::string apiVersion, kind, raw;
};

// runtime.Unknown behind the "k8s\0" magic: typeMeta 1 {apiVersion 1, kind 2}, raw 2.
Envelope envelope(const std::string& body) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0)
    throw badRequest("protobuf body without the k8s envelope");
  Envelope e;
  fields(body.substr(4), [&](int n, int, uint64_t, const std::string& s) {
    if (n == 1)
      fields(s, [&](int tn, int, uint64_t, const std::string& ts) {
        if (tn == 1) e.apiVersion = ts;
        if (tn == 2) e.kind = ts;
      });
    if (n == 2) e.raw = s;
  });
  return e;
}

}  // namespace

nlohmann::json decodeDeleteOptionsProtobuf(const std::string& body) {
  Envelope e = envelope(body);
  if (e.kind != "DeleteOptions")
    throw badRequest("decoded object cannot be converted to DeleteOptions (got " + e.kind + ")");
  nlohmann::json o = {{"apiVersion", e.apiVersion}, {"kind", e.kind}};
  fields(e.raw, [&](int n, int wire, uint64_t v, const std::string& s) {
    if (n == 1 && wire == 0) o["gracePeriodSeconds"] = static_cast<int64_t>(v);
    if (n == 2 && wire == 2)
      fields(s, [&](int pn, int pw, uint64_t, const std::string& ps) {
        if (pn == 1 && pw == 2) o["preconditions"]["uid"] = ps;
        if (pn == 2 && pw == 2) o["preconditions"]["resourceVersion"] = ps;
      });
    if (n == 3 && wire == 0) o["orphanDependents"] = v != 0;
    if (n == 4 && wire == 2) o["propagationPolicy"] = s;
    if (n == 5 && wire == 2) o["dryRun"].push_back(s);
  });
  return o;
}

nlohmann::json decodeKubeProtobuf(const std::string& body) {
  Envelope e = envelope(body);
  const std::string &apiVersion = e.apiVersion, &kind = e.kind, &raw = e.raw;
  const std::string gvk = apiVersion + "/" + kind;
  nlohmann::json (*specOf)(const std::string&) = nullptr;
  if (gvk == "authentication.k8s.io/v1/TokenRequest") specOf = tokenRequestSpec;
  if (gvk == "authentication.k8s.io/v1/SelfSubjectReview") specOf = emptySpec;
  if (gvk == "authorization.k8s.io/v1/SelfSubjectAccessReview") specOf = accessReviewSpec;
  if (gvk == "authorization.k8s.io/v1/SelfSubjectRulesReview") specOf = rulesReviewSpec;
  if (!specOf && (apiVersion != "v1" || (kind != "Namespace" && kind != "ConfigMap" && kind != "Secret" &&
                                          kind != "ServiceAccount")))
    throw ApiError(415, "UnsupportedMediaType",
                   "the sandbox decodes protobuf only for Namespace, ConfigMap, Secret, ServiceAccount, TokenRequest "
                   "and the self-reviews (got " + kind + "); send application/json");
  nlohmann::json o = {{"apiVersion", apiVersion}, {"kind", kind}, {"metadata", nlohmann::json::object()}};
  if (kind == "ServiceAccount") {  // `kubectl create serviceaccount`
    fields(raw, [&](int n, int wire, uint64_t v, const std::string& s) {
      if (n == 1 && wire == 2) o["metadata"] = objectMeta(s);
      if (n == 2 && wire == 2)
        o["secrets"].push_back(
            stringFields(s, {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}));
      if (n == 3 && wire == 2) o["imagePullSecrets"].push_back(stringFields(s, {"name"}));
      if (n == 4 && wire == 0) o["automountServiceAccountToken"] = v != 0;
    });
    return o;
  }
  if (specOf) {  // metadata 1, spec 2 (status 3 is the server's)
    fields(raw, [&](int n, int wire, uint64_t, const std::string& s) {
      if (n == 1 && wire == 2) o["metadata"] = objectMeta(s);
      if (n == 2 && wire == 2) o["spec"] = specOf(s);
    });
    return o;
  }
  fields(raw, [&](int n, int wire, uint64_t v, const std::string& s) {
    if (n == 1 && wire == 2) o["metadata"] = objectMeta(s);
    if (kind == "ConfigMap") {
      if (n == 2) o["data"][mapEntry(s).first] = mapEntry(s).second;
      if (n == 3) o["binaryData"][mapEntry(s).first] = base64(mapEntry(s).second);
      if (n == 4 && wire == 0) o["immutable"] = v != 0;
    } else if (kind == "Secret") {
      if (n == 2) o["data"][mapEntry(s).first] = base64(mapEntry(s).second);
      if (n == 3 && wire == 2) o["type"] = s;
      if (n == 4) o["stringData"][mapEntry(s).first] = mapEntry(s).second;
      if (n == 5 && wire == 0) o["immutable"] = v != 0;
    }
  });
  if (kind == "Secret" && o.contains("stringData")) {
    for (auto it = o["stringData"].begin(); it != o["stringData"].end(); ++it)
      o["data"][it.key()] = base64(it->get<std::string>());
    o.erase("stringData");
  }
  return o;
}

}  // namespace pmo::sandbox
