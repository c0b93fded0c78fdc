// The causes in words of a failed multicast join or send (transport/multicast_errors).
#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>

#include "transport/multicast_errors.hpp"

using taps::detail::MulticastFailure;
using taps::detail::multicast_failure_cause;
using taps::detail::multicast_failure_text;

namespace {

std::string join(int error, std::string group, std::string source = {}, std::string interface_name = {}) {
  return multicast_failure_cause({MulticastFailure::Action::join, error, group, source, interface_name});
}

std::string send(int error, std::string group, std::string source = {}, std::string interface_name = {}) {
  return multicast_failure_cause({MulticastFailure::Action::send, error, group, source, interface_name});
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("multicast errors: ENODEV at a join names the missing route and the fix") {
  CHECK(has(join(ENODEV, "232.1.1.1"), "no route for 232.1.1.1"));
  CHECK(has(join(ENODEV, "232.1.1.1"), "ip route add 224.0.0.0/4 dev IF"));
  CHECK(has(join(ENODEV, "232.1.1.1"), "give -i IF"));
  CHECK(has(join(ENODEV, "ff3e::1"), "ip -6 route add ff00::/8 dev IF"));
  CHECK(has(join(ENODEV, "232.1.1.1", "10.0.0.1"), "no route toward the source 10.0.0.1"));
  CHECK(has(join(ENODEV, "ff3e::1", "", "eth1"), "disable_ipv6"));
}

TEST_CASE("multicast errors: EINVAL, EADDRNOTAVAIL, ENETUNREACH, EPERM in words") {
  CHECK(has(join(EINVAL, "ff02::1:3"), "link-scope group ff02::1:3"));
  CHECK(has(join(EINVAL, "ff02::1:3"), "give -i IF"));
  CHECK(has(join(EINVAL, "ff3e::1", "10.0.0.1"), "different address families"));
  CHECK(has(join(EADDRNOTAVAIL, "232.1.1.1", "", "eth1"), "eth1 has no IPv4 address"));
  CHECK(send(ENETUNREACH, "232.1.1.1") ==
        "no route to 232.1.1.1: add a route (ip route add 224.0.0.0/4 dev IF) or give -i IF");
  CHECK(has(send(ENETUNREACH, "232.1.1.1", "", "eth1"), "on eth1: is it up"));
  CHECK(has(send(EADDRNOTAVAIL, "232.1.1.1", "10.9.9.9"), "10.9.9.9 is not an address of this host"));
  CHECK(has(send(EINVAL, "ff3e::1", "10.0.0.1"), "different address families"));
  CHECK(has(send(EINVAL, "ff12::1"), "give -i IF"));
  CHECK(has(send(EPERM, "232.1.1.1"), "firewall"));
  CHECK(has(send(ENETDOWN, "232.1.1.1", "", "eth1"), "ip link set eth1 up"));
}

TEST_CASE("multicast errors: the errno's text comes first; unknown errnos have no cause") {
  CHECK(send(ENOTTY, "232.1.1.1").empty());
  CHECK(multicast_failure_text({MulticastFailure::Action::send, ENOTTY, "232.1.1.1", {}, {}}) == std::strerror(ENOTTY));
  auto text = multicast_failure_text({MulticastFailure::Action::join, ENODEV, "232.1.1.1", {}, {}});
  CHECK(text.starts_with(std::string(std::strerror(ENODEV)) + ": no route for 232.1.1.1"));
}
