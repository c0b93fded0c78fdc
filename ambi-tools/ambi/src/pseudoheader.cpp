#include "ambi/pseudoheader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "ambi/error.hpp"

namespace ambi {
namespace {

std::uint8_t* put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
  return p + 2;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  text = text.substr(0, text.find('%'));
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // inet_pton needs a terminated string.
  const std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

IpAddress IpAddress::from_v4(std::array<std::uint8_t, 4> octets) {
  IpAddress a;
  std::copy(octets.begin(), octets.end(), a.bytes.begin());
  return a;
}

IpAddress IpAddress::from_v6(std::array<std::uint8_t, 16> octets) { return {true, octets}; }

std::error_code make_pseudoheader(const PacketEndpoints& endpoints, std::uint32_t stream_id,
                                  std::size_t payload_length, Pseudoheader& out) {
  out.size = 0;
  if (endpoints.source.v6 != endpoints.destination.v6) return errc::address_family_mismatch;
  if (payload_length > 0xffff) return errc::payload_too_large;
  auto source = endpoints.source.view();
  auto destination = endpoints.destination.view();
  std::uint8_t* p = out.bytes.data();
  p = std::copy(source.begin(), source.end(), p);
  p = std::copy(destination.begin(), destination.end(), p);
  *p++ = 0;
  *p++ = 17;  // UDP
  p = put16(p, static_cast<std::uint16_t>(payload_length));
  p = put16(p, endpoints.source_port);
  p = put16(p, endpoints.destination_port);
  p = put16(p, static_cast<std::uint16_t>(stream_id >> 16));
  p = put16(p, static_cast<std::uint16_t>(stream_id));
  out.size = static_cast<std::size_t>(p - out.bytes.data());
  return {};
}

}  // namespace ambi
