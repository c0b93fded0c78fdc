#include "transport/multicast_errors.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace taps::detail {
namespace {

bool is_v6(const std::string& address) { return address.find(':') != std::string::npos; }

// ff02::, ff12::, ff32:: (link scope) and ff01:: (interface-local): one per link.
bool link_scope(const std::string& group) {
  if (!is_v6(group) || group.size() < 4) return false;
  char scope = static_cast<char>(std::tolower(static_cast<unsigned char>(group[3])));
  return scope == '1' || scope == '2';
}

std::string family(const std::string& group) { return is_v6(group) ? "IPv6" : "IPv4"; }

std::string add_route(const std::string& group) {
  return is_v6(group) ? "ip -6 route add ff00::/8 dev IF" : "ip route add 224.0.0.0/4 dev IF";
}

std::string interface_or(const std::string& name, const std::string& otherwise) {
  return name.empty() ? otherwise : name;
}

std::string join_cause(const MulticastFailure& f) {
  const auto& g = f.group;
  switch (f.error) {
    case ENODEV:
      if (!f.interface_name.empty()) {
        return fmt::format("{} takes no {} memberships (down, or {} off on it{})", f.interface_name, family(g), family(g),
                           is_v6(g) ? fmt::format(": sysctl net.ipv6.conf.{}.disable_ipv6", f.interface_name) : "");
      }
      if (!f.source.empty()) {
        return fmt::format("no route toward the source {} (nor for the group) to choose the interface by: add a route "
                           "toward {} (the join and the reverse-path check go that way) or give -i IF",
                           f.source, f.source);
      }
      return fmt::format("no route for {} to choose the interface by: add one ({}) or give -i IF", g, add_route(g));
    case EADDRNOTAVAIL:
      return fmt::format("{} has no {} address to join {} with: give -i with an interface that has one",
                         interface_or(f.interface_name, "the interface the route chose"), family(g), g);
    case EINVAL:
      if (link_scope(g) && f.interface_name.empty()) {
        return fmt::format("the link-scope group {} exists once per link: give -i IF (or a zone: {}%IF)", g, g);
      }
      if (!f.source.empty() && is_v6(f.source) != is_v6(g)) {
        return fmt::format("the source {} and the group {} are of different address families", f.source, g);
      }
      return fmt::format("the kernel refused the membership of {}{}: is {} a multicast group of this family?", g,
                         f.source.empty() ? "" : " from " + f.source, g);
    case EADDRINUSE:
      return fmt::format("this socket has that membership of {} already (the same source twice?)", g);
    case EPERM:
    case EACCES:
      return "the system refused it to this process (a security policy; try as root)";
    default:
      return {};
  }
}

std::string send_cause(const MulticastFailure& f) {
  const auto& g = f.group;
  switch (f.error) {
    case ENETUNREACH:
    case EHOSTUNREACH:
      if (!f.interface_name.empty()) {
        return fmt::format("no route to {} on {}: is it up, with an {} address? (ip addr show {})", g, f.interface_name,
                           family(g), f.interface_name);
      }
      return fmt::format("no route to {}: add a route ({}) or give -i IF", g, add_route(g));
    case ENETDOWN:
      return fmt::format("{} is down: ip link set {} up", interface_or(f.interface_name, "the interface the route chose"),
                         interface_or(f.interface_name, "IF"));
    case ENODEV:
      return fmt::format("{} is gone or takes no {}: give -i with an interface that is up",
                         interface_or(f.interface_name, "the interface"), family(g));
    case EADDRNOTAVAIL:
      if (!f.source.empty()) {
        return fmt::format("{} is not an address of this host (ip addr lists them): send from one of its own", f.source);
      }
      return fmt::format("{} has no {} address to send from", interface_or(f.interface_name, "the interface"), family(g));
    case EINVAL:
      if (!f.source.empty() && is_v6(f.source) != is_v6(g)) {
        return fmt::format("the source {} and the group {} are of different address families", f.source, g);
      }
      if (link_scope(g) && f.interface_name.empty()) {
        return fmt::format("the link-scope group {} exists once per link: give -i IF (or a zone: {}%IF)", g, g);
      }
      return fmt::format("the kernel refused these arguments for {} (hop limit, interface, source)", g);
    case EPERM:
    case EACCES:
      return "a firewall rule refused the datagram (nft list ruleset; iptables -S OUTPUT)";
    case EMSGSIZE:
      return "the datagram is larger than the interface's MTU allows without fragmenting";
    default:
      return {};
  }
}

}  // namespace

std::string multicast_failure_cause(const MulticastFailure& f) {
  return f.action == MulticastFailure::Action::join ? join_cause(f) : send_cause(f);
}

std::string multicast_failure_text(const MulticastFailure& f) {
  auto cause = multicast_failure_cause(f);
  std::string text = std::strerror(f.error);
  return cause.empty() ? text : text + ": " + cause;
}

}  // namespace taps::detail
