#pragma once
// The one seam to libpqxx: connecting, and sorting its errors into "retry" and "give
// up" by SQLSTATE class. Every message produced here is scrubbed of the password.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "db/connection.hpp"

namespace pmo::db {

enum class ErrorKind {
  Transient,  // connection lost, serialization failure, deadlock, lock/statement timeout, too many connections
  Auth,       // wrong password, no such role, pg_hba rejected
  Permanent,  // syntax, privilege, undefined table, constraint violation
};

class DbError : public std::runtime_error {
 public:
  DbError(ErrorKind kind, std::string sqlstate, const std::string& message)
      : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& sqlstate() const { return sqlstate_; }
  bool transient() const { return kind_ == ErrorKind::Transient; }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
};

// Classifies the exception in flight (call inside a catch block) into a DbError whose
// message names the target (params.describe()) and never the password.
DbError classifyCurrentException(const ConnectionParams& params);
ErrorKind classifySqlState(const std::string& sqlstate);

// Opens a connection; throws DbError.
std::unique_ptr<pqxx::connection> connect(const ConnectionParams& params);

// Runs `work` with a connection, reconnecting and retrying transient failures with
// exponential backoff (base, doubled up to 8x, at most `attempts` tries). `work` must
// be safe to repeat: each call runs its own transaction.
struct RetryPolicy {
  int attempts = 5;
  std::chrono::milliseconds base{200};
};
void withRetry(const ConnectionParams& params, const RetryPolicy& policy,
               const std::function<void(pqxx::connection&)>& work,
               const std::function<void(const DbError&, int attempt)>& onRetry = nullptr);

}  // namespace pmo::db
