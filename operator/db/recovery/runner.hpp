#pragma once
// The reconciler's RecoveryRunner over libpqxx (operator/db/recovery/recovery.hpp).
#include "controller/recovery_runner.hpp"

namespace pmo::db {

class PostgresRecoveryRunner final : public controller::RecoveryRunner {
 public:
  NetworkResetResult resetNetworkPolicies(const ConnectionParams& params, const std::string& requestKey,
                                          const std::vector<std::string>& organisations) override;
  NetworkRestoreResult restoreNetworkPolicies(const ConnectionParams& params, const std::string& requestKey,
                                              const std::vector<PolicyChange>& changed) override;
  SsoDisableResult disableSso(const ConnectionParams& params, const std::string& requestKey,
                              const std::vector<std::string>& organisations, bool disableProviders) override;
};

}  // namespace pmo::db
