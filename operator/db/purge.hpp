#pragma once
// The audit-log purge: Phase's `purge_app_logs ORG [--retain DAYS] [--app-id ID]`
// semantics, done faster and gentler than Phase's loop.
//
// Guarantees:
//  * Deletes only api_secretevent rows with event_type = 'R' and timestamp <= cutoff,
//    in the environments of the organisation's apps (or of the one app), and the
//    api_secretevent_tags rows of exactly those events. Nothing else is written.
//  * cutoff = now() - retainDays * 86400 s (as Python's timedelta(days=N)), taken once at
//    the start from the database clock; later batches never chase newer rows.
//  * Each batch is one statement in its own transaction (tags, then events, then the
//    deferred FK checks at its commit): a kill at any moment loses nothing, and a rerun
//    finishes the work.
//  * Rows locked by someone else (another purge) are skipped, never waited for, so two
//    purges never block each other and never delete a row twice; a final sweep picks up
//    rows that were skipped and are still there.
//  * An unknown organisation, or an app not in it, is a PurgeError before anything is
//    deleted. Transient database errors are retried with backoff and a reconnect.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/connection.hpp"
#include "db/session.hpp"

namespace pmo::db {

struct PurgeOptions {
  std::string organisation;              // exact name
  std::string appId;                     // empty: every app of the organisation
  long retainDays = 30;                  // >= 0
  bool dryRun = false;
  long batchSizeCap = 20000;             // most rows in one batch
  std::chrono::milliseconds targetBatchDuration{300};
  std::chrono::milliseconds sleepBetweenBatches{0};
  // Stop starting new batches once the next one would end after this instant.
  std::optional<std::chrono::system_clock::time_point> deadline;
  std::chrono::milliseconds lockTimeout{2000};
  std::chrono::milliseconds statementTimeout{30000};
  RetryPolicy retry{6, std::chrono::milliseconds(250)};  // about 8 s of retries
  // Tests only: the database's "now" in microseconds since the epoch, instead of now().
  std::optional<std::int64_t> nowMicrosOverride;
};

// The organisation or app does not exist / does not match: a usage problem, not a
// database failure. Nothing was deleted.
class PurgeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EnvironmentCount {
  std::string appId, appName, environmentId, environmentName;
  long long readEvents = 0;  // matching rows (before the purge; in a dry run: would go)
};

struct PurgeProgress {
  long long deleted = 0, total = 0, batches = 0;
  double elapsedSeconds = 0, rowsPerSecond = 0, etaSeconds = 0;
};

struct PurgeResult {
  std::string organisationId;
  std::string cutoff;            // RFC 3339, UTC, microseconds
  bool nothingToDo = false;      // organisation without apps
  long long matchedAtStart = 0;  // rows in scope at the start
  long long deleted = 0, tagRowsDeleted = 0, remaining = 0, batches = 0;
  double longestBatchSeconds = 0, durationSeconds = 0;
  bool stoppedEarly = false;
  std::vector<EnvironmentCount> environments;
};

using ProgressFn = std::function<void(const PurgeProgress&)>;
using RetryFn = std::function<void(const DbError&, int attempt)>;

// Throws PurgeError (scope), DbError (database), std::invalid_argument (options).
PurgeResult runPurge(const ConnectionParams& params, const PurgeOptions& options, const ProgressFn& progress = nullptr,
                     const RetryFn& onRetry = nullptr);

// The one-line summary: organisation, appId, retainDays, cutoff, deleted,
// tagRowsDeleted, remaining, batches, durationSeconds, rowsPerSecond, dryRun,
// stoppedEarly, success (and nothingToDo, longestBatchSeconds).
nlohmann::json purgeSummary(const PurgeOptions& options, const PurgeResult& result);

}  // namespace pmo::db
