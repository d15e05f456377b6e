#include "db/recovery/runner.hpp"

#include "db/recovery/recovery.hpp"
#include "db/session.hpp"

namespace pmo::db {
namespace {

using controller::RecoveryError;

// Runs `work` and turns what it throws into a RecoveryError the reconciler can act on.
template <typename F>
auto guarded(const ConnectionParams& params, F&& work) -> decltype(work()) {
  try {
    return work();
  } catch (const UnknownOrganisationError& e) {
    throw RecoveryError(RecoveryError::Kind::Rejected, e.what());
  } catch (const std::invalid_argument& e) {
    throw RecoveryError(RecoveryError::Kind::Rejected, e.what());
  } catch (...) {
    const DbError err = classifyCurrentException(params);
    switch (err.kind()) {
      case ErrorKind::Transient: throw RecoveryError(RecoveryError::Kind::Unreachable, err.what());
      case ErrorKind::Auth: throw RecoveryError(RecoveryError::Kind::Auth, err.what());
      case ErrorKind::Permanent: throw RecoveryError(RecoveryError::Kind::Failed, err.what());
    }
    throw RecoveryError(RecoveryError::Kind::Failed, err.what());
  }
}

// The reconciler retries with its own backoff; keep each attempt short.
const RetryPolicy kRetry{2, std::chrono::milliseconds(200)};

}  // namespace

NetworkResetResult PostgresRecoveryRunner::resetNetworkPolicies(const ConnectionParams& params,
                                                                const std::string& requestKey,
                                                                const std::vector<std::string>& organisations) {
  return guarded(params, [&] {
    return resetGlobalNetworkPolicies(params, kRetry, RequestKey{requestKey}, organisations, false);
  });
}

NetworkRestoreResult PostgresRecoveryRunner::restoreNetworkPolicies(const ConnectionParams& params,
                                                                    const std::string& requestKey,
                                                                    const std::vector<PolicyChange>& changed) {
  return guarded(params, [&] { return restoreGlobalNetworkPolicies(params, kRetry, RequestKey{requestKey}, changed); });
}

SsoDisableResult PostgresRecoveryRunner::disableSso(const ConnectionParams& params, const std::string& requestKey,
                                                    const std::vector<std::string>& organisations,
                                                    bool disableProviders) {
  return guarded(params, [&] {
    return disableSSOEnforcement(params, kRetry, RequestKey{requestKey}, organisations, disableProviders, false);
  });
}

}  // namespace pmo::db
