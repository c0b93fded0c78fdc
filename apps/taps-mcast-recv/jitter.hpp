// Interarrival jitter. With send times in the payload (--seq u32|u64|iperf2) it is
// RFC 3550 section 6.4.1's: D(i,j) = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16.
// Without them, D is the change of the interarrival time between successive datagrams,
// smoothed the same way. Pure: times in (ns), jitter out.
#pragma once

#include <cstdint>
#include <optional>

namespace taps_mcast_recv {

class Jitter {
 public:
  // A datagram that arrived at `arrival_ns`, sent at `send_ns` when the payload says.
  void on_datagram(std::int64_t arrival_ns, std::optional<std::int64_t> send_ns);
  // Nanoseconds; 0 until two datagrams (three without send times) have arrived.
  double jitter_ns() const noexcept { return jitter_; }

 private:
  std::optional<std::int64_t> last_arrival_, last_send_, last_gap_;
  double jitter_ = 0;
};

}  // namespace taps_mcast_recv
