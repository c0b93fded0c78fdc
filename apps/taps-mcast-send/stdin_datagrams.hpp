// --from-stdin: what becomes a datagram. Each read is one (at most `max` bytes), or with
// --lines each line without its newline; a line longer than `max` leaves in pieces of
// `max`, so that nothing waits in memory for a newline that may never come. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace taps_mcast_send {

class StdinDatagrams {
 public:
  StdinDatagrams(std::size_t max, bool lines) : max_(max), lines_(lines) {}

  void feed(std::span<const std::uint8_t> bytes);
  // End of input: a last line without a newline is a datagram too.
  void finish();

  std::deque<std::vector<std::uint8_t>>& ready() noexcept { return ready_; }
  // Lines cut because they were longer than `max`.
  std::uint64_t cut_lines() const noexcept { return cut_; }

 private:
  std::size_t max_;
  bool lines_;
  std::vector<std::uint8_t> partial_;
  bool cutting_ = false;  // the current line was already cut once
  std::uint64_t cut_ = 0;
  std::deque<std::vector<std::uint8_t>> ready_;
};

}  // namespace taps_mcast_send
