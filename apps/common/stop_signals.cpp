#include "common/stop_signals.hpp"

#include <csignal>

namespace taps::apps {

StopSignals::StopSignals(asio::io_context& io, std::function<void(int)> orderly, std::function<void(int)> now,
                         std::chrono::milliseconds grace)
    : signals_(io, SIGINT, SIGTERM), grace_timer_(io), orderly_(std::move(orderly)), now_(std::move(now)), grace_(grace) {
  wait();
}

void StopSignals::ending() { ending_ = true; }

void StopSignals::wait() {
  signals_.async_wait([this](std::error_code ec, int signo) {
    if (ec) return;
    if (signal_ != 0) {
      force(signo);
      return;
    }
    signal_ = signo;
    wait();
    grace_timer_.expires_after(grace_);
    grace_timer_.async_wait([this, signo](std::error_code ec) {
      if (!ec) force(signo);
    });
    if (!ending_ && orderly_) orderly_(signo);
  });
}

void StopSignals::force(int signo) {
  grace_timer_.cancel();
  signals_.cancel();
  if (now_) now_(signo);
}

}  // namespace taps::apps
