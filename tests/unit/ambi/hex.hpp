// Hex to bytes for the AMBI unit tests ("c000020a e8010101": spaces are ignored).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ambi/digest.hpp"

namespace ambi_test {

inline std::vector<std::uint8_t> unhex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

// A digest of `length` bytes, all `fill`, with `n` in the first four: distinct per n.
inline ambi::Digest digest_of(std::uint32_t n, std::size_t length = 32, std::uint8_t fill = 0xab) {
  std::vector<std::uint8_t> b(length, fill);
  for (std::size_t i = 0; i < 4 && i < length; ++i) b[i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  return ambi::Digest(b);
}

}  // namespace ambi_test
