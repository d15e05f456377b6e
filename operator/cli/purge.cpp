// `purge ORG`: Phase's purge_app_logs, as a CronJob or a person runs it.
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/db_command.hpp"
#include "db/purge/purge.hpp"

namespace pmo::cli {
namespace {

// Defaults come from db::PurgeOptions, so the CLI, the CronJobs and the benchmark agree.
std::string defaultBatchSize() { return std::to_string(db::PurgeOptions{}.batchSizeCap); }
std::string defaultBatchDuration() { return std::to_string(db::PurgeOptions{}.targetBatchDuration.count()) + "ms"; }

void declarePurgeFlags(args::Spec& spec) {
  spec.positional("ORGANISATION", "The organisation's exact name.");
  spec.flag({"retain", "DAYS", "Keep read events of the last DAYS days; 0 deletes every read event.", false, "30"});
  spec.flag({"app-id", "ID", "Only this app (it must belong to ORGANISATION).", false, ""});
  spec.flag({"dry-run", "", "Count what would be deleted, per app and environment; delete nothing.", false, ""});
  spec.flag({"batch-size", "N", "Most rows deleted in one batch (transaction).", false, defaultBatchSize()});
  spec.flag({"max-batch-duration", "DURATION", "Target duration of one batch; batch sizes adapt to it.", false,
             defaultBatchDuration()});
  spec.flag({"sleep", "DURATION", "Pause between batches.", false, "0s"});
  spec.flag({"deadline", "RFC3339", "Stop cleanly before this instant (e.g. 2025-01-01T05:00:00Z).", false, ""});
  spec.flag({"max-duration", "DURATION", "Stop cleanly after this long (e.g. 1h).", false, ""});
  spec.flag({"max-replication-lag", "DURATION",
             "Pause while a standby lags more than this (pg_stat_replication; needs pg_monitor to see lag); 0 turns it off.",
             false, "10s"});
  spec.flag({"lock-timeout", "DURATION", "lock_timeout of the session.", false, "2s"});
  spec.flag({"statement-timeout", "DURATION", "statement_timeout of the session.", false, "30s"});
}

std::chrono::milliseconds durationFlag(const args::Parsed& p, const std::string& name, const std::string& fallback) {
  try {
    const long long ms = args::parseDurationMs(p.get(name, fallback));
    if (ms < 0) throw std::invalid_argument("negative");
    return std::chrono::milliseconds(ms);
  } catch (const std::invalid_argument& e) {
    throw args::UsageError("--" + name + ": \"" + p.get(name) + "\" is not a duration (examples: 500ms, 30s, 1h)");
  }
}

// RFC 3339: 2025-01-01T05:00:00Z, with optional fraction and a Z or +hh:mm offset.
std::chrono::system_clock::time_point parseRfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) throw args::UsageError("--deadline: \"" + text + "\" is not RFC 3339 (e.g. 2025-01-01T05:00:00Z)");
  std::string rest;
  std::getline(in, rest);
  size_t i = 0;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
  }
  long offsetSeconds = 0;
  const std::string zone = rest.substr(i);
  if (zone == "Z" || zone == "z") {
    offsetSeconds = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    try {
      offsetSeconds = (std::stol(zone.substr(1, 2)) * 3600 + std::stol(zone.substr(4, 2)) * 60) * (zone[0] == '-' ? -1 : 1);
    } catch (const std::exception&) {
      throw args::UsageError("--deadline: bad offset in \"" + text + "\"");
    }
  } else {
    throw args::UsageError("--deadline: \"" + text + "\" needs a zone (Z or +hh:mm)");
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm) - offsetSeconds);
}

void printDryRun(const db::PurgeResult& r) {
  std::cerr << "dry run: read events at or before " << r.cutoff << " that would be deleted:\n";
  for (const auto& e : r.environments) {
    std::cerr << "  app " << e.appName << " (" << e.appId << ")  environment " << e.environmentName << " ("
              << e.environmentId << "): " << e.readEvents << "\n";
  }
  std::cerr << "  total: " << r.matchedAtStart << "\n";
}

db::PurgeOptions optionsFrom(const args::Parsed& p) {
  db::PurgeOptions o;
  o.organisation = p.positionals().at(0);
  o.retainDays = p.getLong("retain", 30);
  if (o.retainDays < 0) throw args::UsageError("--retain must be 0 or more days");
  o.appId = p.get("app-id");
  o.dryRun = p.has("dry-run");
  o.batchSizeCap = p.getLong("batch-size", o.batchSizeCap);
  if (o.batchSizeCap < 1) throw args::UsageError("--batch-size must be at least 1");
  o.targetBatchDuration = durationFlag(p, "max-batch-duration", defaultBatchDuration());
  o.sleepBetweenBatches = durationFlag(p, "sleep", "0s");
  o.lockTimeout = durationFlag(p, "lock-timeout", "2s");
  o.maxReplicationLag = durationFlag(p, "max-replication-lag", "10s");
  o.statementTimeout = durationFlag(p, "statement-timeout", "30s");
  if (p.has("deadline")) o.deadline = parseRfc3339(p.get("deadline"));
  if (p.has("max-duration")) {
    const auto until = std::chrono::system_clock::now() + durationFlag(p, "max-duration", "0s");
    if (!o.deadline || until < *o.deadline) o.deadline = until;
  }
  return o;
}

// `r` is filled as the run goes: when it throws, r holds what was done before the failure.
DbOutcome purge(const db::PurgeOptions& o, const db::ConnectionParams& params, db::PurgeResult& r) {
  std::cerr << "purge: organisation \"" << o.organisation << "\"" << (o.appId.empty() ? "" : " app " + o.appId)
            << ", retain " << o.retainDays << " days, database " << params.describe() << (o.dryRun ? " (dry run)" : "")
            << "\n";
  auto lastPrint = std::chrono::steady_clock::now();
  auto progress = [&](const db::PurgeProgress& pr) {
    const auto now = std::chrono::steady_clock::now();
    if (now - lastPrint < std::chrono::seconds(1)) return;
    lastPrint = now;
    std::cerr << "purge: deleted " << pr.deleted;
    if (pr.total > 0) std::cerr << " of ~" << pr.total;
    std::cerr << " in " << pr.batches << " batches, " << static_cast<long long>(pr.rowsPerSecond) << " rows/s";
    if (pr.total > 0) std::cerr << ", about " << static_cast<long long>(pr.etaSeconds) << " s left";
    std::cerr << (pr.total > 0 ? "\n" : " (still counting what is in scope)\n");
  };
  auto onRetry = [](const db::DbError& err, int attempt) {
    std::cerr << "purge: transient error (attempt " << attempt << "), reconnecting: " << err.what() << "\n";
  };
  db::runPurge(params, o, r, progress, onRetry);
  if (r.nothingToDo) std::cerr << "purge: organisation \"" << o.organisation << "\" has no apps: nothing to do\n";
  if (o.dryRun) printDryRun(r);
  if (r.stoppedEarly) std::cerr << "purge: stopped at the deadline; " << r.remaining << " rows left for the next run\n";
  if (r.skippedLocked > 0)
    std::cerr << "purge: " << r.skippedLocked
              << " read events were held by another transaction (row locks) and are left for the next run\n";
  if (r.backoffs > 0)
    std::cerr << "purge: backed off " << r.backoffs << " times (" << r.backoffSeconds << " s), last because "
              << r.backoffReason << "\n";
  std::cerr << "purge: deleted " << r.deleted << " read events and " << r.tagRowsDeleted << " tag rows in "
            << r.batches << " batches, " << r.durationSeconds << " s\n";
  return {kExitOk, db::purgeSummary(o, r)};
}

DbInvocation preparePurge(const args::Parsed& parsed) {
  const db::PurgeOptions options = optionsFrom(parsed);
  DbInvocation invocation;
  // Shared by the run and its failure summary: a failed run reports what it did before.
  auto result = std::make_shared<db::PurgeResult>();
  invocation.run = [options, result](const db::ConnectionParams& params) { return purge(options, params, *result); };
  invocation.failureSummary = [options, result](const std::exception&) {
    if (result->batches > 0)
      std::cerr << "purge: before failing it deleted " << result->deleted << " read events in " << result->batches
                << " batches\n";
    return db::purgeSummary(options, *result);
  };
  return invocation;
}

const DbCommandRegistrar kPurge(
    {"purge", "Delete old read events from Phase's audit log (purge_app_logs)", 20, "ORGANISATION [FLAGS]",
     "Deletes read events (event_type 'R') older than --retain days from Phase's audit log\n"
     "(api_secretevent) for every app of ORGANISATION, or for one app, with their tag rows.\n"
     "Create, update and delete events are kept. Same semantics as Phase's purge_app_logs;\n"
     "batched, each batch its own transaction, safe to kill and rerun, and two runs never\n"
     "block each other. Progress goes to stderr; a one-line JSON summary to stdout and to\n"
     "/dev/termination-log. Exit codes: 0 done (or nothing to do), 1 failed, 2 bad usage.",
     declarePurgeFlags, preparePurge});

}  // namespace
}  // namespace pmo::cli
