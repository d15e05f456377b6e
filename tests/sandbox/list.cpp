// Reads at a resourceVersion, as kube-apiserver answers them:
// - list pages are consistent snapshots: the continue token (the etcd3 store's format,
//   base64url of {"v":"meta.k8s.io/v1","rv":R,"start":"<next key>"}) pins the first page's
//   resourceVersion R, and every later page lists the objects as they were at R; a token
//   whose R was compacted away is 410 Expired carrying a token (rv -1) that continues at
//   the current state (staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go GetList,
//   errors.go handleCompactedErrorForPaging, storage/continue.go);
// - resourceVersion/resourceVersionMatch as validated by apimachinery's
//   pkg/apis/meta/internalversion/validation ValidateListOptions (422 ListOptions);
// - a resourceVersion newer than the store's: a list without limit and a get wait for it
//   as the watch cache does (cacher.go waitUntilFreshAndBlock: 3 s there, kFreshnessWait
//   here), then 504 Timeout with cause ResourceVersionTooLarge and Retry-After 1
//   (storage.NewTooLargeResourceVersionError); a list with limit or match=Exact goes to
//   etcd there and is refused at once (retry 0).
// - resourceVersion "0" reads the watch cache, which in 1.32 ignores `limit`.
#include <cstring>

#include "sandbox/api.hpp"
#include "sandbox/selectors.hpp"

namespace pmo::sandbox {

namespace {

constexpr auto kFreshnessWait = std::chrono::milliseconds(300);

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64RawUrl(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    for (int s = 18; s >= 6; s -= 6) out += kB64[(v >> s) & 63];
  }
  return out;
}

// Go's base64.RawURLEncoding.DecodeString, with its error text.
std::string decodeBase64RawUrl(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char* p = std::strchr(kB64, in[i]);
    if (!p || in[i] == '\0' || (in.size() % 4 == 1 && i + 1 == in.size()))
      throw std::runtime_error("illegal base64 data at input byte " + std::to_string(i));
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string relativeKey(const Target& t, const nlohmann::json& o) {
  const std::string name = metaString(o, "name");
  if (!t.type->namespaced || !t.ns.empty()) return name;
  return metaString(o, "namespace") + "/" + name;
}

std::string encodeContinue(const std::string& startKey, long long rv) {
  return base64RawUrl(nlohmann::json{{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", startKey}}.dump());
}

struct ContinueToken {
  std::string start;  // relative key to start at (inclusive)
  long long rv = 0;   // -1: the current state
};

// storage.DecodeContinue: the errors it returns, prefixed as GetList answers them (400).
ContinueToken decodeContinue(const std::string& value) {
  auto invalid = [](const std::string& why) { return badRequest("invalid continue token: continue key is not valid" + why); };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(decodeBase64RawUrl(value));
  } catch (const std::exception&) {
    // Go's json.Unmarshal words it so; the decoded bytes are not echoed (they need not be UTF-8)
    throw invalid(": invalid character looking for beginning of value");
  }
  if (!j.is_object()) throw invalid(": json: cannot unmarshal into Go value of type storage.continueToken");
  const std::string v = j.value("v", "");
  if (v != "meta.k8s.io/v1") throw invalid(": server does not recognize this encoded version " + v);
  ContinueToken c;
  c.rv = j.contains("rv") && j["rv"].is_number_integer() ? j["rv"].get<long long>() : 0;
  c.start = j.contains("start") && j["start"].is_string() ? j["start"].get<std::string>() : "";
  if (c.rv == 0) throw invalid(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  if (c.start.empty()) throw invalid(": encoded start key empty (version meta.k8s.io/v1)");
  // path.Clean must leave "/"+start unchanged: no empty, "." or ".." segment
  const std::string key = c.start[0] == '/' ? c.start : "/" + c.start;
  size_t pos = 1;
  while (true) {
    size_t slash = key.find('/', pos);
    std::string seg = key.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (seg.empty() || seg == "." || seg == "..") throw invalid(": " + c.start);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  c.start = key.substr(1);
  return c;
}

uint64_t parseRv(const std::string& rv) {
  if (rv.empty() || rv.find_first_not_of("0123456789") != std::string::npos || rv.size() > 19)
    throw badRequest("invalid resource version: resourceVersion: Invalid value: " + goQuote(rv) +
                     ": strconv.ParseUint: parsing " + goQuote(rv) + ": invalid syntax");
  return std::stoull(rv);
}

// storage.NewTooLargeResourceVersionError
HttpResponse tooLarge(uint64_t wanted, uint64_t current, int retrySeconds) {
  nlohmann::json details = {{"causes", {{{"reason", "ResourceVersionTooLarge"}, {"message", "Too large resource version"}}}}};
  if (retrySeconds > 0) details["retryAfterSeconds"] = retrySeconds;
  HttpResponse r = jsonResponse(504, statusJson(504, "Timeout",
                                                "Timeout: Too large resource version: " + std::to_string(wanted) +
                                                    ", current: " + std::to_string(current),
                                                details));
  if (retrySeconds > 0) r.headers.push_back({"Retry-After", std::to_string(retrySeconds)});
  return r;
}

void validateListOptions(const HttpRequest& req) {
  std::vector<FieldCause> causes;
  const std::string match = req.param("resourceVersionMatch"), rv = req.param("resourceVersion");
  if (!match.empty()) {
    if (rv.empty())
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"});
    if (!req.param("continue").empty())
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided"});
    if (match != "Exact" && match != "NotOlderThan")
      causes.push_back({"FieldValueNotSupported", "resourceVersionMatch",
                        "Unsupported value: " + goQuote(match) + ": supported values: \"Exact\", \"NotOlderThan\", \"\""});
    if (match == "Exact" && rv == "0")
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""});
  }
  if (req.query.count("sendInitialEvents"))
    causes.push_back({"FieldValueForbidden", "sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list"});
  if (!causes.empty()) throw invalid("ListOptions", "meta.k8s.io", "", causes);
}

}  // namespace

void validateWatchOptions(const HttpRequest& req) {
  std::vector<FieldCause> causes;
  const std::string match = req.param("resourceVersionMatch");
  const bool initial = req.query.count("sendInitialEvents") > 0;
  if (initial) {
    if (match != "NotOlderThan")
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"});
    // The sandbox serves watch as a cluster with the WatchList feature gate off.
    causes.push_back({"FieldValueForbidden", "sendInitialEvents",
                      "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"});
  }
  if (!match.empty()) {
    if (!initial)
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"});
    if (match != "NotOlderThan")
      causes.push_back({"FieldValueNotSupported", "resourceVersionMatch",
                        "Unsupported value: " + goQuote(match) + ": supported values: \"NotOlderThan\""});
    if (!req.param("continue").empty())
      causes.push_back({"FieldValueForbidden", "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided"});
  }
  if (!causes.empty()) throw invalid("ListOptions", "meta.k8s.io", "", causes);
}

std::optional<HttpResponse> awaitResourceVersion(World& w, std::unique_lock<std::mutex>& lock, const std::string& rv) {
  if (rv.empty() || rv == "0") return std::nullopt;
  const uint64_t wanted = parseRv(rv);
  if (w.store.waitForRv(lock, wanted, std::chrono::steady_clock::now() + kFreshnessWait)) return std::nullopt;
  return tooLarge(wanted, w.store.currentRv(), 1);
}

HttpResponse serveList(World& w, const Target& t, const HttpRequest& req) {
  validateListOptions(req);
  const std::string rvParam = req.param("resourceVersion"), match = req.param("resourceVersionMatch");
  const std::string cont = req.param("continue");
  long long limit = 0;
  if (!req.param("limit").empty()) {
    const std::string l = req.param("limit");
    if (l.find_first_not_of("-0123456789") != std::string::npos || l.size() > 18)
      throw badRequest("strconv.ParseInt: parsing " + goQuote(l) + ": invalid syntax");
    limit = std::stoll(l);
  }
  if (rvParam == "0" && cont.empty()) limit = 0;  // served from the watch cache, unpaged
  Selector labels = Selector::parseLabels(req.param("labelSelector"));
  Selector fields = Selector::parseFields(req.param("fieldSelector"));

  auto lock = w.store.lock();
  uint64_t at = w.store.currentRv();
  std::string start;
  if (!cont.empty()) {
    if (!rvParam.empty() && rvParam != "0") throw badRequest("specifying resource version is not allowed when using continue");
    ContinueToken token = decodeContinue(cont);
    start = token.start;
    if (token.rv > 0) {
      at = static_cast<uint64_t>(token.rv);
      if (at < w.store.compactedRv()) {
        nlohmann::json status = statusJson(
            410, "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new "
            "list without the continue parameter, or use the continue token in this response to retrieve the "
            "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
            "that were created, modified, or deleted between the time the first chunk was returned and now may show "
            "up in the list.");
        status["metadata"]["continue"] = encodeContinue(start, -1);
        return jsonResponse(410, status);
      }
      if (at > w.store.currentRv()) return tooLarge(at, w.store.currentRv(), 0);
    }
  } else if (!rvParam.empty() && rvParam != "0") {
    const uint64_t wanted = parseRv(rvParam);
    if (match == "Exact") {
      if (wanted > w.store.currentRv()) return tooLarge(wanted, w.store.currentRv(), 0);
      if (wanted < w.store.compactedRv())
        return jsonResponse(410, statusJson(410, "Expired", "The resourceVersion for the provided list is too old."));
      at = wanted;
    } else if (wanted > w.store.currentRv()) {
      if (limit > 0) return tooLarge(wanted, w.store.currentRv(), 0);
      if (!w.store.waitForRv(lock, wanted, std::chrono::steady_clock::now() + kFreshnessWait))
        return tooLarge(wanted, w.store.currentRv(), 1);
      at = w.store.currentRv();
    }
  }
  std::vector<ObjectPtr> all = at == w.store.currentRv() ? w.store.list(t.type->key(), t.ns)
                                                         : w.store.listAt(t.type->key(), t.ns, at);
  lock.unlock();

  std::vector<ObjectPtr> items;
  std::string next;
  long long remaining = 0;
  for (const auto& o : all) {
    if (!start.empty() && relativeKey(t, *o) < start) continue;
    if (!labels.matches(*o) || !fields.matches(*o)) continue;
    if (limit > 0 && static_cast<long long>(items.size()) == limit) {
      if (next.empty()) next = relativeKey(t, *items.back()) + std::string(1, '\0');
      ++remaining;
      continue;
    }
    items.push_back(o);
  }
  nlohmann::json meta = {{"resourceVersion", std::to_string(at)}};
  if (!next.empty()) {
    meta["continue"] = encodeContinue(next, static_cast<long long>(at));
    if (labels.empty() && fields.empty()) meta["remainingItemCount"] = remaining;
  }
  if (req.header("accept").find("as=Table") != std::string::npos)
    return jsonResponse(200, toTable(*t.type, t.version, items, meta, req.param("includeObject") == "Object"));
  nlohmann::json list = {{"kind", t.type->listKind},
                         {"apiVersion", t.type->apiVersion(t.version)},
                         {"metadata", meta},
                         {"items", nlohmann::json::array()}};
  auto& arr = list["items"];
  for (const auto& o : items) arr.push_back(present(*t.type, t.version, *o));
  return jsonResponse(200, list);
}

}  // namespace pmo::sandbox
