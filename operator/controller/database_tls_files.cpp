#include "controller/database_tls_files.hpp"

#include <memory>
#include <vector>

#include "common/memory_file.hpp"
#include "kube/config.hpp"

namespace pmo::controller {
namespace {

// The object, or nullopt when it does not exist (one GET: Secrets are never cached).
std::optional<nlohmann::json> getObject(kube::Client& client, const kube::Resource& kind, const std::string& ns,
                                        const std::string& name) {
  try {
    return client.get(kind, ns, name);
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::NotFound) return std::nullopt;
    throw;
  }
}

// The value of `key` in a Secret's data (base64) or a ConfigMap's data (text) or
// binaryData (base64); nullopt when absent.
std::optional<std::string> keyOf(const std::optional<nlohmann::json>& object, const std::string& key) {
  if (!object) return std::nullopt;
  const bool configMap = object->value("kind", "") == "ConfigMap";
  const auto data = object->value("data", nlohmann::json::object());
  if (data.contains(key) && data[key].is_string())
    return configMap ? std::optional<std::string>(data[key].get<std::string>()) : kube::base64Decode(data[key].get<std::string>());
  const auto binary = object->value("binaryData", nlohmann::json::object());
  if (configMap && binary.contains(key) && binary[key].is_string()) return kube::base64Decode(binary[key].get<std::string>());
  return std::nullopt;
}

std::optional<std::string> readKey(kube::Client& client, const kube::Resource& kind, const std::string& ns,
                                   const std::string& name, const std::string& key) {
  auto object = getObject(client, kind, ns, name);
  if (object && !object->contains("kind")) (*object)["kind"] = kind.kind;
  return keyOf(object, key);
}

std::string missing(const std::string& kind, const std::string& ns, const std::string& name, const std::string& key,
                    const std::string& field) {
  return kind + " " + ns + "/" + name + " has no key \"" + key + "\": fix " + field + " or create the " + kind;
}

}  // namespace

std::optional<std::string> loadDatabaseTls(kube::Client& client, const std::string& ns,
                                           const maintenance::DatabaseTlsSpec& tls, db::ConnectionParams& params) {
  if (!tls.any()) return std::nullopt;
  auto files = std::make_shared<std::vector<std::unique_ptr<MemoryFile>>>();
  auto keep = [&](const char* name, const std::string& content, unsigned mode) {
    files->push_back(std::make_unique<MemoryFile>(name, content, mode));
    return files->back()->path();
  };
  if (tls.caSecret) {
    const auto ca = readKey(client, kube::resources::kSecrets, ns, tls.caSecret->name, tls.caSecret->key);
    if (!ca) return missing("Secret", ns, tls.caSecret->name, tls.caSecret->key, "spec.database.tls.ca.secretKeyRef");
    params.sslRootCert = keep("database-ca", *ca, 0600);
  } else if (tls.caConfigMap) {
    const auto ca = readKey(client, kube::resources::kConfigMaps, ns, tls.caConfigMap->name, tls.caConfigMap->key);
    if (!ca)
      return missing("ConfigMap", ns, tls.caConfigMap->name, tls.caConfigMap->key,
                     "spec.database.tls.ca.configMapKeyRef");
    params.sslRootCert = keep("database-ca", *ca, 0600);
  }
  if (!tls.clientCertSecret.empty()) {
    const std::string field = "spec.database.tls.clientCertSecretRef";
    const auto secret = getObject(client, kube::resources::kSecrets, ns, tls.clientCertSecret);
    const auto cert = keyOf(secret, "tls.crt");
    if (!cert) return missing("Secret", ns, tls.clientCertSecret, "tls.crt", field);
    const auto key = keyOf(secret, "tls.key");
    if (!key) return missing("Secret", ns, tls.clientCertSecret, "tls.key", field);
    params.sslCert = keep("database-client-cert", *cert, 0600);
    params.sslKey = keep("database-client-key", *key, 0600);  // libpq refuses a key others can read
  }
  params.tlsFiles = std::move(files);
  return std::nullopt;
}

}  // namespace pmo::controller
