#include "taps-mcast-send/stdin_datagrams.hpp"

#include <algorithm>

namespace taps_mcast_send {

void StdinDatagrams::feed(std::span<const std::uint8_t> bytes) {
  if (!lines_) {
    for (std::size_t at = 0; at < bytes.size(); at += max_) {
      auto piece = bytes.subspan(at, std::min(max_, bytes.size() - at));
      ready_.emplace_back(piece.begin(), piece.end());
    }
    return;
  }
  for (auto b : bytes) {
    if (b == '\n') {
      ready_.push_back(std::move(partial_));
      partial_.clear();
      cutting_ = false;
      continue;
    }
    if (partial_.size() == max_) {
      if (!cutting_) ++cut_;
      cutting_ = true;
      ready_.push_back(std::move(partial_));
      partial_.clear();
    }
    partial_.push_back(b);
  }
}

void StdinDatagrams::finish() {
  if (!partial_.empty()) ready_.push_back(std::move(partial_));
  partial_.clear();
}

}  // namespace taps_mcast_send
