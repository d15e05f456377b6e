// Connection settings read exactly as Phase reads them. Each case is taken from Phase's
// settings module (phasehq/console backend/backend/settings.py, DATABASES) and its
// get_secret helper (backend/backend/utils/secrets.py): what Django would hand to libpq
// for the same environment, we hand to libpq too.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "db/connection.hpp"

namespace pmo::db {
namespace {

using Env = std::map<std::string, std::string>;

Env base() {
  return {{"DATABASE_HOST", "db.internal"}, {"DATABASE_NAME", "phase_db"}, {"DATABASE_USER", "phase_api"}};
}

Env with(Env env, const Env& more) {
  for (const auto& [k, v] : more) env[k] = v;
  return env;
}

// A file in /tmp that removes itself.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/pmo-conn-test-XXXXXX";
    const int fd = ::mkstemp(name);
    path = name;
    ::close(fd);
    std::ofstream(path) << content;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

TEST(PhaseConnectionSettings, ReadsHostPortNameUserAndDefaultsPortTo5432) {
  const ConnectionParams p = paramsFromEnv(with(base(), {{"DATABASE_PASSWORD", "pw"}}));
  EXPECT_EQ(p.host, "db.internal");
  EXPECT_EQ(p.port, 5432);
  EXPECT_EQ(p.dbname, "phase_db");
  EXPECT_EQ(p.user, "phase_api");
  EXPECT_EQ(p.password.reveal(), "pw");
  EXPECT_EQ(paramsFromEnv(with(base(), {{"DATABASE_PORT", "6432"}})).port, 6432);
}

TEST(PhaseConnectionSettings, PasswordFileWinsOverThePasswordVariableAndIsStripped) {
  // get_secret: {key}_FILE first, read_text().strip(); Phase's chart mounts the password so.
  TempFile file("  from-the-file\n");
  const ConnectionParams p =
      paramsFromEnv(with(base(), {{"DATABASE_PASSWORD_FILE", file.path}, {"DATABASE_PASSWORD", "from-env"}}));
  EXPECT_EQ(p.password.reveal(), "from-the-file");
}

TEST(PhaseConnectionSettings, AMissingPasswordFileFallsBackToThePasswordVariable) {
  // get_secret: a path that does not exist (or cannot be read) falls through to os.getenv(key).
  const ConnectionParams p = paramsFromEnv(
      with(base(), {{"DATABASE_PASSWORD_FILE", "/nonexistent/pmo/password"}, {"DATABASE_PASSWORD", "from-env"}}));
  EXPECT_EQ(p.password.reveal(), "from-env");
  const ConnectionParams none = paramsFromEnv(with(base(), {{"DATABASE_PASSWORD_FILE", "/nonexistent/pmo/password"}}));
  EXPECT_TRUE(none.password.empty());
}

TEST(PhaseConnectionSettings, AnEmptyPasswordFileIsAnEmptyPasswordNotAFallback) {
  // get_secret returns the stripped content, "" included, once the file was read.
  TempFile file("\n");
  const ConnectionParams p =
      paramsFromEnv(with(base(), {{"DATABASE_PASSWORD_FILE", file.path}, {"DATABASE_PASSWORD", "from-env"}}));
  EXPECT_TRUE(p.password.empty());
}

TEST(PhaseConnectionSettings, OnlyThePasswordHasAFileVariant) {
  // settings.py reads DATABASE_USER/HOST/NAME with os.getenv, not get_secret.
  TempFile file("someone-else");
  const ConnectionParams p = paramsFromEnv(with(base(), {{"DATABASE_USER_FILE", file.path}}));
  EXPECT_EQ(p.user, "phase_api");
}

TEST(PhaseConnectionSettings, SslIsTrueOnlyWhenTheLowerCasedValueIsTrue) {
  // os.getenv("DATABASE_SSL", "False").lower() == "true"
  for (const char* yes : {"true", "TRUE", "True", "tRuE"})
    EXPECT_EQ(paramsFromEnv(with(base(), {{"DATABASE_SSL", yes}})).sslMode, "require") << yes;
  for (const char* no : {"1", "yes", "on", " true", "true ", "false", "False", ""})
    EXPECT_EQ(paramsFromEnv(with(base(), {{"DATABASE_SSL", no}})).sslMode, "prefer") << "\"" << no << "\"";
}

TEST(PhaseConnectionSettings, ACaPathWithSslMeansVerifyFullAgainstThatCa) {
  const ConnectionParams p =
      paramsFromEnv(with(base(), {{"DATABASE_SSL", "True"}, {"DATABASE_SSL_CA_PATH", "/etc/ssl/phase/ca.crt"}}));
  EXPECT_EQ(p.sslMode, "verify-full");
  EXPECT_EQ(p.sslRootCert, "/etc/ssl/phase/ca.crt");
  EXPECT_NE(p.libpqConnectionString().reveal().find("sslrootcert='/etc/ssl/phase/ca.crt'"), std::string::npos);
}

TEST(PhaseConnectionSettings, ACaPathWithoutSslIsIgnoredAsPhaseIgnoresIt) {
  // The OPTIONS holding sslrootcert exist only when DATABASE_SSL is true.
  const ConnectionParams p = paramsFromEnv(with(base(), {{"DATABASE_SSL_CA_PATH", "/etc/ssl/phase/ca.crt"}}));
  EXPECT_EQ(p.sslMode, "prefer");
  EXPECT_TRUE(p.sslRootCert.empty());
}

TEST(PhaseConnectionSettings, AnEmptyCaPathIsNoCa) {
  // `if os.getenv("DATABASE_SSL_CA_PATH")`: an empty string is false.
  const ConnectionParams p = paramsFromEnv(with(base(), {{"DATABASE_SSL", "true"}, {"DATABASE_SSL_CA_PATH", ""}}));
  EXPECT_EQ(p.sslMode, "require");
  EXPECT_TRUE(p.sslRootCert.empty());
}

TEST(PhaseConnectionSettings, PgSslModeAppliesOnlyWherePhaseSetsNoSslMode) {
  // Without DATABASE_SSL Phase passes no sslmode, so libpq's PGSSLMODE decides; with it,
  // Phase's explicit sslmode wins over the variable.
  EXPECT_EQ(paramsFromEnv(with(base(), {{"PGSSLMODE", "verify-ca"}})).sslMode, "verify-ca");
  EXPECT_EQ(paramsFromEnv(with(base(), {{"PGSSLMODE", "disable"}, {"DATABASE_SSL", "true"}})).sslMode, "require");
  EXPECT_THROW(paramsFromEnv(with(base(), {{"PGSSLMODE", "sometimes"}})), std::invalid_argument);
}

TEST(PhaseConnectionSettings, AMissingSettingIsNamedWithTheFileVariantInTheFix) {
  try {
    paramsFromEnv({{"DATABASE_HOST", "h"}, {"DATABASE_NAME", "n"}});
    FAIL() << "no DATABASE_USER accepted";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("DATABASE_USER is not set", 0), 0u) << m;
    EXPECT_NE(m.find("DATABASE_PASSWORD_FILE"), std::string::npos) << m;
  }
}

TEST(PhaseConnectionSettings, TlsFilesReachLibpqOnlyWhenGiven) {
  ConnectionParams p = paramsFromEnv(base());
  const std::string plain = p.libpqConnectionString().reveal();
  EXPECT_EQ(plain.find("sslrootcert"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("sslcert"), std::string::npos) << plain;
  p.sslCert = "/tls/tls.crt";
  p.sslKey = "/tls/tls.key";
  const std::string mtls = p.libpqConnectionString().reveal();
  EXPECT_NE(mtls.find("sslcert='/tls/tls.crt'"), std::string::npos) << mtls;
  EXPECT_NE(mtls.find("sslkey='/tls/tls.key'"), std::string::npos) << mtls;
}

}  // namespace
}  // namespace pmo::db
