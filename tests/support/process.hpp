#pragma once
// Child processes for end-to-end tests: the real operator binary, kubectl. Output goes
// to a file so a test can read it while the process runs; the destructor kills what is
// still running, so a failing test leaves nothing behind.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pmo::testing {

class Process {
 public:
  // Starts argv[0] (a path, or a name looked up in PATH) with extra environment
  // variables; stdout and stderr both go to `logPath`.
  Process(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
          std::string logPath);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for the exit, up to `timeout`; returns the exit code, 128+signal when
  // killed, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  // Sends SIGKILL and reaps.
  void kill();
  std::string output() const;  // what it has written so far

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string logPath_;
};

struct RunResult {
  int exitCode = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a command to completion (bounded by `timeout`; killed after it), capturing
// stdout and stderr separately.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(60), const std::string& stdinText = "");

// run() with the password of a --database-url argument moved into DATABASE_PASSWORD, as the
// binary refuses it on a command line (pg_fixture.hpp movePasswordToEnv; defined there).
RunResult runCli(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Polls `condition` every `interval` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string readFile(const std::string& path);

}  // namespace pmo::testing
