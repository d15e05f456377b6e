#include "db/purge_pacer.hpp"

#include <algorithm>
#include <cmath>

namespace pmo::db {
namespace {
constexpr long kFirstBatchRows = 1000;  // small first step: measure before going big
constexpr std::int64_t kMaxWindow = std::int64_t{400} * 24 * 3600 * 1000000;  // 400 days
}  // namespace

PurgePacer::PurgePacer(double targetMs, long rowCap, long long rowsHint, std::int64_t spanMicros)
    : targetMs_(std::max(1.0, targetMs)), rowCap_(std::max(1L, rowCap)) {
  if (rowsHint > 0 && spanMicros > 0) rowsPerMicro_ = static_cast<double>(rowsHint) / static_cast<double>(spanMicros);
  const double rows = std::min<double>(kFirstBatchRows, rowCap_);
  window_ = rowsPerMicro_ > 0 ? static_cast<std::int64_t>(rows / rowsPerMicro_) : kMaxWindow;
  window_ = std::clamp<std::int64_t>(window_, 1, kMaxWindow);
}

void PurgePacer::observe(std::int64_t windowMicros, long rows, bool hitCap, double elapsedMs) {
  elapsedMs = std::max(elapsedMs, 0.1);
  if (rows > 0) {
    const double rate = rows / elapsedMs;
    rowsPerMs_ = rowsPerMs_ <= 0 ? rate : 0.5 * rowsPerMs_ + 0.5 * rate;
    if (!hitCap && windowMicros > 0) {
      const double density = static_cast<double>(rows) / static_cast<double>(windowMicros);
      rowsPerMicro_ = rowsPerMicro_ <= 0 ? density : 0.5 * rowsPerMicro_ + 0.5 * density;
    }
  }
  std::int64_t next;
  if (rows == 0) {
    next = windowMicros * 4;  // an empty stretch of timeline: step over it quickly
  } else {
    // Rows that fit the target at the measured speed, within the cap, at most 2x more
    // than this batch (grow gently) and never below a tenth of it when it was too slow.
    double wanted = std::min<double>(rowsPerMs_ * targetMs_, rowCap_);
    wanted = std::min(wanted, 2.0 * rows + 1);
    if (elapsedMs > targetMs_) wanted = std::max(std::min(wanted, rows * targetMs_ / elapsedMs), rows / 10.0);
    const double density = rowsPerMicro_ > 0 ? rowsPerMicro_ : static_cast<double>(rows) / std::max<std::int64_t>(1, windowMicros);
    next = static_cast<std::int64_t>(std::max(1.0, wanted) / density);
    if (hitCap) next = std::min(next, windowMicros);
  }
  window_ = std::clamp<std::int64_t>(next, 1, kMaxWindow);
}

}  // namespace pmo::db
