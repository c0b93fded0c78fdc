#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "taps/security.hpp"

namespace taps {
namespace {

constexpr std::size_t digest_size = 32;  // SHA-256

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// 64 hex digits, optionally in ':'-separated pairs (as `openssl x509 -fingerprint` prints).
std::optional<std::string> from_hex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':') continue;
    int v = hex_value(c);
    if (v < 0) return std::nullopt;
    out += "0123456789abcdef"[v];
  }
  if (out.size() != 2 * digest_size) return std::nullopt;
  return out;
}

// Standard base64 of 32 bytes: 43 significant characters and one '=' (optional).
std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() == 44 && text.back() == '=') text.remove_suffix(1);
  if (text.size() != 43) return std::nullopt;
  std::array<std::uint8_t, digest_size + 1> bytes{};
  std::size_t n = 0;
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes[n++] = static_cast<std::uint8_t>(bits >> bit_count);
    }
  }
  // 43 characters carry 258 bits: the last 2 must be zero in a canonical encoding.
  if ((bits & ((1u << bit_count) - 1)) != 0 || n != digest_size) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < digest_size; ++i) {
    out += "0123456789abcdef"[bytes[i] >> 4];
    out += "0123456789abcdef"[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

std::optional<std::string> parse_spki_pin(std::string_view text) {
  if (auto hex = from_hex(text)) return hex;
  return from_base64(text);
}

}  // namespace taps
