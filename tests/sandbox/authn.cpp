#include "sandbox/authn.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "runtime/time_format.hpp"
#include "sandbox/api.hpp"
#include "sandbox/kubeconfig.hpp"
#include "sandbox/protobuf.hpp"

namespace pmo::sandbox {

namespace {

const std::string kServiceAccountKey = "serviceaccounts";

std::string base64url(const std::string& data) {
  std::string s = base64(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("sandbox: no random bytes for a token");
  return out;
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

UserInfo admin() { return {kAdminUser, "", {kMastersGroup, "system:authenticated"}, {}}; }

// The token of "Authorization: Bearer <token>" (the scheme case-insensitive, as
// k8s.io/apiserver/pkg/authentication/request/bearertoken), "" when there is none.
std::string bearerToken(const HttpRequest& req) {
  const std::string h = req.header("authorization");
  const size_t space = h.find(' ');
  if (space == std::string::npos) return "";
  std::string scheme = h.substr(0, space);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer") return "";
  std::string token = h.substr(space + 1);
  return token.find(' ') == std::string::npos ? token : token.substr(0, token.find(' '));
}

}  // namespace

std::optional<UserInfo> authenticate(World& w, const HttpRequest& req) {
  const std::string token = bearerToken(req);
  if (!w.options.token.empty() && constantTimeEquals(token, w.options.token)) return admin();
  IssuedToken issued;
  {
    std::lock_guard<std::mutex> lock(w.tokenMutex);
    auto it = w.tokens.find(token);
    if (it == w.tokens.end() || token.empty()) {
      if (w.options.token.empty()) return admin();  // no auth configured
      return std::nullopt;
    }
    issued = it->second;
  }
  if (std::chrono::system_clock::now() >= issued.expiry) return std::nullopt;
  if (std::find(issued.audiences.begin(), issued.audiences.end(), kApiAudience) == issued.audiences.end())
    return std::nullopt;  // a token for another audience (e.g. a vault) is not a credential here
  {
    auto lock = w.store.lock();
    ObjectPtr sa = w.store.find(kServiceAccountKey, issued.ns, issued.name);
    if (!sa || metaString(*sa, "uid") != issued.uid) return std::nullopt;  // deleted (or recreated)
  }
  UserInfo u;
  u.name = "system:serviceaccount:" + issued.ns + ":" + issued.name;
  u.uid = issued.uid;
  u.groups = {"system:serviceaccounts", "system:serviceaccounts:" + issued.ns, "system:authenticated"};
  u.extra["authentication.kubernetes.io/credential-id"] = {"JTI=" + issued.credentialId};
  return u;
}

nlohmann::json userInfoJson(const UserInfo& user) {
  nlohmann::json j = {{"username", user.name}, {"groups", user.groups}};
  if (!user.uid.empty()) j["uid"] = user.uid;
  if (!user.extra.empty()) j["extra"] = user.extra;
  return j;
}

IssuedTokenView issueServiceAccountToken(World& w, const std::string& ns, const std::string& name,
                                         long expirationSeconds, std::vector<std::string> audiences) {
  ObjectPtr sa = w.store.find(kServiceAccountKey, ns, name);
  if (!sa) throw notFound("serviceaccounts", "", name);
  if (audiences.empty()) audiences = {kApiAudience};
  const auto now = std::chrono::system_clock::now();
  IssuedToken t{ns, name, metaString(*sa, "uid"), newUid(), audiences, now + std::chrono::seconds(expirationSeconds)};
  // JWT-shaped like a real one (kubectl and people may decode it); the signature is random
  // and the sandbox looks the token up instead of verifying it.
  const long iat = static_cast<long>(std::chrono::system_clock::to_time_t(now));
  const nlohmann::json header = {{"alg", "RS256"}, {"kid", "sandbox"}};
  const nlohmann::json claims = {
      {"aud", audiences},
      {"exp", iat + expirationSeconds},
      {"iat", iat},
      {"nbf", iat},
      {"iss", kApiAudience},
      {"jti", t.credentialId},
      {"sub", "system:serviceaccount:" + ns + ":" + name},
      {"kubernetes.io", {{"namespace", ns}, {"serviceaccount", {{"name", name}, {"uid", t.uid}}}}}};
  const std::string token =
      base64url(header.dump()) + "." + base64url(claims.dump()) + "." + base64url(randomBytes(32));
  {
    std::lock_guard<std::mutex> lock(w.tokenMutex);
    w.tokens[token] = t;
  }
  return {token, runtime::formatTime(t.expiry), audiences};
}

HttpResponse serveTokenRequest(World& w, const HttpRequest& req, const std::string& ns, const std::string& name) {
  if (req.method != "POST")
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  nlohmann::json tr;
  if (req.header("content-type").rfind("application/vnd.kubernetes.protobuf", 0) == 0) {
    tr = decodeKubeProtobuf(req.body);
  } else {
    tr = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (tr.is_discarded() || !tr.is_object()) throw badRequest("the object provided is unrecognized: not a TokenRequest");
  }
  nlohmann::json spec = tr.value("spec", nlohmann::json::object());
  const std::string bodyName = metaString(tr, "name"), bodyNs = metaString(tr, "namespace");
  if (!bodyName.empty() && bodyName != name)
    throw invalid("TokenRequest", "authentication.k8s.io", name,
                  {{"FieldValueInvalid", "metadata.name",
                    "Invalid value: " + goQuote(bodyName) + ": must match the service account name if specified"}});
  if (!bodyNs.empty() && bodyNs != ns)
    throw invalid("TokenRequest", "authentication.k8s.io", name,
                  {{"FieldValueInvalid", "metadata.namespace",
                    "Invalid value: " + goQuote(bodyNs) + ": must match the service account namespace if specified"}});
  // In token.go's order: the ServiceAccount (404), then static validation (422).
  auto lock = w.store.lock();
  if (!w.store.find(kServiceAccountKey, ns, name)) throw notFound("serviceaccounts", "", name);
  const long expiration = spec.contains("expirationSeconds") && spec["expirationSeconds"].is_number_integer()
                              ? spec["expirationSeconds"].get<long>()
                              : 3600;  // SetDefaults_TokenRequestSpec
  if (expiration < 600)
    throw invalid("TokenRequest", "authentication.k8s.io", "",
                  {{"FieldValueInvalid", "spec.expirationSeconds",
                    "Invalid value: " + std::to_string(expiration) + ": may not specify a duration less than 10 minutes"}});
  if (expiration > 4294967295L)
    throw invalid("TokenRequest", "authentication.k8s.io", "",
                  {{"FieldValueInvalid", "spec.expirationSeconds",
                    "Invalid value: " + std::to_string(expiration) +
                        ": may not specify a duration larger than 2^32 seconds"}});
  if (spec.contains("boundObjectRef") && !spec["boundObjectRef"].is_null())
    throw ApiError(501, "NotImplemented", "the sandbox does not bind tokens to objects (spec.boundObjectRef)");
  std::vector<std::string> audiences;
  if (spec.contains("audiences") && spec["audiences"].is_array())
    for (const auto& a : spec["audiences"])
      if (a.is_string()) audiences.push_back(a.get<std::string>());
  const IssuedTokenView issued = issueServiceAccountToken(w, ns, name, expiration, audiences);
  lock.unlock();
  nlohmann::json out = {
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", nowRfc3339()}}},
      {"spec", {{"audiences", issued.audiences}, {"expirationSeconds", expiration}, {"boundObjectRef", nullptr}}},
      {"status", {{"token", issued.token}, {"expirationTimestamp", issued.expirationTimestamp}}}};
  return jsonResponse(201, out);
}

}  // namespace pmo::sandbox
