#pragma once
// Sizes the purge's batches. A batch covers a span of an ordered space: heap blocks in
// the physical pass, microseconds of the timeline in the sweep. The pacer widens or
// narrows the next span so that a batch takes about the target duration.
//
// Guarantees (unit tested, tests/unit/purge_pacer_test.cpp):
//  * the first span aims at kFirstBatchRows rows (or the row cap if smaller), from the
//    caller's hint of how many rows lie in how much span;
//  * a span grows at most kMaxGrowth times per batch, and only while batches are faster
//    than the target; after a batch slower than the target the next span shrinks at
//    once in proportion (no smoothing delays the correction);
//  * it never plans more rows than the cap at the measured density, and never grows a
//    span that stopped at the cap;
//  * spans stay within [1, maxSpan].
// Pure and header-only (no database, no clock): time and counts come in as numbers.
#include <algorithm>
#include <cstdint>

namespace pmo::db {

class PurgePacer {
 public:
  static constexpr long kFirstBatchRows = 1000;  // small first step: measure before going big
  static constexpr double kMaxGrowth = 4.0;

  // `rowsHint` rows are expected over `spanHint` units; `maxSpan` bounds every span.
  PurgePacer(double targetMs, long rowCap, long long rowsHint, std::int64_t spanHint, std::int64_t maxSpan)
      : targetMs_(std::max(1.0, targetMs)), rowCap_(std::max(1L, rowCap)), maxSpan_(std::max<std::int64_t>(1, maxSpan)) {
    if (rowsHint > 0 && spanHint > 0) density_ = static_cast<double>(rowsHint) / static_cast<double>(spanHint);
    const double rows = std::min<double>(kFirstBatchRows, rowCap_);
    span_ = density_ > 0 ? clampSpan(rows / density_) : maxSpan_;
  }

  std::int64_t nextSpan() const { return span_; }
  long rowCap() const { return rowCap_; }
  double targetMs() const { return targetMs_; }

  // Feedback from a finished batch: the span it covered, the rows it removed, whether it
  // stopped at the row cap, and how long it took.
  void observe(std::int64_t span, long rows, bool hitCap, double elapsedMs) {
    span = std::max<std::int64_t>(1, span);
    elapsedMs = std::max(elapsedMs, 0.1);
    const double speed = static_cast<double>(span) / elapsedMs;  // span units per ms
    // Too slow: believe this batch alone. Fast enough: smooth out the noise.
    speed_ = (speed_ <= 0 || elapsedMs > targetMs_) ? speed : 0.5 * speed_ + 0.5 * speed;
    if (rows > 0 && !hitCap) {
      const double d = static_cast<double>(rows) / static_cast<double>(span);
      density_ = density_ <= 0 ? d : 0.5 * density_ + 0.5 * d;
    }
    double wanted = speed_ * targetMs_;
    if (elapsedMs <= targetMs_) wanted = std::min(wanted, kMaxGrowth * static_cast<double>(span));
    if (density_ > 0) wanted = std::min(wanted, static_cast<double>(rowCap_) / density_);
    if (hitCap) wanted = std::min(wanted, static_cast<double>(span));
    span_ = clampSpan(wanted);
  }

  // The last batch hit the statement timeout: a quarter of the span next time.
  void observeTimeout() { span_ = clampSpan(static_cast<double>(span_) / 4.0); }

 private:
  std::int64_t clampSpan(double s) const {
    if (!(s >= 1.0)) return 1;
    if (s >= static_cast<double>(maxSpan_)) return maxSpan_;
    return static_cast<std::int64_t>(s);
  }
  double targetMs_;
  long rowCap_;
  std::int64_t maxSpan_;
  double speed_ = 0;    // span units per ms, smoothed
  double density_ = 0;  // rows per span unit, smoothed
  std::int64_t span_ = 1;
};

}  // namespace pmo::db
