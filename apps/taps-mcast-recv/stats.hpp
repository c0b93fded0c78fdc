// Per-sender counters of taps-mcast-recv: figures per interval (--interval) and over the
// sender's life, as rows for people and as event fields. Pure: datagrams and times in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/event_log.hpp"
#include "taps-mcast-recv/jitter.hpp"
#include "taps-mcast-recv/sequence.hpp"

namespace taps_mcast_recv {

using Clock = std::chrono::steady_clock;

// What one row says. `start`/`end` are seconds since the receiver joined.
struct Figures {
  double start = 0, end = 0;
  std::uint64_t packets = 0, bytes = 0;
  double pps = 0, bits_per_second = 0;
  bool has_seq = false;
  std::uint64_t lost = 0, reordered = 0, duplicates = 0;
  double jitter_ms = 0;
};

class SenderStats {
 public:
  // `origin`: when the receiver joined; rows count seconds from there.
  SenderStats(std::string sender, std::string group, SeqFormat seq, Clock::time_point origin);

  // One datagram's payload, arrived at `now` (`realtime_ns`: the same instant on the
  // wall clock, for the send times in the payload). False for an iperf2 end marker.
  bool on_datagram(std::span<const std::uint8_t> payload, Clock::time_point now, std::int64_t realtime_ns);

  const std::string& sender() const noexcept { return sender_; }
  const std::string& group() const noexcept { return group_; }
  std::uint64_t packets() const noexcept { return packets_; }
  Clock::time_point last_arrival() const noexcept { return last_; }

  // The figures since the previous call (or since `from` the first time) up to `to`:
  // counts of that interval only, rate over its length.
  Figures interval(Clock::time_point from, Clock::time_point to);
  // The whole life: every count, the rate from the first datagram to the last
  // (none for a single datagram: one arrival has no rate).
  Figures total() const;

 private:
  std::string sender_, group_;
  SeqFormat seq_;
  Clock::time_point origin_;
  std::optional<SequenceTracker> tracker_;
  Jitter jitter_;
  std::optional<Clock::time_point> first_;
  Clock::time_point last_;
  std::uint64_t packets_ = 0, bytes_ = 0;
  // The counts at the end of the previous interval.
  std::uint64_t mark_packets_ = 0, mark_bytes_ = 0, mark_lost_ = 0, mark_reordered_ = 0, mark_duplicates_ = 0;
};

// "9.60 Mbit/s", "850 kbit/s", "1.20 Gbit/s".
std::string scaled_bits(double bits_per_second);

// One row for people: "[ 1.0- 2.0 s] 10.99.0.1:4000 > 232.1.1.1:5001  1000 pkts ...";
// `summary` marks the final row.
std::string row_text(const std::string& sender, const std::string& group, const Figures& f, bool summary);
// The fields of an "interval", "summary" or "stats" event.
taps::apps::EventFields row_fields(const std::string& sender, const std::string& group, const Figures& f,
                                   bool with_times);

}  // namespace taps_mcast_recv
