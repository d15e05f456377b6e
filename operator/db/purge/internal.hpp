#pragma once
// Pieces of the purge shared by its implementation files (not a public interface).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "db/purge/load_monitor.hpp"
#include "db/purge/pacer.hpp"
#include "db/purge/purge.hpp"

namespace pmo::db::purge_detail {

using Clock = std::chrono::steady_clock;
inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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

// The exact count at the start of a run, taken on its own connection while the first
// batches run instead of before them. Its REPEATABLE READ snapshot is taken before the
// constructor returns, i.e. before the first batch starts: it counts exactly what a count
// run before the first batch would. The count itself (a scan of the scope's rows) then
// runs beside the batches. Never throws: when it cannot connect or the count fails,
// result() is empty and the caller falls back (see runPurge).
class StartCount {
 public:
  struct Counts {
    Matching matching;
    std::vector<EnvironmentCount> environments;
  };
  StartCount(const ConnectionParams& params, const PurgeOptions& options, const Scope& scope, std::int64_t cutoffMicros);
  ~StartCount();  // waits for the count (bounded by the session's statement_timeout)
  StartCount(const StartCount&) = delete;
  StartCount& operator=(const StartCount&) = delete;
  bool started() const { return thread_.joinable(); }
  // True once the count is done (or failed); never waits.
  bool ready() const;
  // Waits for it; nullopt when it failed.
  const std::optional<Counts>& result();

 private:
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::optional<Counts> counts_;  // written by thread_ before done_, read after join
  bool joined_ = false;
};

// "2024-05-01T03:00:00.000000Z"
std::string rfc3339Micros(std::int64_t micros);

// A connection that reconnects and retries transient errors; session settings (lock
// and statement timeouts, UTC) are applied on every (re)connect. `work` must be safe to
// repeat: every batch recomputes what to delete from the database's current state.
class RetryingSession {
 public:
  RetryingSession(const ConnectionParams& params, const PurgeOptions& options, const RetryFn& onRetry)
      : params_(params), options_(options), onRetry_(onRetry) {}

  template <typename Work>
  void run(Work&& work, const std::function<void(const DbError&)>& beforeRetry = nullptr) {
    for (int attempt = 1;; ++attempt) {
      try {
        if (!conn_) open();
        work(*conn_);
        return;
      } catch (const PurgeError&) {
        throw;  // a scope problem, not a database failure: never retried
      } catch (const std::invalid_argument&) {
        throw;
      } catch (...) {
        DbError err = classifyCurrentException(params_);
        if (!err.transient() || attempt >= options_.retry.attempts) throw err;
        if (onRetry_) onRetry_(err, attempt);
        if (beforeRetry) beforeRetry(err);
        conn_.reset();
        std::this_thread::sleep_for(options_.retry.base * (1 << std::min(attempt - 1, 5)));
      }
    }
  }

 private:
  void open();
  const ConnectionParams& params_;
  const PurgeOptions& options_;
  RetryFn onRetry_;
  std::unique_ptr<pqxx::connection> conn_;
};

// What one run has done so far, shared by its passes; reports progress after each batch.
struct RunState {
  const PurgeOptions& options;
  const Scope& scope;
  std::int64_t cutoffMicros;
  PurgeResult& result;
  long long total;
  Clock::time_point started;
  const ProgressFn& progress;
  LoadMonitor* monitor = nullptr;  // null: no back-off under load
  StartCount* startCount = nullptr;  // not adopted yet: `total` unknown (0) until it is
  bool totalKnown = false;
  double commitMsPerRow = 0;       // the purge's usual COMMIT cost per row (a slowly rising floor)
  bool leftHeldRows = false;       // some batch skipped held rows: the sweep must look for them

  void recordBatch(long long deleted, long long tags, double seconds);
  // Takes the start count into `total` and the result (matchedAtStart, environments,
  // remaining) once it is there; `wait`: waits for it. Main thread only.
  void adoptStartCount(bool wait);
  // True when a batch expected to take `nextBatchSeconds` would end after the deadline.
  bool pastDeadline(double nextBatchSeconds) const;
  // Sleeps --sleep; false (without sleeping) when that would cross the deadline.
  bool pause(double lastBatchSeconds) const;
  // After a batch of `rows` rows that took `batchMs` (its COMMIT `commitMs`, 0 when not
  // measured): asks the load monitor, and backs off as decideBackoff says (a smaller next
  // batch, a pause). False when the pause would cross the deadline (then no pause; it still
  // counts as a back-off, with its reason, so the summary says why the run stopped).
  bool backOff(PurgePacer& pacer, double batchMs, double commitMs, long long rows);
};

// The physical pass (db/purge/heap_pass.cpp): visits heap blocks [fromBlock, toBlock) in
// order, in batches of whole lock chunks. Chunks another purge holds are skipped and
// added to `skippedChunks`. Returns false when it stopped for the deadline.
bool heapPass(RetryingSession& session, RunState& st, std::int64_t fromBlock, std::int64_t toBlock, long long expectedRows,
              std::set<std::int64_t>& skippedChunks);
// Blocks in one lock chunk: batches start and end on chunk boundaries (except where a
// batch that stopped at the row cap resumes).
constexpr std::int64_t kChunkBlocks = 32;

// The sweep (db/purge/sweep.cpp): walks the timeline [fromMicros, cutoff] through the
// (environment_id, timestamp) index with FOR UPDATE SKIP LOCKED. Used only for what the
// physical pass left (rows another transaction held, rows written into already-visited
// pages after the start). Returns false when it stopped for the deadline.
bool sweepPass(RetryingSession& session, RunState& st, std::int64_t fromMicros, long long expectedRows);

}  // namespace pmo::db::purge_detail
