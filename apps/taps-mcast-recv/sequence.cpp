#include "taps-mcast-recv/sequence.hpp"

namespace taps_mcast_recv {

std::optional<SeqField> read_sequence(SeqFormat format, std::span<const std::uint8_t> payload) {
  std::size_t width = format == SeqFormat::u64 ? 8 : 4;
  if (format == SeqFormat::none || payload.size() < width) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | payload[i];
  SeqField field{v, false};
  if (format == SeqFormat::iperf2 && (v & 0x80000000u)) field.end_marker = true;
  return field;
}

SequenceTracker::SequenceTracker(bool wraps32) : wraps32_(wraps32), bits_(window) {}

// A 32-bit number is taken as the nearest 64-bit value to the highest seen, so that
// wrapping (and late arrivals across a wrap) keep counting correctly.
std::uint64_t SequenceTracker::unwrap(std::uint64_t seq) const {
  if (!wraps32_) return seq;
  auto delta = static_cast<std::int32_t>(static_cast<std::uint32_t>(seq) - static_cast<std::uint32_t>(highest_));
  return highest_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

void SequenceTracker::on_sequence(std::uint64_t raw) {
  if (!started_) {
    started_ = true;
    // Leave room below the first number for late arrivals before it.
    first_ = highest_ = wraps32_ ? raw + (std::uint64_t{1} << 32) : raw;
    mark(highest_);
    return;
  }
  std::uint64_t s = unwrap(raw);
  if (s > highest_) {
    std::uint64_t gap = s - highest_ - 1;
    lost_ += gap;
    // Forget the numbers that slide out of the window, and the skipped ones.
    for (std::uint64_t n = highest_ + 1; n <= s && n - highest_ <= window; ++n) bits_[n % window] = false;
    highest_ = s;
    mark(s);
    return;
  }
  if (highest_ - s >= window) {
    // Too old to know whether it was seen: a late arrival is the likelier story.
    ++reordered_;
    if (lost_ > 0) --lost_;
    return;
  }
  if (seen(s)) {
    ++duplicates_;
    return;
  }
  mark(s);
  ++reordered_;
  if (s < first_) return;  // before the first number: never counted as lost
  if (lost_ > 0) --lost_;
}

}  // namespace taps_mcast_recv
