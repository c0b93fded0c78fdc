// Sequence-number accounting for one sender: loss, reordering and duplicates from the
// sequence numbers that payloads carry (--seq). Pure: numbers in, counters out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/seq_payload.hpp"

namespace taps_mcast_recv {

using SeqFormat = taps::apps::SeqFormat;

// The sequence number at the start of a payload (network byte order). iperf2's is a
// signed 32-bit number whose negative values mark the end of a test: `end_marker`.
struct SeqField {
  std::uint64_t value = 0;
  bool end_marker = false;
};
// nullopt when the payload is too short to hold one.
std::optional<SeqField> read_sequence(SeqFormat format, std::span<const std::uint8_t> payload);

class SequenceTracker {
 public:
  // `wraps32`: the numbers are 32-bit and wrap (u32, iperf2); else 64-bit.
  explicit SequenceTracker(bool wraps32);

  // One datagram's sequence number.
  void on_sequence(std::uint64_t seq);

  // Missing numbers between the first and the highest seen, less those that arrived late.
  std::uint64_t lost() const noexcept { return lost_; }
  std::uint64_t reordered() const noexcept { return reordered_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }

 private:
  // Numbers within this distance of the highest are remembered, to tell a late
  // arrival from a duplicate.
  static constexpr std::uint64_t window = 1 << 16;

  std::uint64_t unwrap(std::uint64_t seq) const;
  bool seen(std::uint64_t s) const { return bits_[s % window]; }
  void mark(std::uint64_t s) { bits_[s % window] = true; }

  bool wraps32_;
  bool started_ = false;
  std::uint64_t first_ = 0, highest_ = 0;  // unwrapped
  std::vector<bool> bits_;
  std::uint64_t lost_ = 0, reordered_ = 0, duplicates_ = 0;
};

}  // namespace taps_mcast_recv
