#pragma once
// Where Postgres is and how to reach it, from Phase's own environment variables or a URL.
// Pure: no libpqxx here, so the CLI and the reconciler can build parameters without it.
#include <map>
#include <optional>
#include <string>

#include "common/secret.hpp"

namespace pmo::db {

struct ConnectionParams {
  std::string host = "localhost";
  int port = 5432;
  std::string dbname;
  std::string user;
  Secret password;
  std::string sslMode = "prefer";
  int connectTimeoutSeconds = 10;
  std::string applicationName = "phase-maintenance-operator";

  // libpq keyword/value string with the password included: hand it to libpq only.
  Secret libpqConnectionString() const;
  // "user@host:port/dbname": safe for logs and messages.
  std::string describe() const;
};

// Reads DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD and
// DATABASE_SSL (true: sslmode=require; otherwise prefer), as Phase does. `env` maps
// names to values (tests pass their own). Throws std::invalid_argument naming the
// variable when one is missing or malformed.
ConnectionParams paramsFromEnv(const std::map<std::string, std::string>& env);
ConnectionParams paramsFromProcessEnv();

// postgres://user:password@host:port/dbname?sslmode=...  (percent-decoding applied).
// Throws std::invalid_argument with a message that never contains the password.
ConnectionParams paramsFromUrl(const std::string& url);

}  // namespace pmo::db
