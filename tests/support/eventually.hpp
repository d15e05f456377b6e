#pragma once
// Bounded waiting for tests with background threads (informers, controllers, electors).
// eventually(): polls a predicate in real time, giving up after `timeout`.
// advanceUntil(): moves a FakeClock in small steps until a predicate holds. Use it instead
// of one big advance() when a background thread may not yet have started the wait the
// advance is meant to end (its deadline would then be computed after the advance).
#include <chrono>
#include <thread>

#include "runtime/clock.hpp"

namespace pmo::testing {

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// At most `maxSteps` steps of `step`, ~1 ms of real time apart.
template <typename Pred>
bool advanceUntil(runtime::FakeClock& clock, Pred pred,
                  runtime::Clock::Duration step = std::chrono::milliseconds(250), int maxSteps = 2000) {
  for (int i = 0; i < maxSteps && !pred(); ++i) {
    clock.advance(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

}  // namespace pmo::testing
