#pragma once
// A base for the controller tests' RecoveryRunner fakes, which script only the reset: the
// restore and the SSO change answer as if there was nothing to do.
#include "controller/recovery_runner.hpp"

namespace pmo::controller {

class ResetOnlyRecoveries : public RecoveryRunner {
 public:
  db::NetworkRestoreResult restoreNetworkPolicies(const db::ConnectionParams&, const std::string&,
                                                  const std::vector<db::PolicyChange>&) override {
    return {};
  }
  db::SsoDisableResult disableSso(const db::ConnectionParams&, const std::string&, const std::vector<std::string>&,
                                  bool) override {
    return {};
  }
};

}  // namespace pmo::controller
