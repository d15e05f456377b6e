// The start count beside the first batches (internal.hpp StartCount).
#include "db/purge/internal.hpp"
#include "db/purge/statements.hpp"
#include "db/session.hpp"

namespace pmo::db::purge_detail {

StartCount::StartCount(const ConnectionParams& params, const PurgeOptions& options, const Scope& scope,
                       std::int64_t cutoffMicros) {
  using CountTx = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;
  std::shared_ptr<pqxx::connection> conn;
  std::shared_ptr<CountTx> tx;
  try {
    ConnectionParams p = params;
    p.applicationName = params.applicationName.empty() ? "pmo-purge-count" : params.applicationName + "-count";
    conn = connect(p);
    pqxx::nontransaction(*conn).exec(sessionSetupSql(options.lockTimeout.count(), options.statementTimeout.count()));
    tx = std::make_shared<CountTx>(*conn);
    tx->exec("SELECT 1");  // REPEATABLE READ: the snapshot is taken here, before any batch
  } catch (...) {
    tx.reset();
    conn.reset();
    done_ = true;  // no count: the caller falls back
    return;
  }
  thread_ = std::thread([this, conn, tx, scope = Scope(scope), cutoffMicros]() mutable {
    try {
      Counts c;
      c.matching = countMatching(*tx, scope, cutoffMicros);
      c.environments = scope.environments;
      tx->commit();
      counts_ = std::move(c);
    } catch (...) {
      counts_.reset();
    }
    tx.reset();
    conn.reset();
    done_ = true;
  });
}

StartCount::~StartCount() {
  if (thread_.joinable()) thread_.join();
}

bool StartCount::ready() const { return done_; }

const std::optional<StartCount::Counts>& StartCount::result() {
  if (!joined_ && thread_.joinable()) thread_.join();
  joined_ = true;
  return counts_;
}

}  // namespace pmo::db::purge_detail
