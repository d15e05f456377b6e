#include "db/session.hpp"

#include <optional>
#include <thread>

namespace pmo::db {
namespace {

// Removes every occurrence of the password from a message, in case a library echoed
// a connection string or a parameter back.
std::string scrub(std::string message, const ConnectionParams& params) {
  const std::string& pw = params.password.reveal();
  if (pw.size() >= 1) {
    for (size_t pos = message.find(pw); pos != std::string::npos; pos = message.find(pw, pos)) {
      message.replace(pos, pw.size(), "<redacted>");
    }
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

bool looksLikeAuthFailure(const std::string& m) {
  return m.find("password authentication failed") != std::string::npos ||
         m.find("no password supplied") != std::string::npos ||
         (m.find("role \"") != std::string::npos && m.find("does not exist") != std::string::npos) ||
         m.find("pg_hba.conf") != std::string::npos;
}

// Refusals at connection time that no retry changes: the database is missing, or the server
// and the client disagree on SSL (libpq reports both as a broken connection, without SQLSTATE).
bool looksLikeConfigurationError(const std::string& m) {
  return (m.find("database \"") != std::string::npos && m.find("does not exist") != std::string::npos) ||
         m.find("server does not support SSL") != std::string::npos ||
         m.find("SSL is not enabled on the server") != std::string::npos ||
         m.find("sslmode value") != std::string::npos || m.find("invalid sslmode") != std::string::npos;
}

bool contains(const std::string& m, const char* part) { return m.find(part) != std::string::npos; }

// A TLS refusal no retry changes, as a DbError whose message says what to fix. libpq
// reports these as broken connections without SQLSTATE; its wording is matched here.
std::optional<DbError> tlsError(const std::string& m, const ConnectionParams& p, const std::string& target) {
  const std::string ca = p.sslRootCert.empty() ? std::string("libpq's default root certificate (~/.postgresql/root.crt)")
                                               : "the CA in sslrootcert \"" + p.sslRootCert + "\"";
  const std::string mode = " (sslmode=" + p.sslMode + ")";
  if (contains(m, "certificate verify failed")) {
    return DbError(ErrorKind::Permanent, "08006",
                   "the database server's certificate is not signed by " + ca + mode + target + ": " + m +
                       ". Fix: give the CA that signed the server's certificate (spec.database.tls.ca, "
                       "DATABASE_SSL_CA_PATH or PGSSLROOTCERT)");
  }
  if (contains(m, "does not match host name")) {
    return DbError(ErrorKind::Permanent, "08006",
                   "the database server's certificate does not name the host connected to" + mode + target + ": " + m +
                       ". Fix: connect by a name the certificate lists, or use sslMode verify-ca");
  }
  if (contains(m, "root certificate file")) {
    return DbError(ErrorKind::Permanent, "08006",
                   "cannot read " + ca + mode + target + ": " + m +
                       ". Fix: give a readable CA file, or an sslMode that verifies nothing");
  }
  if (contains(m, "requires a valid client certificate") || contains(m, "certificate authentication failed")) {
    return DbError(ErrorKind::Auth, "28000",
                   "the database server wants a client certificate it accepts" + target + ": " + m +
                       ". Fix: give a certificate whose CN is the database user, signed by a CA the server "
                       "trusts (spec.database.tls.clientCertSecretRef, or sslcert and sslkey)");
  }
  if (contains(m, "certificate file") || contains(m, "private key file")) {
    return DbError(ErrorKind::Permanent, "08006",
                   "cannot use the client certificate or key" + target + ": " + m +
                       ". Fix: give readable files; the key must not be readable by group or others");
  }
  return std::nullopt;
}

}  // namespace

ErrorKind classifySqlState(const std::string& s) {
  if (s.rfind("08", 0) == 0) return ErrorKind::Transient;   // connection exception
  if (s == "40001" || s == "40P01") return ErrorKind::Transient;  // serialization failure, deadlock
  if (s == "55P03") return ErrorKind::Transient;            // lock_not_available (lock_timeout)
  if (s == "57014") return ErrorKind::Transient;            // query_canceled (statement_timeout)
  if (s == "53300") return ErrorKind::Transient;            // too_many_connections
  if (s.rfind("57P", 0) == 0) return ErrorKind::Transient;  // admin shutdown, crash shutdown, cannot connect now
  if (s == "28P01" || s == "28000") return ErrorKind::Auth;  // invalid password / authorization
  return ErrorKind::Permanent;
}

DbError classifyCurrentException(const ConnectionParams& params) {
  const std::string target = " (" + params.describe() + ")";
  try {
    throw;
  } catch (const DbError& e) {
    return e;
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    return DbError(classifySqlState(state), state, scrub(e.what(), params) + target);
  } catch (const pqxx::broken_connection& e) {
    const std::string m = scrub(e.what(), params);
    if (auto tls = tlsError(m, params, target)) return *tls;
    if (looksLikeAuthFailure(m)) return DbError(ErrorKind::Auth, "28P01", m + target);
    if (looksLikeConfigurationError(m)) return DbError(ErrorKind::Permanent, "3D000", m + target);
    return DbError(ErrorKind::Transient, "08006", "cannot reach the database" + target + ": " + m);
  } catch (const pqxx::in_doubt_error& e) {
    // The commit may or may not have happened: callers must re-check, so not "retry".
    return DbError(ErrorKind::Permanent, "08007", "connection lost during COMMIT" + target + ": " + scrub(e.what(), params));
  } catch (const std::exception& e) {
    return DbError(ErrorKind::Permanent, "", scrub(e.what(), params) + target);
  }
}

std::unique_ptr<pqxx::connection> connect(const ConnectionParams& params) {
  try {
    return std::make_unique<pqxx::connection>(params.libpqConnectionString().reveal());
  } catch (...) {
    throw classifyCurrentException(params);
  }
}

void withRetry(const ConnectionParams& params, const RetryPolicy& policy,
               const std::function<void(pqxx::connection&)>& work,
               const std::function<void(const DbError&, int attempt)>& onRetry) {
  std::unique_ptr<pqxx::connection> conn;
  for (int attempt = 1;; ++attempt) {
    try {
      if (!conn || !conn->is_open()) conn = connect(params);
      work(*conn);
      return;
    } catch (...) {
      DbError err = classifyCurrentException(params);
      if (!err.transient() || attempt >= policy.attempts) throw err;
      if (onRetry) onRetry(err, attempt);
      conn.reset();  // reconnect: the session may be in an unknown state
      const auto delay = policy.base * (1 << std::min(attempt - 1, 3));
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace pmo::db
