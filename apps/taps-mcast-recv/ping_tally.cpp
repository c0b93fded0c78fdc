#include "taps-mcast-recv/ping_tally.hpp"

#include <algorithm>

namespace taps_mcast_recv {
namespace {

double ms_between(PingTally::Clock::time_point from, PingTally::Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

std::optional<int> ProbeResult::hops() const {
  if (hop_limit_sent < 0 || hop_limit_received < 0 || hop_limit_received > hop_limit_sent) return std::nullopt;
  return hop_limit_sent - hop_limit_received;
}

std::uint32_t PingTally::send(Clock::time_point now) {
  auto seq = next_seq_++;
  open_.push_back({now, ProbeResult{seq, {}, {}, -1, -1}});
  return seq;
}

PingTally::Open* PingTally::find(std::uint32_t seq) {
  // Open probes are in sequence order without gaps: the index is the difference.
  if (open_.empty() || seq < open_.front().result.seq) return nullptr;
  auto index = seq - open_.front().result.seq;
  return index < open_.size() ? &open_[index] : nullptr;
}

void PingTally::on_unicast(std::uint32_t seq, Clock::time_point now) {
  auto* p = find(seq);
  if (!p || p->result.unicast_rtt_ms) {
    ++summary_.late_or_duplicate;
    return;
  }
  p->result.unicast_rtt_ms = ms_between(p->sent, now);
}

void PingTally::on_multicast(std::uint32_t seq, Clock::time_point now, int hop_limit_sent, int hop_limit_received) {
  auto* p = find(seq);
  if (!p || p->result.multicast_rtt_ms) {
    ++summary_.late_or_duplicate;
    return;
  }
  p->result.multicast_rtt_ms = ms_between(p->sent, now);
  p->result.hop_limit_sent = hop_limit_sent;
  p->result.hop_limit_received = hop_limit_received;
}

void PingTally::add(RttFigures& f, double ms) {
  f.min_ms = f.answered == 0 ? ms : std::min(f.min_ms, ms);
  f.max_ms = f.answered == 0 ? ms : std::max(f.max_ms, ms);
  f.avg_ms = (f.avg_ms * static_cast<double>(f.answered) + ms) / static_cast<double>(f.answered + 1);
  ++f.answered;
}

std::vector<ProbeResult> PingTally::conclude(Clock::time_point now, bool everything) {
  std::vector<ProbeResult> done;
  while (!open_.empty()) {
    const auto& p = open_.front();
    bool both = p.result.unicast_rtt_ms && p.result.multicast_rtt_ms;
    if (!both && !everything && now < p.sent + wait_) break;
    ++summary_.probes;
    if (p.result.unicast_rtt_ms) add(summary_.unicast, *p.result.unicast_rtt_ms);
    if (p.result.multicast_rtt_ms) {
      add(summary_.multicast, *p.result.multicast_rtt_ms);
      if (auto h = p.result.hops()) summary_.hops = h;
    }
    done.push_back(p.result);
    open_.pop_front();
  }
  return done;
}

std::optional<PingTally::Clock::time_point> PingTally::next_deadline() const {
  if (open_.empty()) return std::nullopt;
  return open_.front().sent + wait_;
}

PingVerdict PingTally::verdict() const noexcept {
  if (summary_.multicast.answered > 0) return PingVerdict::multicast_answered;
  if (summary_.unicast.answered > 0) return PingVerdict::unicast_only;
  return PingVerdict::no_answer;
}

}  // namespace taps_mcast_recv
