// SIGINT and SIGTERM for every tool: the first asks for an orderly end (final
// statistics, flush what already arrived); if that is not done within the grace time,
// or a second signal comes, the tool stops at once. A blocked stdout can delay an
// orderly end for ever; it can never delay the stop.
#pragma once

#include <chrono>
#include <functional>

#include "taps/context.hpp"
#include "taps/signal_watch.hpp"
#include "taps/timer.hpp"

namespace taps::apps {

class StopSignals {
 public:
  static constexpr std::chrono::seconds default_grace{2};

  // `orderly(signo)`: begin the orderly end. `now(signo)`: stop at once (typically
  // Context::stop() with exit code 128 + signo).
  StopSignals(taps::Context& ctx, std::function<void(int)> orderly, std::function<void(int)> now,
              std::chrono::milliseconds grace = default_grace);

  // The tool is ending by itself (its exit code is decided) but still flushing: a signal
  // from now on skips the orderly part and starts the grace time.
  void ending();
  int signal() const noexcept { return signal_; }

 private:
  void arrived(int signo);
  void force(int signo);

  taps::SignalWatch signals_;
  taps::Timer grace_timer_;
  std::function<void(int)> orderly_, now_;
  std::chrono::milliseconds grace_;
  int signal_ = 0;
  bool ending_ = false;
};

}  // namespace taps::apps
