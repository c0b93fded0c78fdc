#include "common/stop_signals.hpp"

#include <csignal>

namespace taps::apps {

StopSignals::StopSignals(taps::Context& ctx, std::function<void(int)> orderly, std::function<void(int)> now,
                         std::chrono::milliseconds grace)
    : signals_(ctx, {SIGINT, SIGTERM}, [this](int signo) { arrived(signo); }),
      grace_timer_(ctx),
      orderly_(std::move(orderly)),
      now_(std::move(now)),
      grace_(grace) {}

void StopSignals::ending() { ending_ = true; }

void StopSignals::arrived(int signo) {
  if (signal_ != 0) {
    force(signo);
    return;
  }
  signal_ = signo;
  grace_timer_.start(grace_, [this, signo] { force(signo); });
  if (!ending_ && orderly_) orderly_(signo);
}

void StopSignals::force(int signo) {
  grace_timer_.cancel();
  signals_.cancel();
  if (now_) now_(signo);
}

}  // namespace taps::apps
