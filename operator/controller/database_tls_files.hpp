#pragma once
// spec.database.tls for the operator's own connections (break-glass recoveries): the CA and
// the client certificate and key are read from the API (one GET each, never cached) and
// handed to libpq as in-memory files (common/memory_file.hpp): nothing is written to disk,
// and the key never reaches a log, an Event or status.
#include <optional>
#include <string>

#include "db/connection.hpp"
#include "kube/client.hpp"
#include "maintenance/spec/spec.hpp"

namespace pmo::controller {

// Sets params.sslRootCert / sslCert / sslKey (and params.tlsFiles, which keeps the files)
// from `tls` in namespace `ns`. Returns nullopt on success, else why not, naming the object,
// the key and the field to fix (never the content). Other API errors propagate.
std::optional<std::string> loadDatabaseTls(kube::Client& client, const std::string& ns,
                                           const maintenance::DatabaseTlsSpec& tls, db::ConnectionParams& params);

}  // namespace pmo::controller
