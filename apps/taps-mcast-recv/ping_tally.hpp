// The accounting of `taps-mcast-recv --ping`: which probe was sent when, which answers
// came back (by unicast, by multicast, with which hop limit), and when a probe is done:
// both answers are in, or it waited `wait`. Done probes come out in sequence order, so
// that each gets one line. Pure: times in, results out (tested with made-up times).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace taps_mcast_recv {

struct ProbeResult {
  std::uint32_t seq = 0;
  std::optional<double> unicast_rtt_ms;
  std::optional<double> multicast_rtt_ms;
  int hop_limit_sent = -1;      // what the responder sent the multicast answer with
  int hop_limit_received = -1;  // what it arrived with
  // Routers between the responder and here: the hop limit the multicast answer lost.
  std::optional<int> hops() const;
};

struct RttFigures {
  std::uint64_t answered = 0;
  double min_ms = 0, avg_ms = 0, max_ms = 0;
};

struct PingSummary {
  std::uint64_t probes = 0;  // probes done (each answered or waited for)
  RttFigures unicast, multicast;
  std::optional<int> hops;           // of the last multicast answer
  std::uint64_t late_or_duplicate = 0;  // answers to probes already done, or twice
};

enum class PingVerdict {
  multicast_answered,  // at least one multicast answer: the path works
  unicast_only,        // the responder answers, its multicast does not arrive
  no_answer,           // nothing came back
};

class PingTally {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PingTally(Clock::duration wait) : wait_(wait) {}

  // A new probe sent at `now`: its sequence number (1, 2, ...).
  std::uint32_t send(Clock::time_point now);
  void on_unicast(std::uint32_t seq, Clock::time_point now);
  void on_multicast(std::uint32_t seq, Clock::time_point now, int hop_limit_sent, int hop_limit_received);

  // The probes done by `now` (all of them with `everything`), oldest first; each once.
  std::vector<ProbeResult> conclude(Clock::time_point now, bool everything = false);
  // When the oldest probe still open is done by waiting; nullopt when none is open.
  std::optional<Clock::time_point> next_deadline() const;
  std::size_t open() const noexcept { return open_.size(); }

  const PingSummary& summary() const noexcept { return summary_; }
  PingVerdict verdict() const noexcept;

 private:
  struct Open {
    Clock::time_point sent;
    ProbeResult result;
  };
  Open* find(std::uint32_t seq);
  static void add(RttFigures& f, double ms);

  Clock::duration wait_;
  std::uint32_t next_seq_ = 1;
  std::deque<Open> open_;
  PingSummary summary_;
};

}  // namespace taps_mcast_recv
