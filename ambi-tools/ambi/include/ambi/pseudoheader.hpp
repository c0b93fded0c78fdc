// The pseudoheader of draft-ietf-mboned-ambi-05 section 3.4: what a packet digest
// covers besides the UDP payload, so that a payload replayed with another source,
// group, port or stream never matches.
//
//   source address | destination address | 0 | 17 | payload length (16) |
//   source port | destination port | Manifest Stream Identifier (32)
//
// 20 bytes for IPv4, 44 for IPv6, network byte order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

namespace ambi {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  // A literal "192.0.2.10" or "2001:db8::1"; a "%scope" suffix is ignored. Nullopt
  // for anything else (host names are not resolved).
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_v4(std::array<std::uint8_t, 4> octets);
  static IpAddress from_v6(std::array<std::uint8_t, 16> octets);

  std::span<const std::uint8_t> view() const { return {bytes.data(), v6 ? std::size_t{16} : std::size_t{4}}; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Where one UDP datagram came from and went to.
struct PacketEndpoints {
  IpAddress source;
  std::uint16_t source_port = 0;
  IpAddress destination;
  std::uint16_t destination_port = 0;
};

struct Pseudoheader {
  static constexpr std::size_t v4_size = 20;
  static constexpr std::size_t v6_size = 44;

  std::array<std::uint8_t, v6_size> bytes{};
  std::size_t size = 0;

  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};

// Fills `out` for a payload of `payload_length` bytes. Errors: address_family_mismatch,
// payload_too_large (over 65535).
std::error_code make_pseudoheader(const PacketEndpoints& endpoints, std::uint32_t stream_id,
                                  std::size_t payload_length, Pseudoheader& out);

}  // namespace ambi
