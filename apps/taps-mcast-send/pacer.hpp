// When the datagrams of a paced stream are due. Pure: time in, counts out, so that the
// rate accounting is unit-tested with a fake clock. The schedule is absolute (datagram
// n is due at start + n / rate): a late timer is made up by a larger batch, not lost.
#pragma once

#include <chrono>
#include <cstdint>

namespace taps_mcast_send {

using Clock = std::chrono::steady_clock;

class Pacer {
 public:
  Pacer(double packets_per_second, Clock::time_point start);

  // Datagrams due by `now` and not yet released.
  std::uint64_t due(Clock::time_point now) const;
  void release(std::uint64_t n) { released_ += n; }
  std::uint64_t released() const noexcept { return released_; }

  // How often to look: one datagram per wakeup at low rates; at high rates a few dozen
  // per wakeup (a batch for sendmmsg), but at least every millisecond, so that bursts
  // stay small for the receivers' buffers.
  Clock::duration tick() const;
  // When datagram number `released()` is due.
  Clock::time_point next_due() const;

 private:
  double rate_;
  Clock::time_point start_;
  std::uint64_t released_ = 0;
};

}  // namespace taps_mcast_send
