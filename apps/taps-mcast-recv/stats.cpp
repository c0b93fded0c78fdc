#include "taps-mcast-recv/stats.hpp"

#include <fmt/format.h>

#include "common/seq_payload.hpp"

namespace taps_mcast_recv {
namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

SenderStats::SenderStats(std::string sender, std::string group, SeqFormat seq, Clock::time_point origin)
    : sender_(std::move(sender)), group_(std::move(group)), seq_(seq), origin_(origin), last_(origin) {
  if (seq != SeqFormat::none) tracker_.emplace(seq != SeqFormat::u64);
}

bool SenderStats::on_datagram(std::span<const std::uint8_t> payload, Clock::time_point now, std::int64_t realtime_ns) {
  if (tracker_) {
    auto field = read_sequence(seq_, payload);
    if (field && field->end_marker) return false;
    if (field) tracker_->on_sequence(field->value);
  }
  auto arrival_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - origin_).count();
  auto sent_ns = taps::apps::read_send_time(seq_, payload);
  // A send time on the wall clock against an arrival on the steady clock: only their
  // differences matter, so both are taken relative to the same instant.
  if (sent_ns) *sent_ns -= realtime_ns - arrival_ns;
  jitter_.on_datagram(arrival_ns, sent_ns);
  if (!first_) first_ = now;
  ++packets_;
  bytes_ += payload.size();
  last_ = now;
  return true;
}

Figures SenderStats::interval(Clock::time_point from, Clock::time_point to) {
  Figures f;
  f.start = seconds_between(origin_, from);
  f.end = seconds_between(origin_, to);
  f.packets = packets_ - mark_packets_;
  f.bytes = bytes_ - mark_bytes_;
  double seconds = seconds_between(from, to);
  if (seconds > 0) {
    f.pps = static_cast<double>(f.packets) / seconds;
    f.bits_per_second = static_cast<double>(f.bytes) * 8 / seconds;
  }
  f.jitter_ms = jitter_.jitter_ns() / 1e6;
  mark_packets_ = packets_;
  mark_bytes_ = bytes_;
  if (tracker_) {
    f.has_seq = true;
    f.lost = tracker_->lost() >= mark_lost_ ? tracker_->lost() - mark_lost_ : 0;
    f.reordered = tracker_->reordered() - mark_reordered_;
    f.duplicates = tracker_->duplicates() - mark_duplicates_;
    mark_lost_ = tracker_->lost();
    mark_reordered_ = tracker_->reordered();
    mark_duplicates_ = tracker_->duplicates();
  }
  return f;
}

Figures SenderStats::total() const {
  Figures f;
  f.start = first_ ? seconds_between(origin_, *first_) : 0;
  f.end = seconds_between(origin_, last_);
  f.packets = packets_;
  f.bytes = bytes_;
  double seconds = first_ ? seconds_between(*first_, last_) : 0;
  if (packets_ > 1 && seconds > 0) {
    // n datagrams span n - 1 gaps: that is the rate the sender sent at.
    f.pps = static_cast<double>(packets_ - 1) / seconds;
    f.bits_per_second = f.pps * static_cast<double>(bytes_) / static_cast<double>(packets_) * 8;
  }
  f.jitter_ms = jitter_.jitter_ns() / 1e6;
  if (tracker_) {
    f.has_seq = true;
    f.lost = tracker_->lost();
    f.reordered = tracker_->reordered();
    f.duplicates = tracker_->duplicates();
  }
  return f;
}

std::string scaled_bits(double bps) {
  if (bps >= 1e9) return fmt::format("{:.2f} Gbit/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.2f} Mbit/s", bps / 1e6);
  if (bps >= 1e3) return fmt::format("{:.1f} kbit/s", bps / 1e3);
  return fmt::format("{:.0f} bit/s", bps);
}

std::string row_text(const std::string& sender, const std::string& group, const Figures& f, bool summary) {
  std::string line = fmt::format("[{:6.1f}-{:6.1f} s] {} > {}: {} pkts, {} bytes", f.start, f.end, sender, group,
                                 f.packets, f.bytes);
  if (f.pps > 0 || !summary) line += fmt::format(", {:.0f} pps, {}", f.pps, scaled_bits(f.bits_per_second));
  if (f.has_seq) {
    auto expected = f.packets + f.lost;
    double percent = expected ? 100.0 * static_cast<double>(f.lost) / static_cast<double>(expected) : 0;
    line += fmt::format(", lost {} ({:.2f} %), reordered {}, dup {}", f.lost, percent, f.reordered, f.duplicates);
  }
  line += fmt::format(", jitter {:.3f} ms", f.jitter_ms);
  if (summary) line += " (summary)";
  return line;
}

taps::apps::EventFields row_fields(const std::string& sender, const std::string& group, const Figures& f,
                                   bool with_times) {
  taps::apps::EventFields fields = {{"sender", sender}, {"group", group}};
  if (with_times) {
    fields.emplace_back("start", f.start);
    fields.emplace_back("end", f.end);
  }
  fields.emplace_back("packets", static_cast<std::int64_t>(f.packets));
  fields.emplace_back("bytes", static_cast<std::int64_t>(f.bytes));
  fields.emplace_back("pps", f.pps);
  fields.emplace_back("mbps", f.bits_per_second / 1e6);
  if (f.has_seq) {
    fields.emplace_back("lost", static_cast<std::int64_t>(f.lost));
    fields.emplace_back("reordered", static_cast<std::int64_t>(f.reordered));
    fields.emplace_back("duplicates", static_cast<std::int64_t>(f.duplicates));
  }
  fields.emplace_back("jitter_ms", f.jitter_ms);
  return fields;
}

}  // namespace taps_mcast_recv
