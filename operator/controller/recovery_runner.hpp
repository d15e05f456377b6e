#pragma once
// The break-glass work against Postgres, as the reconciler sees it. The real runner
// (db/recovery/runner.cpp, libpqxx) connects with the password read from the Secret and
// calls operator/db/recovery/recovery.hpp; tests substitute their own.
//
// Guarantees of every implementation: at most once per request key (the database ledger
// commits with the change), and errors that never carry the password.
#include <stdexcept>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "db/recovery/types.hpp"

namespace pmo::controller {

class RecoveryError : public std::runtime_error {
 public:
  enum class Kind {
    Unreachable,  // connection failed or was lost: retry with backoff
    Auth,         // wrong password or role: retry with backoff (the Secret may be fixed)
    Rejected,     // the request itself is wrong (unknown organisation): not retried
    Failed,       // anything else
    InProgress,   // running off the reconcile path; the resource is woken when it ends
    Busy,         // the executor's queue is full: retry with backoff
  };
  RecoveryError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class RecoveryRunner {
 public:
  virtual ~RecoveryRunner() = default;
  virtual db::NetworkResetResult resetNetworkPolicies(const db::ConnectionParams& params, const std::string& requestKey,
                                                      const std::vector<std::string>& organisations) = 0;
  virtual db::NetworkRestoreResult restoreNetworkPolicies(const db::ConnectionParams& params,
                                                          const std::string& requestKey,
                                                          const std::vector<db::PolicyChange>& changed) = 0;
  virtual db::SsoDisableResult disableSso(const db::ConnectionParams& params, const std::string& requestKey,
                                          const std::vector<std::string>& organisations, bool disableProviders) = 0;
};

}  // namespace pmo::controller
