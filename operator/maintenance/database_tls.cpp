#include "maintenance/database_tls.hpp"

namespace pmo::maintenance {
namespace {

Json item(const std::string& key, const std::string& path) { return Json{{"key", key}, {"path", path}}; }

std::string inMount(const char* file) { return std::string(kDatabaseTlsMountPath) + "/" + file; }

}  // namespace

std::optional<Json> databaseTlsVolume(const DatabaseTlsSpec& tls) {
  if (!tls.any()) return std::nullopt;
  Json sources = Json::array();
  if (tls.caSecret) {
    sources.push_back({{"secret", {{"name", tls.caSecret->name}, {"items", {item(tls.caSecret->key, kDatabaseTlsCaFile)}}}}});
  } else if (tls.caConfigMap) {
    sources.push_back(
        {{"configMap", {{"name", tls.caConfigMap->name}, {"items", {item(tls.caConfigMap->key, kDatabaseTlsCaFile)}}}}});
  }
  if (!tls.clientCertSecret.empty()) {
    sources.push_back({{"secret",
                        {{"name", tls.clientCertSecret},
                         {"items", {item("tls.crt", kDatabaseTlsCertFile), item("tls.key", kDatabaseTlsKeyFile)}}}}});
  }
  return Json{{"name", kDatabaseTlsVolume},
              {"projected", {{"defaultMode", kDatabaseTlsFileMode}, {"sources", sources}}}};
}

Json databaseTlsMount() {
  return Json{{"name", kDatabaseTlsVolume}, {"mountPath", kDatabaseTlsMountPath}, {"readOnly", true}};
}

Json databaseTlsEnv(const DatabaseTlsSpec& tls) {
  Json env = Json::array();
  if (tls.hasCa()) env.push_back({{"name", "PGSSLROOTCERT"}, {"value", inMount(kDatabaseTlsCaFile)}});
  if (!tls.clientCertSecret.empty()) {
    env.push_back({{"name", "PGSSLCERT"}, {"value", inMount(kDatabaseTlsCertFile)}});
    env.push_back({{"name", "PGSSLKEY"}, {"value", inMount(kDatabaseTlsKeyFile)}});
  }
  return env;
}

void mountDatabaseTls(Json& podSpec, const DatabaseTlsSpec& tls, long long fsGroup) {
  const auto volume = databaseTlsVolume(tls);
  if (!volume) return;
  if (!podSpec.contains("volumes") || !podSpec["volumes"].is_array()) podSpec["volumes"] = Json::array();
  podSpec["volumes"].push_back(*volume);
  for (auto& c : podSpec["containers"]) {
    if (!c.contains("volumeMounts") || !c["volumeMounts"].is_array()) c["volumeMounts"] = Json::array();
    c["volumeMounts"].push_back(databaseTlsMount());
    if (!c.contains("env") || !c["env"].is_array()) c["env"] = Json::array();
    for (const auto& e : databaseTlsEnv(tls)) c["env"].push_back(e);
  }
  if (!podSpec.contains("securityContext") || !podSpec["securityContext"].is_object())
    podSpec["securityContext"] = Json::object();
  if (!podSpec["securityContext"].contains("fsGroup")) podSpec["securityContext"]["fsGroup"] = fsGroup;
}

}  // namespace pmo::maintenance
