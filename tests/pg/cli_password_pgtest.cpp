// The CLI takes the database password from the environment or a file, never from argv:
// against the real server each way logs in, and a wrong password from a file is refused
// without being printed.
#include <fstream>

#include <gtest/gtest.h>

#include "support/pg_fixture.hpp"
#include "support/process.hpp"

namespace pmo::testing {
namespace {

class CliPasswordPg : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchDatabase>("clipw");
    params_ = db_->params();
    password_ = params_.password.reveal();
    db::ConnectionParams withoutPassword = params_;
    withoutPassword.password = Secret();
    url_ = databaseUrl(withoutPassword).reveal();
  }
  std::string writeFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  RunResult stats(std::vector<std::string> extra, const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv = {PMO_OPERATOR_BINARY, "stats", "--output", "json",
                                     "--database-url", url_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, env);
  }
  std::unique_ptr<ScratchDatabase> db_;
  db::ConnectionParams params_;
  std::string password_, url_;
  TempDir dir_;
};

TEST_F(CliPasswordPg, LogsInWithThePasswordFromDatabasePassword) {
  const RunResult r = stats({}, {{"DATABASE_PASSWORD", password_}});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(CliPasswordPg, LogsInWithThePasswordFileAsPhaseReadsIt) {
  const std::string file = writeFile("password", password_ + "\n");  // stripped, as get_secret does
  const RunResult r = stats({}, {{"DATABASE_PASSWORD_FILE", file}, {"DATABASE_PASSWORD", "not-this-one"}});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  const RunResult flag = stats({"--database-password-file", file}, {{"DATABASE_PASSWORD", "not-this-one"}});
  EXPECT_EQ(flag.exitCode, 0) << flag.err;
}

TEST_F(CliPasswordPg, AWrongPasswordFromAFileFailsWithoutPrintingIt) {
  const std::string wrong = "wrong-password-from-a-file";
  const RunResult r = stats({"--database-password-file", writeFile("wrong", wrong)}, {});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(wrong), std::string::npos) << r.out;
}

}  // namespace
}  // namespace pmo::testing
