#include "ambi/replay_window.hpp"

#include <algorithm>
#include <bit>

namespace ambi {
namespace {

// How far `seq` lies ahead of `top` (negative: behind), RFC 1982 on 32 bits.
std::int64_t ahead_of(std::uint32_t seq, std::uint32_t top) { return static_cast<std::int32_t>(seq - top); }

}  // namespace

ReplayWindow::ReplayWindow(std::size_t size)
    : size_(std::bit_ceil(std::clamp<std::size_t>(size, 64, std::size_t{1} << 31))), bits_(size_ / 64) {}

ReplayWindow::Slot ReplayWindow::check(std::uint32_t seq) const {
  if (!top_) return Slot::fresh;
  auto ahead = ahead_of(seq, *top_);
  if (ahead > 0) return Slot::fresh;
  if (-ahead >= static_cast<std::int64_t>(size_)) return Slot::too_old;
  return test(seq) ? Slot::retired : Slot::fresh;
}

void ReplayWindow::learn(std::uint32_t seq) {
  if (!top_) {
    top_ = seq;
    return;
  }
  auto ahead = ahead_of(seq, *top_);
  if (ahead <= 0) return;
  if (ahead >= static_cast<std::int64_t>(size_)) {
    std::ranges::fill(bits_, 0);
  } else {
    // The slots now entering the window last held sequence numbers `size_` older.
    for (std::uint32_t s = *top_ + 1; s != seq + 1; ++s) set(s, false);
  }
  top_ = seq;
}

void ReplayWindow::retire(std::uint32_t seq) {
  if (check(seq) == Slot::too_old) return;
  learn(seq);
  set(seq, true);
}

bool ReplayWindow::test(std::uint32_t seq) const {
  std::size_t i = seq & (size_ - 1);
  return (bits_[i / 64] >> (i % 64)) & 1;
}

void ReplayWindow::set(std::uint32_t seq, bool retired) {
  std::size_t i = seq & (size_ - 1);
  std::uint64_t mask = std::uint64_t{1} << (i % 64);
  bits_[i / 64] = retired ? bits_[i / 64] | mask : bits_[i / 64] & ~mask;
}

}  // namespace ambi
