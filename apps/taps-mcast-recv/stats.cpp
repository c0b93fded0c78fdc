#include "taps-mcast-recv/stats.hpp"

#include <fmt/format.h>

namespace taps_mcast_recv {

SenderStats::SenderStats(std::string sender, SeqFormat seq, Clock::time_point first)
    : sender_(std::move(sender)), seq_(seq), first_(first), last_(first), mark_(first) {
  if (seq != SeqFormat::none) tracker_.emplace(seq != SeqFormat::u64);
}

bool SenderStats::on_datagram(std::span<const std::uint8_t> payload, Clock::time_point now) {
  if (tracker_) {
    auto field = read_sequence(seq_, payload);
    if (field && field->end_marker) return false;
    if (field) tracker_->on_sequence(field->value);
  }
  ++packets_;
  bytes_ += payload.size();
  last_ = now;
  return true;
}

SenderStats::Rates SenderStats::rates(Clock::time_point now, bool since_last) {
  std::uint64_t packets = packets_, bytes = bytes_;
  Clock::time_point from = first_, to = last_;
  if (since_last) {
    packets -= mark_packets_;
    bytes -= mark_bytes_;
    from = mark_;
    to = now;
    mark_ = now;
    mark_packets_ = packets_;
    mark_bytes_ = bytes_;
  }
  double seconds = std::chrono::duration<double>(to - from).count();
  // One datagram, or all in one instant, has no rate to speak of.
  if (seconds <= 0) return {0, 0};
  return {static_cast<double>(packets) / seconds, static_cast<double>(bytes) * 8 / seconds / 1e6};
}

taps::apps::EventFields SenderStats::fields(Clock::time_point now, bool since_last) {
  auto r = rates(now, since_last);
  taps::apps::EventFields f = {{"sender", sender_},
                               {"packets", static_cast<std::int64_t>(packets_)},
                               {"bytes", static_cast<std::int64_t>(bytes_)},
                               {"pps", r.pps},
                               {"mbps", r.mbps}};
  if (tracker_) {
    f.emplace_back("lost", static_cast<std::int64_t>(tracker_->lost()));
    f.emplace_back("reordered", static_cast<std::int64_t>(tracker_->reordered()));
    f.emplace_back("duplicates", static_cast<std::int64_t>(tracker_->duplicates()));
  }
  return f;
}

std::string SenderStats::text(Clock::time_point now, bool since_last) {
  auto r = rates(now, since_last);
  std::string line = fmt::format("{}: {} packets, {} bytes, {:.0f} pps, {:.3f} Mbit/s", sender_, packets_, bytes_,
                                 r.pps, r.mbps);
  if (tracker_) {
    auto expected = packets_ + tracker_->lost();
    double percent = expected ? 100.0 * static_cast<double>(tracker_->lost()) / static_cast<double>(expected) : 0;
    line += fmt::format(", lost {} ({:.2f} %), reordered {}, duplicates {}", tracker_->lost(), percent,
                        tracker_->reordered(), tracker_->duplicates());
  }
  return line;
}

}  // namespace taps_mcast_recv
