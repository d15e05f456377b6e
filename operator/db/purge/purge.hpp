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
//  * Each batch is one statement in its own transaction (the batch's events and exactly
//    their tag rows, then the deferred FK checks at its commit): a kill at any moment
//    loses nothing, and a rerun finishes the work.
//  * Two purges never wait for each other: a stretch of the table one of them is working
//    on is skipped by the other (advisory lock per chunk of heap blocks) and revisited
//    later. No row is deleted twice.
//  * A row held by another transaction (the event, or one of its tag rows) is never waited
//    on: it is skipped at once and left whole for the next run, and counted in
//    skippedLocked. Only then (or when chunks stayed skipped) does a final count and sweep
//    through the index run; after a clean physical pass nothing in scope is left.
//  * Gentle: no parallel workers; it backs off (pause, smaller batches) when it sees itself
//    hurting others (slow commits, sessions waiting on WAL or on its locks, a standby
//    lagging more than maxReplicationLag): load_monitor.hpp, pacer.hpp decideBackoff.
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
#include "maintenance/auditlogs/summaries.hpp"

namespace pmo::db {

struct PurgeOptions {
  std::string organisation;              // exact name
  std::string appId;                     // empty: every app of the organisation
  long retainDays = 30;                  // >= 0
  bool dryRun = false;
  long batchSizeCap = 50000;             // most rows in one batch
  std::chrono::milliseconds targetBatchDuration{400};
  std::chrono::milliseconds sleepBetweenBatches{0};
  // Stop starting new batches once the next one would end after this instant.
  std::optional<std::chrono::system_clock::time_point> deadline;
  // Back off (pause, smaller batches) while a standby lags more than this; 0: not watched.
  std::chrono::milliseconds maxReplicationLag{10000};
  // Watch the database from a second connection and back off when the purge hurts others
  // (pacer.hpp decideBackoff). Off: only the target batch duration paces it.
  bool backOffUnderLoad = true;
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
  // total: rows in scope at the start; 0 (and no ETA) while that count still runs beside
  // the first batches.
  long long deleted = 0, total = 0, batches = 0;
  double elapsedSeconds = 0, rowsPerSecond = 0, etaSeconds = 0;
};

struct PurgeResult {
  std::string organisationId;
  std::string cutoff;            // RFC 3339, UTC, microseconds
  bool nothingToDo = false;      // organisation without apps
  // Rows in scope at the start (exact: counted from a snapshot taken before the first batch;
  // only if that count's own connection fails mid-way: deleted + what is left at the end).
  long long matchedAtStart = 0;
  long long deleted = 0, tagRowsDeleted = 0, remaining = 0, batches = 0;
  double longestBatchSeconds = 0, durationSeconds = 0;
  bool stoppedEarly = false;
  // Rows still in scope at the end of a complete run because another transaction held
  // them (the event row, or one of its tag rows) whenever the purge tried: skipped without
  // waiting, left for the next run. 0 when the run stopped early (see `remaining`).
  long long skippedLocked = 0;
  // Pauses the purge took because it saw itself hurting others (load_monitor.hpp).
  long long backoffs = 0;
  double backoffSeconds = 0;
  std::string backoffReason;  // the latest one
  std::vector<EnvironmentCount> environments;
};

using ProgressFn = std::function<void(const PurgeProgress&)>;
using RetryFn = std::function<void(const DbError&, int attempt)>;

// now - retainDays in microseconds: always within [0001-01-01, now]. A retainDays that would
// reach before the year 1 (where Phase's timedelta arithmetic overflows and its command
// refuses) or below 0 throws std::invalid_argument, so a huge --retain can never wrap into a
// cutoff in the future that deletes every read event.
std::int64_t purgeCutoffMicros(std::int64_t nowMicros, long retainDays);

// Throws PurgeError (scope), DbError (database), std::invalid_argument (options).
// `result` is filled as the run goes: after a throw it holds what the run did before it
// failed (cutoff, rows and tag rows deleted, batches, duration), for an honest summary.
void runPurge(const ConnectionParams& params, const PurgeOptions& options, PurgeResult& result,
              const ProgressFn& progress = nullptr, const RetryFn& onRetry = nullptr);
PurgeResult runPurge(const ConnectionParams& params, const PurgeOptions& options, const ProgressFn& progress = nullptr,
                     const RetryFn& onRetry = nullptr);

// The one-line summary (maintenance::PurgeSummary, its fields and JSON form), success true.
nlohmann::json purgeSummary(const PurgeOptions& options, const PurgeResult& result);

}  // namespace pmo::db
