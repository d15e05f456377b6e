#pragma once
// Where Postgres is and how to reach it, from Phase's own environment variables or a URL.
// Pure: no libpqxx here, so the CLI and the reconciler can build parameters without it.
#include <functional>
#include <map>
#include <memory>
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
  // TLS files, given to libpq as sslrootcert / sslcert / sslkey; empty: libpq's defaults
  // (its PGSSLROOTCERT, PGSSLCERT, PGSSLKEY variables, else ~/.postgresql/).
  std::string sslRootCert;  // the CA bundle that verify-ca / verify-full check the server against
  std::string sslCert;      // client certificate (mutual TLS)
  std::string sslKey;       // its private key: 0600, or 0640 owned by root, or libpq refuses it
  // Keeps in-memory files the paths above name alive as long as a copy of these parameters.
  std::shared_ptr<const void> tlsFiles;
  int connectTimeoutSeconds = 10;
  std::string applicationName = "phase-maintenance-operator";

  // libpq keyword/value string with the password included: hand it to libpq only.
  Secret libpqConnectionString() const;
  // "user@host:port/dbname": safe for logs and messages.
  std::string describe() const;
};

// Reads a file whole; nullopt when it does not exist or cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
std::optional<std::string> readWholeFile(const std::string& path);

// A secret file's content as Phase's get_secret keeps it: surrounding whitespace stripped.
std::string secretFromFileContent(const std::string& content);

// Phase's get_secret(NAME): the file named by NAME_FILE when that variable is set and the
// file can be read (its content stripped of surrounding whitespace), else NAME; nullopt
// when neither gives a value.
std::optional<std::string> phaseSecret(const std::map<std::string, std::string>& env, const std::string& name,
                                       const FileReader& readFile = readWholeFile);

// Phase's boolean settings: the value lower-cased equals "true" ("TRUE" and "True" are
// true; "1", "yes" and " true" are not).
bool phaseBoolean(const std::map<std::string, std::string>& env, const std::string& name);

// The connection settings exactly as Phase's settings module reads them:
//   DATABASE_HOST, DATABASE_NAME, DATABASE_USER (required here), DATABASE_PORT (default 5432);
//   the password through phaseSecret("DATABASE_PASSWORD"), so DATABASE_PASSWORD_FILE wins;
//   DATABASE_SSL true: sslmode=require, or verify-full with sslrootcert=DATABASE_SSL_CA_PATH
//   when that is set (Phase reads the CA path only when DATABASE_SSL is true);
//   otherwise Phase sets no sslmode and libpq's own PGSSLMODE applies, else prefer.
// `env` maps names to values (tests pass their own). Throws std::invalid_argument naming
// the variable when one is missing or malformed; no message contains the password.
ConnectionParams paramsFromEnv(const std::map<std::string, std::string>& env,
                               const FileReader& readFile = readWholeFile);
ConnectionParams paramsFromProcessEnv();
std::map<std::string, std::string> processEnvironment();

// postgres://user:password@host:port/dbname?sslmode=...  (percent-decoding applied).
// Throws std::invalid_argument with a message that never contains the password.
ConnectionParams paramsFromUrl(const std::string& url);

}  // namespace pmo::db
