#include "taps-mcast-send/pacer.hpp"

#include <algorithm>
#include <cmath>

namespace taps_mcast_send {
namespace {

constexpr double batch_target = 32;
constexpr auto min_tick = std::chrono::microseconds(100);
constexpr auto max_tick = std::chrono::milliseconds(1);

}  // namespace

Pacer::Pacer(double packets_per_second, Clock::time_point start) : rate_(packets_per_second), start_(start) {}

std::uint64_t Pacer::due(Clock::time_point now) const {
  if (now < start_) return 0;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  // Datagram 0 is due at start: n seconds in, floor(n * rate) + 1 are due.
  auto total = static_cast<std::uint64_t>(std::floor(elapsed * rate_)) + 1;
  return total > released_ ? total - released_ : 0;
}

Clock::duration Pacer::tick() const {
  auto per_packet = std::chrono::duration<double>(1.0 / rate_);
  if (per_packet >= max_tick) return std::chrono::duration_cast<Clock::duration>(per_packet);
  auto batch = std::chrono::duration_cast<Clock::duration>(per_packet * batch_target);
  return std::clamp<Clock::duration>(batch, min_tick, max_tick);
}

Clock::time_point Pacer::next_due() const {
  return start_ + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(released_) / rate_));
}

}  // namespace taps_mcast_send
