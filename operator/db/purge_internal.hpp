#pragma once
// Pieces of the purge shared by its implementation files (not a public interface).
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "db/purge.hpp"

namespace pmo::db::purge_detail {

// SQL for "the timestamptz at parameter $N microseconds since the epoch": exact to the
// microsecond (no floating point on the way).
std::string tsParam(int n);

// Phase's scope: the organisation by exact name, its apps (or the one app), their
// environments. Throws PurgeError when the organisation or the app is not found.
struct Scope {
  std::string organisationId;
  std::vector<std::string> appIds;
  std::vector<EnvironmentCount> environments;  // counts filled by countMatching
  std::string environmentArray;                // text[] literal of the environment ids
};
Scope resolveScope(pqxx::transaction_base& tx, const std::string& organisation, const std::string& appId);

// Read events at or before the cutoff in the scope's environments: fills per-environment
// counts and returns the total and the oldest timestamp (microseconds; 0 when none).
struct Matching {
  long long total = 0;
  std::int64_t oldestMicros = 0;
};
Matching countMatching(pqxx::transaction_base& tx, Scope& scope, std::int64_t cutoffMicros);

// "2024-05-01T03:00:00.000000Z"
std::string rfc3339Micros(std::int64_t micros);

}  // namespace pmo::db::purge_detail
