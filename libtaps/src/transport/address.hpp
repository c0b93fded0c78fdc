// Conversions between the engine's socket addresses and the strings of the API.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <optional>
#include <string>

namespace taps::detail {

// Parses an IPv4 or IPv6 literal, IPv6 with an optional "%scope" (interface name or
// number). nullopt when it is not a literal (it may be a host name).
std::optional<asio::ip::address> parse_ip_literal(const std::string& text);

// "ADDR:PORT" / "[ADDR]:PORT".
std::string to_string(const asio::ip::address& address, unsigned short port);
template <class Endpoint>
std::string endpoint_string(const Endpoint& e) {
  return to_string(e.address(), e.port());
}

// An IPv4-mapped IPv6 address (from a dual-stack socket) as plain IPv4.
asio::ip::address unmapped(const asio::ip::address& a);

}  // namespace taps::detail
