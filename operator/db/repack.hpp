#pragma once
// The pg_repack client as a child process: how it is found, what it is told, and how it
// runs. pg_repack rebuilds a table online (a copy kept in step by a trigger, then a swap)
// and needs the `pg_repack` extension in the database.
//
// Guarantees:
// - The password never appears on the child's command line (visible to every local
//   process): connection settings go through the child's libpq environment (PGHOST,
//   PGPASSWORD, ...), which replace inherited variables of the same names; other libpq
//   variables (PGSSLROOTCERT, ...) reach it as they reach this process's own connections.
// - The child never cancels or terminates other sessions (--no-kill-backend): when its
//   brief exclusive lock is not granted within --wait-timeout it gives up on the table and
//   drops its copy, changing nothing.
// - Its output reaches the caller line by line, with the password redacted should it
//   ever appear.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace pmo::db {

inline constexpr const char* kRepackMissingFix = "install the pg_repack extension or use method Full";

// The client's arguments for one table: no ordering (a compaction like VACUUM FULL, not a
// CLUSTER), waits for its locks at most `lockTimeout` (whole seconds, at least 1), never
// kills other sessions, never prompts for a password, skips its client-side superuser
// check (managed services grant the rights without superuser; the server still checks).
std::vector<std::string> repackArguments(const std::string& table, std::chrono::milliseconds lockTimeout);

// The child's libpq environment for `params`: PGHOST, PGPORT, PGDATABASE, PGUSER,
// PGPASSWORD (only when set), PGSSLMODE, PGCONNECT_TIMEOUT, PGAPPNAME.
std::map<std::string, std::string> repackEnvironment(const ConnectionParams& params);

// `requested` when set (must be an executable file), else pg_repack on `path` (a
// PATH-style list), else in /usr/lib/postgresql/<major>/bin. Throws DbError (Permanent)
// naming the fix when there is none.
std::string findRepackClient(const std::string& requested, const std::string& path);

struct ChildResult {
  int exitCode = -1;   // 128 + signal when killed by one
  std::string output;  // stdout and stderr, interleaved, redacted
};

// Runs `binary` with `args` and the parent's environment with `env` set over it; forwards each output line to `onLine`. Occurrences of `redact` (when
// non-empty) in the output are replaced by "[redacted]".
ChildResult runChild(const std::string& binary, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, const std::string& redact,
                     const std::function<void(const std::string&)>& onLine);

}  // namespace pmo::db
