// Per-sender counters of taps-mcast-recv and the "stats" event they make.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/event_log.hpp"
#include "taps-mcast-recv/sequence.hpp"

namespace taps_mcast_recv {

using Clock = std::chrono::steady_clock;

class SenderStats {
 public:
  SenderStats(std::string sender, SeqFormat seq, Clock::time_point first);

  // One datagram's payload. False for an iperf2 end marker, which is not data.
  bool on_datagram(std::span<const std::uint8_t> payload, Clock::time_point now);

  const std::string& sender() const noexcept { return sender_; }
  std::uint64_t packets() const noexcept { return packets_; }

  // The "stats" event fields. `since_last`: rates over the time since the previous
  // call (periodic stats); else over the sender's whole life, first to last datagram.
  taps::apps::EventFields fields(Clock::time_point now, bool since_last);
  // One line for people.
  std::string text(Clock::time_point now, bool since_last);

 private:
  struct Rates {
    double pps, mbps;
  };
  Rates rates(Clock::time_point now, bool since_last);

  std::string sender_;
  SeqFormat seq_;
  std::optional<SequenceTracker> tracker_;
  Clock::time_point first_, last_;
  std::uint64_t packets_ = 0, bytes_ = 0;
  Clock::time_point mark_;  // the previous periodic report
  std::uint64_t mark_packets_ = 0, mark_bytes_ = 0;
};

}  // namespace taps_mcast_recv
