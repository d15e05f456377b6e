#pragma once
// Sizes the purge's batches. A batch is a window of the audit log's timeline
// [from, to) (microseconds); the pacer widens or narrows the next window so that a
// batch takes about the target duration, and never asks for more than the row cap.
// Pure: time and row counts come in as numbers, so it is tested without a database.
#include <cstdint>

namespace pmo::db {

class PurgePacer {
 public:
  // `rowsHint` / `spanMicros`: how many rows are expected over how much timeline, to
  // size the first window.
  PurgePacer(double targetMs, long rowCap, long long rowsHint, std::int64_t spanMicros);

  // Width of the next window in microseconds (>= 1).
  std::int64_t nextWindow() const { return window_; }
  long rowCap() const { return rowCap_; }

  // Feedback from a finished batch: the window it covered, the rows it removed, whether
  // it stopped at the row cap, and how long it took.
  void observe(std::int64_t windowMicros, long rows, bool hitCap, double elapsedMs);

 private:
  double targetMs_;
  long rowCap_;
  double rowsPerMs_ = 0;        // smoothed throughput
  double rowsPerMicro_ = 0;     // smoothed density of matching rows on the timeline
  std::int64_t window_ = 1;
};

}  // namespace pmo::db
