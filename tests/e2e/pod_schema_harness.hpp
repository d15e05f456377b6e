#pragma once
// The promise of issue 11, checked for a whole scenario: no pod of a Phase version newer than
// the database schema is ever Ready. A PodSchemaCheck watches every pod of the namespace from
// its construction to its destruction (re-watching from the last resourceVersion when a
// stream ends); for each pod event it compares the version of each Phase container (an
// image of one of `repositories`, resolved as the sandbox's registry resolves it) with the
// schema the sandbox had at that event's resourceVersion (Controls::schemaVersionAt, exact,
// no race). A Ready pod whose version is newer than that schema, or cannot be compared with
// it, is a violation; the destructor (or finish()) fails the test with each one.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {

class PodSchemaCheck {
 public:
  PodSchemaCheck(OperatorHarness& h, std::string ns, std::vector<std::string> repositories);
  ~PodSchemaCheck();
  PodSchemaCheck(const PodSchemaCheck&) = delete;
  PodSchemaCheck& operator=(const PodSchemaCheck&) = delete;

  // Stops watching and adds a test failure per violation; idempotent.
  void finish();
  std::vector<std::string> violations() const;
  // How many Ready pod events of Phase containers were judged (a check that saw none proves nothing).
  long readyPodsSeen() const { return readySeen_; }

 private:
  void run();
  void judge(const Json& pod);
  OperatorHarness& h_;
  std::string ns_;
  std::vector<std::string> repositories_;
  std::atomic<bool> stop_{false};
  std::atomic<long> readySeen_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> violations_;
  std::unique_ptr<kube::WatchStream> stream_;  // guarded by mutex_ (cancel from finish)
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace pmo::testing
