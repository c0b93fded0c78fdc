// POSIX signals delivered as events on a Context's event loop (SIGINT and SIGTERM for
// an orderly end, SIGCHLD to reap children), instead of in a signal handler.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>

#include "taps/context.hpp"

namespace taps {

class SignalWatch {
 public:
  // Calls `on_signal(signo)` on the loop thread each time one of `signals` arrives,
  // until cancel() or destruction. The signals are caught from now on (their default
  // action, such as ending the process, no longer happens) and restored to it when
  // no SignalWatch watches them any more.
  SignalWatch(Context& ctx, std::initializer_list<int> signals, std::function<void(int)> on_signal);
  // Must happen before the Context goes.
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // No more calls; the function is destroyed later on the loop thread.
  void cancel();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace taps
