#pragma once
// Helpers shared by the recovery implementations (internal to pmo_db).
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/recovery/types.hpp"
#include "db/session.hpp"

namespace pmo::db::detail {

// The names without duplicates, in first-seen order.
std::vector<std::string> uniqueNames(const std::vector<std::string>& names);

// Resolves exact organisation names to rows, in the order given (duplicates dropped).
// Throws UnknownOrganisationError listing every name that matched nothing.
std::vector<Organisation> resolveOrganisations(pqxx::transaction_base& tx, const std::vector<std::string>& names);

// The ids as one JSON array text, the form in which id lists travel as a single query
// parameter: `... IN (SELECT jsonb_array_elements_text($1::jsonb))`.
std::string idsParam(const std::vector<Organisation>& organisations);
std::string idsParam(const std::vector<std::string>& ids);

// The server's now() for this transaction, UTC with microseconds.
std::string transactionTime(pqxx::transaction_base& tx);

// Runs `work` on a connection from `params` with withRetry. A std::invalid_argument
// (UnknownOrganisationError included) is a verdict, not a failure: it is not retried and
// reaches the caller with its own type.
template <typename Result>
Result runRetrying(const ConnectionParams& params, const RetryPolicy& retry,
                   const std::function<Result(pqxx::connection&)>& work) {
  Result result{};
  std::exception_ptr verdict;
  withRetry(params, retry, [&](pqxx::connection& conn) {
    try {
      result = work(conn);
    } catch (const std::invalid_argument&) {
      verdict = std::current_exception();
    }
  });
  if (verdict) std::rethrow_exception(verdict);
  return result;
}

}  // namespace pmo::db::detail
