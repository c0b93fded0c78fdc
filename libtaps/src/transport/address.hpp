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

// Why `text` is not an IPv6 literal with a usable zone ("fe80::1%nosuchif": no such
// interface), or nullopt when it has none or it is fine.
std::optional<std::string> scope_problem(const std::string& text);

// Why `name` cannot be a DNS host name (RFC 1123 syntax, with underscores allowed as
// resolvers do), or nullopt when it can. An embedded NUL would otherwise cut the name
// short in every C API below us, so that TLS would verify a different name.
std::optional<std::string> host_name_problem(const std::string& name);

// RFC 6761 6.3: "localhost" and names under ".localhost" are loopback, answered here
// without asking DNS (as curl and browsers do). nullopt for other names.
std::optional<asio::ip::address> special_use_address(const std::string& name, bool v6);

// "ADDR:PORT" / "[ADDR]:PORT".
std::string to_string(const asio::ip::address& address, unsigned short port);
template <class Endpoint>
std::string endpoint_string(const Endpoint& e) {
  return to_string(e.address(), e.port());
}

// An IPv4-mapped IPv6 address (from a dual-stack socket) as plain IPv4.
asio::ip::address unmapped(const asio::ip::address& a);

}  // namespace taps::detail
