#include "transport/address.hpp"

#include <fmt/format.h>
#include <net/if.h>

#include <cctype>

#include "taps/endpoint.hpp"

namespace taps::detail {

std::optional<asio::ip::address> parse_ip_literal(const std::string& text) {
  std::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return a;
}

std::optional<std::string> scope_problem(const std::string& text) {
  auto percent = text.find('%');
  if (percent == std::string::npos || text.find(':') == std::string::npos) return std::nullopt;
  std::string zone = text.substr(percent + 1);
  std::error_code ec;
  asio::ip::make_address_v6(text.substr(0, percent), ec);
  if (ec) return std::nullopt;
  if (zone.empty()) return "an empty zone after '%'";
  if (zone.find_first_not_of("0123456789") == std::string::npos) return std::nullopt;
  if (::if_nametoindex(zone.c_str()) == 0) return "no interface '" + zone + "' for its zone";
  return std::nullopt;
}

std::optional<std::string> host_name_problem(const std::string& name) {
  if (name.find('\0') != std::string::npos) return "it contains a NUL byte";
  std::string_view n(name);
  if (!n.empty() && n.back() == '.') n.remove_suffix(1);
  if (n.empty()) return "it is empty";
  if (n.size() > 253) return "it is longer than 253 characters";
  std::size_t label = 0;
  for (char c : n) {
    if (c == '.') {
      if (label == 0) return "it has an empty label";
      label = 0;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ok) return fmt::format("it contains the character {}", std::isprint(static_cast<unsigned char>(c))
                                                                     ? fmt::format("'{}'", c)
                                                                     : fmt::format("0x{:02x}", static_cast<unsigned char>(c)));
    if (++label > 63) return "it has a label longer than 63 characters";
  }
  if (label == 0) return "it has an empty label";
  return std::nullopt;
}

std::optional<asio::ip::address> special_use_address(const std::string& name, bool v6) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!n.empty() && n.back() == '.') n.pop_back();
  constexpr std::string_view suffix = ".localhost";
  bool local = n == "localhost" || (n.size() > suffix.size() && n.ends_with(suffix));
  if (!local) return std::nullopt;
  if (v6) return asio::ip::address(asio::ip::address_v6::loopback());
  return asio::ip::address(asio::ip::address_v4::loopback());
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::string to_string(const asio::ip::address& address, unsigned short port) {
  return format_address_port(unmapped(address).to_string(), port);
}

}  // namespace taps::detail
