#include "transport/address.hpp"

#include "taps/endpoint.hpp"

namespace taps::detail {

std::optional<asio::ip::address> parse_ip_literal(const std::string& text) {
  std::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return a;
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::string to_string(const asio::ip::address& address, unsigned short port) {
  return format_address_port(unmapped(address).to_string(), port);
}

}  // namespace taps::detail
