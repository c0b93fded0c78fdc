#include "taps-mcast-recv/jitter.hpp"

#include <cmath>

namespace taps_mcast_recv {

void Jitter::on_datagram(std::int64_t arrival_ns, std::optional<std::int64_t> send_ns) {
  if (last_arrival_) {
    std::int64_t gap = arrival_ns - *last_arrival_;
    std::optional<std::int64_t> d;
    if (send_ns && last_send_) {
      d = gap - (*send_ns - *last_send_);
    } else if (!send_ns && last_gap_) {
      d = gap - *last_gap_;
    }
    if (d) jitter_ += (std::fabs(static_cast<double>(*d)) - jitter_) / 16;
    last_gap_ = gap;
  }
  last_arrival_ = arrival_ns;
  last_send_ = send_ns;
}

}  // namespace taps_mcast_recv
