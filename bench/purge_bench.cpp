// Purge benchmark: Phase's own algorithm vs this operator's purge vs one unbatched
// DELETE, each on an identical copy of the same generated audit log, in the same run.
// Prints rows/s, WAL bytes, the longest batch, and p50/p99/max latency of concurrent
// fixed-rate traffic (reads and writes) over the purge's whole duration, then the ratios
// and PASS/FAIL against issue 13's targets.
//
//   purge_bench [--events N] [--compare VARIANT,...]
//     --events N   read events of the purged organisation (or PMO_BENCH_EVENTS; default
//                  1000000)
//     --compare    extra runs of this purge with other settings, each on its own copy, in
//                  the same run (not judged, printed with their ratios): nobackoff (no
//                  load monitor, no back-off), target=MS (batch duration), cap=N (batch
//                  size cap); combine with '+': nobackoff+target=300
// Needs PMO_TEST_DATABASE_URL (bench/run_purge_bench.sh starts a throwaway cluster).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "db/purge/purge.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"

using namespace pmo;
using namespace pmo::testing;
using Clock = std::chrono::steady_clock;

namespace {

const char* kOrg = "BenchCorp";
constexpr int kRetainDays = 30;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Latency {
  double p50 = 0, p99 = 0, max = 0;
  size_t count = 0;
};

struct Figures {
  std::string name;
  long long deleted = 0;
  double seconds = 0, longestBatch = 0;
  long long walBytes = 0;
  Latency reads, writes;
  long long batches = 0, backoffs = 0;
  double backoffSeconds = 0;
  std::string backoffReason;
  double setupSeconds = 0, finishSeconds = 0;  // this purge: before its first and after its last batch
  double rate() const { return seconds > 0 ? deleted / seconds : 0; }
};

Latency latency(std::vector<double> v) {
  Latency l;
  l.count = v.size();
  if (v.empty()) return l;
  std::sort(v.begin(), v.end());
  auto at = [&v](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(static_cast<double>(v.size()) * q))]; };
  l.p50 = at(0.5);
  l.p99 = at(0.99);
  l.max = v.back();
  return l;
}

// Phase's app traffic during the purge, at a FIXED rate like a real instance (not a tight
// loop, which would slow down exactly when the database does and hide the damage):
// kReadsPerSecond reads of the 50 most recent events of an environment of the purged
// organisation, kWritesPerSecond inserts of a new tagged event there (its rows share pages
// with the rows being purged). Each operation is due at a fixed time; its latency counts
// from when it was due (a late start is part of what a user waits), and only operations
// due between the purge's start and its end are counted.
constexpr int kReadsPerSecond = 70, kWritesPerSecond = 30;

class Traffic {
 public:
  Traffic(const ScratchDatabase& db, const std::string& env) {
    reader_ = std::thread([&db, env, this] {
      auto c = db.connect();
      run(kReadsPerSecond, reads_, [&] {
        pqxx::nontransaction tx(*c);
        tx.exec_params("SELECT id, event_type, \"timestamp\" FROM api_secretevent WHERE environment_id = $1 "
                       "ORDER BY \"timestamp\" DESC LIMIT 50", env);
      });
    });
    writer_ = std::thread([&db, env, this] {
      auto c = db.connect();
      run(kWritesPerSecond, writes_, [&] {
        pqxx::work tx(*c);
        insertEvent(tx, env, 'R', "now()", true);
        tx.commit();
      });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // steady before the purge starts
  }
  ~Traffic() { stop(); }  // on an exception in the variant: stop, then let it propagate
  void finish(Figures& f, Clock::time_point from, Clock::time_point to) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the operations due at the end complete
    stop();
    f.reads = latency(within(reads_, from, to));
    f.writes = latency(within(writes_, from, to));
  }

 private:
  struct Sample {
    Clock::time_point due;
    double ms;
  };
  template <typename Op>
  void run(int perSecond, std::vector<Sample>& out, Op op) {
    const auto period = std::chrono::microseconds(1000000 / perSecond);
    auto due = Clock::now();
    while (!stop_) {
      std::this_thread::sleep_until(due);
      op();
      out.push_back({due, std::chrono::duration<double, std::milli>(Clock::now() - due).count()});
      due += period;
    }
  }
  static std::vector<double> within(const std::vector<Sample>& v, Clock::time_point from, Clock::time_point to) {
    std::vector<double> out;
    for (const auto& s : v)
      if (s.due >= from && s.due <= to) out.push_back(s.ms);
    return out;
  }
  void stop() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }
  std::atomic<bool> stop_{false};
  std::vector<Sample> reads_, writes_;
  std::thread reader_, writer_;
};

long long walLsn(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  return tx.exec1("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")[0].as<long long>();
}

std::string envArray(const GeneratedOrg& org) {
  std::string a = "{";
  for (const auto& app : org.environmentIds)
    for (const auto& e : app) a += (a.size() > 1 ? "," : "") + e;
  return a + "}";
}

// (a) Phase's purge_app_logs at sleep 0, as phase-facts.md describes it.
// All three use the same cutoff, fixed when the data was generated, so they delete the
// same rows however long each takes.
std::int64_t gNowMicros = 0;
std::string cutoffSql() {
  return "(TIMESTAMPTZ 'epoch' + " + std::to_string(gNowMicros - std::int64_t{kRetainDays} * 86400 * 1000000) +
         "::bigint * INTERVAL '1 microsecond')";
}

void phaseAlgorithm(pqxx::connection& c, const GeneratedOrg& org, Figures& f) {
  std::string cutoff;
  {
    pqxx::nontransaction tx(c);
    cutoff = tx.exec1("SELECT " + cutoffSql() + "::text")[0].as<std::string>();
  }
  for (const auto& app : org.environmentIds) {
    for (const auto& env : app) {
      for (;;) {
        const auto t = Clock::now();
        pqxx::work tx(c);
        const pqxx::result ids = tx.exec_params(
            "SELECT id FROM api_secretevent WHERE environment_id = $1 AND event_type = 'R' AND \"timestamp\" <= $2::timestamptz "
            "ORDER BY \"timestamp\" LIMIT 10000 FOR UPDATE SKIP LOCKED", env, cutoff);
        if (ids.empty()) {
          tx.commit();
          break;
        }
        std::string list = "{";
        for (const auto& r : ids) list += (list.size() > 1 ? "," : "") + r[0].as<std::string>();
        list += "}";
        tx.exec_params("DELETE FROM api_secretevent_tags WHERE secretevent_id = ANY($1::text[])", list);
        const pqxx::result d = tx.exec_params("DELETE FROM api_secretevent WHERE id = ANY($1::text[])", list);
        tx.commit();
        f.deleted += d.affected_rows();
        f.batches += 1;
        f.longestBatch = std::max(f.longestBatch, since(t));
      }
    }
  }
}

// (c) The ceiling: one unbatched DELETE (tags, then events) in one transaction.
void singleDelete(pqxx::connection& c, const GeneratedOrg& org, Figures& f) {
  const auto t = Clock::now();
  pqxx::work tx(c);
  const std::string scope = "environment_id = ANY('" + envArray(org) + "'::text[]) AND event_type = 'R' AND \"timestamp\" <= "
                            + cutoffSql();
  tx.exec("DELETE FROM api_secretevent_tags WHERE secretevent_id IN (SELECT id FROM api_secretevent WHERE " + scope + ")");
  f.deleted = tx.exec("DELETE FROM api_secretevent WHERE " + scope).affected_rows();
  tx.commit();
  f.batches = 1;
  f.longestBatch = since(t);
}

// "rowlocks+target=300" -> options of this purge with those settings.
db::PurgeOptions purgeOptions(const std::string& variant) {
  db::PurgeOptions o;
  o.organisation = kOrg;
  o.retainDays = kRetainDays;
  o.nowMicrosOverride = gNowMicros;
  size_t start = 0;
  while (start < variant.size()) {
    size_t end = variant.find('+', start);
    if (end == std::string::npos) end = variant.size();
    const std::string item = variant.substr(start, end - start);
    if (item == "nobackoff") {
      o.backOffUnderLoad = false;
    } else if (item.rfind("target=", 0) == 0) {
      o.targetBatchDuration = std::chrono::milliseconds(std::stol(item.substr(7)));
    } else if (item.rfind("cap=", 0) == 0) {
      o.batchSizeCap = std::stol(item.substr(4));
    } else if (!item.empty()) {
      throw std::invalid_argument("unknown --compare variant \"" + item + "\"");
    }
    start = end + 1;
  }
  return o;
}

Figures runVariant(const std::string& templateDb, const GeneratedOrg& org, const std::string& name,
                   const std::string& variant = "") {
  auto db = ScratchDatabase::copyOf(templateDb, "purgebench_run");
  Figures f;
  f.name = name;
  auto c = db->connect();
  {
    pqxx::nontransaction tx(*c);
    tx.exec("VACUUM ANALYZE api_secretevent");
    tx.exec("CHECKPOINT");
  }
  const long long wal0 = walLsn(*c);
  Traffic traffic(*db, org.environmentIds[0][0]);
  const auto t = Clock::now();
  if (name == "phase") {
    phaseAlgorithm(*c, org, f);
  } else if (name == "single DELETE") {
    singleDelete(*c, org, f);
  } else {
    double firstBatchEnd = -1, lastBatchEnd = 0;
    const db::PurgeResult r = db::runPurge(db->params(), purgeOptions(variant), [&](const db::PurgeProgress& p) {
      if (firstBatchEnd < 0) firstBatchEnd = p.elapsedSeconds;
      lastBatchEnd = p.elapsedSeconds;
    });
    f.setupSeconds = std::max(0.0, firstBatchEnd);
    f.finishSeconds = r.durationSeconds - lastBatchEnd;
    f.deleted = r.deleted;
    f.batches = r.batches;
    f.backoffs = r.backoffs;
    f.backoffSeconds = r.backoffSeconds;
    f.backoffReason = r.backoffReason;
    f.longestBatch = r.longestBatchSeconds;
  }
  f.seconds = since(t);
  traffic.finish(f, t, Clock::now());
  f.walBytes = walLsn(*c) - wal0;
  {
    // Autovacuum started by committed deletes competes for the CPU during a batched run;
    // the single DELETE commits at its end, so its cleanup falls after the measurement.
    pqxx::nontransaction tx(*c);
    const pqxx::row av = tx.exec1("SELECT autovacuum_count, autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'api_secretevent'");
    std::printf("  %-14s autovacuum runs on api_secretevent during the run: %lld (autoanalyze %lld)\n", f.name.c_str(),
                av[0].as<long long>(), av[1].as<long long>());
  }
  if (f.setupSeconds > 0)
    std::printf("  %-14s scope, counts and first batch %.2f s; after the last batch (final count, sweep) %.2f s\n", f.name.c_str(),
                f.setupSeconds, f.finishSeconds);
  if (f.backoffs > 0)
    std::printf("  %-14s backed off %lld times, %.2f s in all (last: %s)\n", f.name.c_str(), f.backoffs, f.backoffSeconds,
                f.backoffReason.c_str());
  std::printf("  %-14s %9lld rows %7.2f s %9.0f rows/s  WAL %7.1f MB  batches %5lld  longest %6.3f s\n", f.name.c_str(), f.deleted,
              f.seconds, f.rate(), f.walBytes / 1e6, f.batches, f.longestBatch);
  std::printf("  %-14s reads  (%zu) p50 %6.2f  p99 %7.2f  max %7.2f ms;  writes (%zu) p50 %6.2f  p99 %7.2f  max %7.2f ms\n",
              f.name.c_str(), f.reads.count, f.reads.p50, f.reads.p99, f.reads.max, f.writes.count, f.writes.p50, f.writes.p99,
              f.writes.max);
  std::fflush(stdout);
  return f;
}

bool check(const char* what, bool ok, const std::string& detail) {
  std::printf("  %-4s %-52s %s\n", ok ? "PASS" : "FAIL", what, detail.c_str());
  return ok;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  long events = 1000000;
  std::vector<std::string> compare;
  if (const char* e = std::getenv("PMO_BENCH_EVENTS")) events = std::atol(e);
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--events") events = std::atol(argv[i + 1]);
    if (std::string(argv[i]) == "--compare") {
      std::string list = argv[i + 1];
      for (size_t a = 0, b; a <= list.size(); a = b + 1) {
        b = list.find(',', a);
        if (b == std::string::npos) b = list.size();
        if (b > a) compare.push_back(list.substr(a, b - a));
      }
    }
  }
  try {
    for (const auto& v : compare) purgeOptions(v);  // an unknown variant fails before the long generation
  } catch (const std::exception& e) {
    std::cerr << "purge_bench: " << e.what() << "\n";
    return 2;
  }
  if (events < 1000) {
    std::cerr << "purge_bench: --events must be at least 1000\n";
    return 2;
  }
  try {
    std::printf("purge benchmark: %ld read events of %s over 120 days in 12 environments, retain %d days; traffic %d reads/s + %d "
                "writes/s\n", events, kOrg, kRetainDays, kReadsPerSecond, kWritesPerSecond);
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {  // the machine is shared: say how busy it was
      char buf[64] = {0};
      if (std::fgets(buf, sizeof buf, f)) std::printf("  load average at start: %s", buf);
      std::fclose(f);
    }
    ScratchDatabase tpl("purgebench_tpl");
    DataSpec spec;
    spec.days = 120;
    spec.organisations = {{kOrg, 3, 4, events, events / 10},
                          {"Other One", 2, 3, events / 4, events / 20},
                          {"Other Two", 2, 2, events / 4, events / 20}};
    const auto g0 = Clock::now();
    std::vector<GeneratedOrg> orgs;
    {
      auto c = tpl.connect();
      orgs = generatePhaseData(*c, spec);
    }
    std::printf("  generated %lld events, %lld tag rows, %.0f MB (table + indexes) in %.0f s\n",
                tpl.scalar("SELECT count(*) FROM api_secretevent"), tpl.scalar("SELECT count(*) FROM api_secretevent_tags"),
                tpl.scalar("SELECT pg_total_relation_size('api_secretevent')") / 1e6, since(g0));
    std::fflush(stdout);
    gNowMicros = tpl.scalar("SELECT (extract(epoch FROM now()) * 1000000)::bigint");
    const Figures phase = runVariant(tpl.name(), orgs[0], "phase");
    const Figures ours = runVariant(tpl.name(), orgs[0], "this purge");
    const Figures single = runVariant(tpl.name(), orgs[0], "single DELETE");
    std::vector<Figures> extra;
    for (const auto& v : compare) extra.push_back(runVariant(tpl.name(), orgs[0], v, v));
    const double vsPhase = ours.rate() / phase.rate(), vsSingle = ours.rate() / single.rate();
    const double walRatio = static_cast<double>(ours.walBytes) / single.walBytes;
    std::printf("ratios: purge/phase rows/s %.2fx, purge/single DELETE rows/s %.2f, WAL purge/single %.2fx, WAL phase/single %.2fx\n",
                vsPhase, vsSingle, walRatio, static_cast<double>(phase.walBytes) / single.walBytes);
    std::printf("traffic p99 vs Phase's: reads %.2fx, writes %.2fx; vs the single DELETE's: reads %.2fx, writes %.2fx\n",
                ours.reads.p99 / phase.reads.p99, ours.writes.p99 / phase.writes.p99, ours.reads.p99 / single.reads.p99,
                ours.writes.p99 / single.writes.p99);
    for (const auto& f : extra)
      std::printf("ratios of %s: /phase rows/s %.2fx, /single DELETE rows/s %.2f, WAL /single %.2fx, longest %.3f s, read p99 %.2f ms, "
                  "write p99 %.2f ms\n",
                  f.name.c_str(), f.rate() / phase.rate(), f.rate() / single.rate(), static_cast<double>(f.walBytes) / single.walBytes,
                  f.longestBatch, f.reads.p99, f.writes.p99);
    bool ok = true;
    ok &= check("rows/s >= 2x Phase's (sleep 0)", vsPhase >= 2.0, fmt(vsPhase) + "x");
    ok &= check("rows/s >= 80% of the single DELETE's", vsSingle >= 0.8, fmt(vsSingle * 100) + "%");
    ok &= check("WAL <= 1.5x the single DELETE's", walRatio <= 1.5, fmt(walRatio) + "x");
    ok &= check("longest batch < 1 s", ours.longestBatch < 1.0, fmt(ours.longestBatch) + " s");
    ok &= check("read p99 no worse than under Phase's (+10% +1 ms noise)", ours.reads.p99 <= phase.reads.p99 * 1.1 + 1.0,
                fmt(ours.reads.p99) + " ms vs " + fmt(phase.reads.p99) + " ms");
    ok &= check("write p99 no worse than under Phase's (+10% +1 ms noise)", ours.writes.p99 <= phase.writes.p99 * 1.1 + 1.0,
                fmt(ours.writes.p99) + " ms vs " + fmt(phase.writes.p99) + " ms");
    ok &= check("same rows deleted by all three", phase.deleted == ours.deleted && ours.deleted == single.deleted,
                std::to_string(phase.deleted) + " / " + std::to_string(ours.deleted) + " / " + std::to_string(single.deleted));
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "purge_bench: " << e.what() << "\n";
    return 1;
  }
}
