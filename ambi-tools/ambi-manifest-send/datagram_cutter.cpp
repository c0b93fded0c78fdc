#include "ambi-manifest-send/datagram_cutter.hpp"

#include <algorithm>

namespace ambi_manifest_send {

void DatagramCutter::feed(std::span<const std::uint8_t> bytes, std::vector<std::vector<std::uint8_t>>& out) {
  while (!bytes.empty()) {
    std::size_t room = packet_size_ - partial_.size();
    std::size_t take = std::min(room, bytes.size());
    bool line_end = false;
    if (mode_ == Mode::lines) {
      auto newline = std::find(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take), std::uint8_t{'\n'});
      if (newline != bytes.begin() + static_cast<std::ptrdiff_t>(take)) {
        take = static_cast<std::size_t>(newline - bytes.begin()) + 1;
        line_end = true;
      }
    }
    partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (line_end || partial_.size() == packet_size_) {
      out.push_back(std::move(partial_));
      partial_.clear();
      partial_.reserve(mode_ == Mode::fixed_size ? packet_size_ : 0);
    }
  }
}

std::optional<std::vector<std::uint8_t>> DatagramCutter::finish() {
  if (partial_.empty()) return std::nullopt;
  auto last = std::move(partial_);
  partial_.clear();
  return last;
}

}  // namespace ambi_manifest_send
