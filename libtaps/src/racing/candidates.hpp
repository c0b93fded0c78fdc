// The leaves of the RFC 9623 candidate tree and their order. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "racing/ip_address.hpp"
#include "taps/properties.hpp"

namespace taps::detail {

struct Candidate {
  Stack stack;
  IpAddress address;
  std::uint16_t port;
  std::string host_name = {};       // the name it was resolved from; empty for an address literal
  std::string interface_name = {};  // the path: bound to this interface; empty = the kernel's route

  friend bool operator==(const Candidate&, const Candidate&) = default;
};

// RFC 8305 section 4: keep the given order within each address family, then
// interleave the families, IPv6 first, taking `first_family_count` addresses of the
// first family before alternating. Duplicates are dropped. `family` 4 or 6 keeps
// only that family; 0 keeps both.
std::vector<Candidate> order_candidates(const std::vector<Candidate>& given, int family,
                                        int first_family_count = 1);

}  // namespace taps::detail
