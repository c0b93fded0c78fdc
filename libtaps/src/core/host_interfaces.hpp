// The host's interfaces and their addresses, for the candidate tree's paths and for
// the local candidates of Resolve.
#pragma once

#include <asio/ip/address.hpp>
#include <optional>
#include <string>
#include <vector>

#include "racing/candidate_tree.hpp"

namespace taps::detail {

// The interfaces that are up, in index order (getifaddrs: a local query, no waiting).
std::vector<HostInterface> up_interfaces();

// An address of an interface that is up (an IPv6 link-local one with its scope).
struct InterfaceAddress {
  std::string interface_name;
  asio::ip::address address;
  bool loopback = false;
};
std::vector<InterfaceAddress> interface_addresses();

// The source address the kernel's routes choose toward `remote` (through `interface`
// when not empty), as a connected UDP socket learns it: no packet is sent. nullopt
// when there is no route.
std::optional<asio::ip::address> route_source(const asio::ip::address& remote, std::uint16_t port,
                                              const std::string& interface);

}  // namespace taps::detail
