#include "verifier/packet_endpoints.hpp"

#include <charconv>

namespace ambi_verifier {

std::optional<std::pair<ambi::IpAddress, std::uint16_t>> parse_address_port(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
  auto address = ambi::IpAddress::parse(host);
  if (!address) return std::nullopt;
  return std::pair{*address, static_cast<std::uint16_t>(port)};
}

const ambi::PacketEndpoints* EndpointCache::get(const std::string& remote, const std::string& local) {
  if (valid_ && remote == remote_ && local == local_) return &endpoints_;
  auto source = parse_address_port(remote);
  auto destination = parse_address_port(local);
  valid_ = source && destination;
  if (!valid_) return nullptr;
  remote_ = remote;
  local_ = local;
  endpoints_ = {source->first, source->second, destination->first, destination->second};
  return &endpoints_;
}

}  // namespace ambi_verifier
