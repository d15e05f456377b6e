// TLS to a real PostgreSQL with ssl=on (scripts/pg.sh `pg_start --tls`: a CA, a server
// certificate for 127.0.0.1 and a client certificate, all made by openssl for the run):
// verify-full with the right CA connects, with a wrong CA fails naming the CA and the fix,
// and a role that logs in by certificate only gets in with its client certificate alone.
#include <cstdlib>

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "controller/database_tls_files.hpp"
#include "db/session.hpp"
#include "support/fake_client.hpp"
#include "support/pg_fixture.hpp"
#include "support/process.hpp"

namespace pmo::testing {
namespace {

// The role pg.sh's pg_hba admits by client certificate (CN pmo_cert_user) only.
constexpr const char* kCertUser = "pmo_cert_user";

class TlsPg : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("PMO_PG_TLS_DIR");
    ASSERT_TRUE(dir && *dir) << "PMO_PG_TLS_DIR is not set: these tests need PostgreSQL with TLS. Start it with "
                                "`source scripts/pg.sh && pg_start --tls /tmp/pmo-pg` (scripts/test.sh does)";
    tls_ = dir;
    admin_ = adminParams();
    ASSERT_EQ(admin_.host, "127.0.0.1") << "the server certificate names 127.0.0.1 and localhost";
  }
  db::ConnectionParams verifyFull(const std::string& ca) const {
    db::ConnectionParams p = admin_;
    p.sslMode = "verify-full";
    p.sslRootCert = tls_ + "/" + ca;
    return p;
  }
  static bool sslInUse(pqxx::connection& conn) {
    pqxx::work tx(conn);
    return tx.exec1("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].as<bool>();
  }
  void ensureCertUser() {
    auto conn = db::connect(admin_);
    pqxx::nontransaction tx(*conn);
    tx.exec(std::string("DO $$ BEGIN CREATE ROLE ") + kCertUser +
            " LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  }
  std::string tls_;
  db::ConnectionParams admin_;
};

TEST_F(TlsPg, VerifyFullWithTheCaThatSignedTheServerConnectsOverTls) {
  auto conn = db::connect(verifyFull("ca.crt"));
  EXPECT_TRUE(sslInUse(*conn));
}

TEST_F(TlsPg, VerifyFullWithAWrongCaFailsNamingTheCaAndTheFixNotThePassword) {
  const db::ConnectionParams p = verifyFull("wrong-ca.crt");
  try {
    db::connect(p);
    FAIL() << "a server certificate the CA did not sign was accepted";
  } catch (const db::DbError& e) {
    const std::string m = e.what();
    EXPECT_FALSE(e.transient()) << "no retry fixes a wrong CA: " << m;
    EXPECT_NE(m.find("sslrootcert \"" + p.sslRootCert + "\""), std::string::npos) << m;
    EXPECT_NE(m.find("verify-full"), std::string::npos) << m;
    EXPECT_NE(m.find("Fix: give the CA that signed the server's certificate"), std::string::npos) << m;
    EXPECT_EQ(m.find(p.password.reveal()), std::string::npos) << m;
  }
}

TEST_F(TlsPg, TheCliReadsPhasesCaPathAndRefusesAWrongCa) {
  ScratchDatabase db("tls");
  const std::map<std::string, std::string> phaseEnv = {
      {"DATABASE_HOST", admin_.host},           {"DATABASE_PORT", std::to_string(admin_.port)},
      {"DATABASE_NAME", db.name()},         {"DATABASE_USER", admin_.user},
      {"DATABASE_PASSWORD", admin_.password.reveal()}, {"DATABASE_SSL", "TRUE"}};
  auto withCa = [&](const std::string& ca) {
    auto env = phaseEnv;
    env["DATABASE_SSL_CA_PATH"] = tls_ + "/" + ca;
    return run({PMO_OPERATOR_BINARY, "stats", "--output", "json"}, env);
  };
  const RunResult wrong = withCa("wrong-ca.crt");
  EXPECT_EQ(wrong.exitCode, 1) << wrong.err;
  EXPECT_NE(wrong.err.find("sslrootcert \"" + tls_ + "/wrong-ca.crt\""), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find(admin_.password.reveal()), std::string::npos) << wrong.err;
  const RunResult right = withCa("ca.crt");
  EXPECT_EQ(right.exitCode, 0) << right.err;
}

TEST_F(TlsPg, MutualTlsLogsInWithTheClientCertificateAndNotWithoutIt) {
  ensureCertUser();
  db::ConnectionParams p = verifyFull("ca.crt");
  p.user = kCertUser;
  p.password = Secret();
  p.dbname = "postgres";
  p.sslCert = tls_ + "/client.crt";
  p.sslKey = tls_ + "/client.key";
  {
    auto conn = db::connect(p);
    pqxx::work tx(*conn);
    EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), kCertUser);
    EXPECT_TRUE(tx.exec1("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].as<bool>());
  }
  p.sslCert = tls_ + "/no-such-client.crt";  // libpq then sends no certificate
  p.sslKey = tls_ + "/no-such-client.key";
  try {
    db::connect(p);
    FAIL() << "logged in by certificate without a certificate";
  } catch (const db::DbError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.kind(), db::ErrorKind::Auth) << m;
    EXPECT_NE(m.find("client certificate"), std::string::npos) << m;
    EXPECT_NE(m.find("Fix:"), std::string::npos) << m;
  }
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The operator's own recoveries: spec.database.tls read from the API (a ConfigMap's CA, a
// kubernetes.io/tls Secret) and handed to libpq as in-memory files.
TEST_F(TlsPg, TheOperatorsOwnConnectionTakesTheCaAndClientCertificateFromTheApi) {
  ensureCertUser();
  FakeClient api;
  api.create(kube::resources::kConfigMaps, "phase",
             {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "phase-db-ca"}, {"namespace", "phase"}}},
              {"data", {{"ca.crt", readFile(tls_ + "/ca.crt")}}}});
  api.create(kube::resources::kSecrets, "phase",
             {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "kubernetes.io/tls"},
              {"metadata", {{"name", "phase-db-client"}, {"namespace", "phase"}}},
              {"data", {{"tls.crt", base64(readFile(tls_ + "/client.crt"))},
                        {"tls.key", base64(readFile(tls_ + "/client.key"))}}}});
  maintenance::DatabaseTlsSpec tls;
  tls.caGiven = true;
  tls.caConfigMap = maintenance::SecretKeyRef{"phase-db-ca", "ca.crt"};
  tls.clientCertSecret = "phase-db-client";
  db::ConnectionParams p = admin_;
  p.user = kCertUser;
  p.password = Secret();
  p.dbname = "postgres";
  p.sslMode = "verify-full";
  ASSERT_EQ(controller::loadDatabaseTls(api, "phase", tls, p), std::nullopt);
  EXPECT_EQ(p.sslKey.rfind("/proc/self/fd/", 0), 0u) << "in memory, not on disk: " << p.sslKey;
  {
    auto conn = db::connect(p);
    pqxx::work tx(*conn);
    EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), kCertUser);
  }
  tls.caConfigMap->name = "no-such-ca";
  db::ConnectionParams q = admin_;
  const auto why = controller::loadDatabaseTls(api, "phase", tls, q);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("ConfigMap phase/no-such-ca has no key \"ca.crt\": fix spec.database.tls.ca.configMapKeyRef"),
            std::string::npos)
      << *why;
}

}  // namespace
}  // namespace pmo::testing
