// The pseudoheader's addresses and ports of a received datagram, from the "ADDR:PORT"
// strings of its MessageContext. Remembers the last strings it parsed: a framer sees
// one sender and, nearly always, one destination, so the common case is two compares.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ambi/pseudoheader.hpp"

namespace ambi_verifier {

// "192.0.2.1:5001" or "[2001:db8::1]:5001"; nullopt for anything else.
std::optional<std::pair<ambi::IpAddress, std::uint16_t>> parse_address_port(std::string_view text);

class EndpointCache {
 public:
  // The endpoints of a datagram from `remote` to `local`; nullopt when either is not
  // an address and port.
  const ambi::PacketEndpoints* get(const std::string& remote, const std::string& local);

 private:
  std::string remote_, local_;
  ambi::PacketEndpoints endpoints_;
  bool valid_ = false;
};

}  // namespace ambi_verifier
