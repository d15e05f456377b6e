#pragma once
// Throwaway PostgreSQL databases for *_pgtest.cpp tests and the benchmarks.
//
// The server comes from PMO_TEST_DATABASE_URL (scripts/pg.sh or .ci/run start one on
// loopback). When it is unset every helper here throws, so the test FAILS with a message
// saying how to start one: a PostgreSQL test never skips.
//
// Each ScratchDatabase is a new, uniquely named database (CREATE DATABASE), loaded with
// tests/fixtures/phase_schema.sql or copied from a template, and dropped (WITH FORCE)
// when the object goes away, so suites never see each other's rows.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/secret.hpp"
#include "db/connection.hpp"

namespace pmo::testing {

// Parameters of the server's maintenance database (the one named in the URL).
// Throws std::runtime_error when PMO_TEST_DATABASE_URL is unset or malformed.
db::ConnectionParams adminParams();

// Path of tests/fixtures/phase_schema.sql in the source tree.
std::string phaseSchemaPath();

// postgres://user:password@host:port/dbname for `params` (percent-encoded): a Secret,
// because it carries the password. For handing to the binary under test.
Secret databaseUrl(const db::ConnectionParams& params);

// The binary refuses a password inside --database-url (any process can read a command
// line); it takes the password as a CronJob hands it over, in DATABASE_PASSWORD. Moves the
// password of each --database-url argument of `args` into `env`, leaving the URL without it.
void movePasswordToEnv(std::vector<std::string>& args, std::map<std::string, std::string>& env);

class ScratchDatabase {
 public:
  enum class Contents { PhaseSchema, Empty };
  // A fresh database named pmo_<label>_<pid>_<n>, with Phase's schema (default) or empty.
  explicit ScratchDatabase(const std::string& label, Contents contents = Contents::PhaseSchema);
  // A copy of `templateDb` (CREATE DATABASE ... TEMPLATE): every byte of it, cheaply.
  static std::unique_ptr<ScratchDatabase> copyOf(const std::string& templateDb, const std::string& label);
  ~ScratchDatabase();  // drops the database; never throws
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const db::ConnectionParams& params() const { return params_; }
  Secret url() const { return databaseUrl(params_); }
  std::unique_ptr<pqxx::connection> connect() const;

  // Runs SQL (several statements allowed) in one transaction.
  void exec(const std::string& sql) const;
  // The first column of the first row of `sql`, as a number (count(*) and the like).
  long long scalar(const std::string& sql) const;
  // Keeps the database after destruction (for a template others copy). Dropped by dropNow().
  void keep() { keep_ = true; }

 private:
  struct FromTemplate {};
  ScratchDatabase(FromTemplate, const std::string& templateDb, const std::string& label);
  void create(const std::string& templateDb);
  std::string name_;
  db::ConnectionParams params_;
  bool keep_ = false;
};

// DROP DATABASE IF EXISTS name WITH (FORCE) on the test server.
void dropDatabase(const std::string& name);

}  // namespace pmo::testing
