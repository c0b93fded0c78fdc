// A timer on a Context's event loop: one-shot (after a duration or at a time point) or
// periodic. Its function runs on the loop thread, never from inside the call that
// started it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "taps/context.hpp"

namespace taps {

class Timer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Timer(Context& ctx);
  // Cancels what is pending. Must happen before the Context goes.
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Calls `fn` once, `after` from now or at `at` (at once, posted, when that is past).
  // Replaces what was pending: a replaced function is never called.
  void start(Clock::duration after, std::function<void()> fn);
  void start_at(Clock::time_point at, std::function<void()> fn);
  // Calls `fn` every `period` from now until cancel(). The schedule does not drift: a
  // late call does not delay the next ones; calls missed while the loop was busy
  // are skipped, not caught up.
  void start_periodic(Clock::duration period, std::function<void()> fn);
  // The pending function is not called any more (even when its time has just come).
  // Safe when nothing is pending and from inside the function. The function itself is
  // destroyed later on the loop thread, never inside this call, so it may hold the
  // last reference to the Timer's owner.
  void cancel();
  // A function is waiting to be called.
  bool pending() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace taps
