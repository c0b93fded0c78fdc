// The RFC 9623 section 4.1 candidate tree, flattened into its leaves in race order:
// branch on paths (interfaces), then on protocol stacks, then on endpoints (every
// address of every remote endpoint). Pure: the host's interfaces come in as a value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "racing/candidates.hpp"
#include "taps/properties.hpp"

namespace taps::detail {

// An interface of the host that is up.
struct HostInterface {
  std::string name;
  bool loopback = false;
};

// One remote address as resolved (or given), before it meets paths and stacks.
struct RemoteAddress {
  IpAddress address;
  std::uint16_t port;
  std::string host_name = {};       // empty for a literal
  std::string interface_name = {};  // an IPv6 scope or the endpoint's interface: only this path
};

// The paths, best first; "" is the unbound path (the kernel's route). Require keeps only
// the required interfaces; Prohibit removes one. Because the kernel's route may lead
// through an avoided or prohibited interface, either of them replaces the unbound path
// by every other interface that is up (loopback only when named), each bound. Prefer
// ranks first; Avoid last.
std::vector<std::string> order_paths(const std::map<std::string, Preference>& preferences,
                                     const std::vector<HostInterface>& host);

// Whether order_paths reads `host` for these preferences: only Avoid or Prohibit without
// a Require. Otherwise the caller need not list the interfaces (a netlink dump).
bool paths_use_host_interfaces(const std::map<std::string, Preference>& preferences);

// The leaves: for each path, each stack (best first), the addresses in RFC 8305 order.
// An address tied to an interface belongs to the unbound path or to that interface's
// path only, and is dropped when that interface is prohibited or another is required.
// A leaf appears once, at its first place.
std::vector<Candidate> build_candidate_tree(const std::vector<std::string>& paths, const std::vector<Stack>& stacks,
                                            const std::vector<RemoteAddress>& addresses,
                                            const std::map<std::string, Preference>& preferences, int family,
                                            int first_family_count);

// The stacks that may race, from those the properties select (best first): the best
// one and the others over the same transport. TLS and TCP are both selected only when
// security is opportunistic (the user listed both); TCP and UDP are not equivalent for
// the application (a byte stream against datagrams) and never race each other.
std::vector<Stack> racing_stacks(const std::vector<Stack>& selected);

}  // namespace taps::detail
