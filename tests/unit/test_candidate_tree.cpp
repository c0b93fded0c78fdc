// The candidate tree of RFC 9623 section 4.1: paths, then stacks, then endpoints,
// pruned and ranked by the interface property. Tables, no sockets.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "racing/candidate_tree.hpp"

using taps::Preference;
using taps::Stack;
using namespace taps::detail;

namespace {

const std::vector<HostInterface> host{{"lo", true}, {"eth0", false}, {"wlan0", false}, {"veth0", false}};

RemoteAddress address(const char* a, std::string interface_name = {}) {
  return {taps::detail::IpAddress(a), 443, {}, std::move(interface_name)};
}

// "ADDR STACK@PATH" per leaf.
std::vector<std::string> describe(const std::vector<Candidate>& leaves) {
  std::vector<std::string> out;
  for (const auto& c : leaves) {
    out.push_back(c.address.to_string() + " " + std::string(taps::to_string(c.stack)) + "@" + c.interface_name);
  }
  return out;
}

}  // namespace

TEST_CASE("order_paths: Require keeps, Prohibit prunes, Prefer ranks, Avoid goes last") {
  struct Row {
    const char* name;
    std::map<std::string, Preference> prefs;
    std::vector<std::string> expected;
  };
  const Row rows[] = {
      {"no preference: the kernel's route", {}, {""}},
      {"require one", {{"wlan0", Preference::require}}, {"wlan0"}},
      {"require wins over prefer", {{"wlan0", Preference::require}, {"eth0", Preference::prefer}}, {"wlan0"}},
      {"prefer: bound first, then the route", {{"wlan0", Preference::prefer}}, {"wlan0", ""}},
      {"prohibit: every other interface bound, no unbound path",
       {{"eth0", Preference::prohibit}}, {"wlan0", "veth0"}},
      {"avoid: last", {{"eth0", Preference::avoid}}, {"wlan0", "veth0", "eth0"}},
      {"prefer, avoid and prohibit",
       {{"veth0", Preference::prefer}, {"eth0", Preference::avoid}, {"wlan0", Preference::prohibit}},
       {"veth0", "eth0"}},
      {"loopback only when named", {{"lo", Preference::avoid}}, {"eth0", "wlan0", "veth0", "lo"}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(order_paths(row.prefs, host) == row.expected);
    // Where the host's interfaces are not listed, they must not matter.
    if (!paths_use_host_interfaces(row.prefs)) CHECK(order_paths(row.prefs, {}) == row.expected);
  }
  CHECK(paths_use_host_interfaces({{"eth0", Preference::avoid}}));
  CHECK(paths_use_host_interfaces({{"eth0", Preference::prohibit}, {"wlan0", Preference::prefer}}));
  CHECK_FALSE(paths_use_host_interfaces({{"eth0", Preference::prohibit}, {"wlan0", Preference::require}}));
}

TEST_CASE("build_candidate_tree: paths, then stacks, then RFC 8305 endpoint order") {
  auto leaves = build_candidate_tree({"eth0", ""}, {Stack::tls, Stack::tcp},
                                     {address("192.0.2.1"), address("2001:db8::1")}, {{"eth0", Preference::prefer}},
                                     0, 1);
  CHECK(describe(leaves) == std::vector<std::string>{
                                "2001:db8::1 tls/tcp@eth0", "192.0.2.1 tls/tcp@eth0", "2001:db8::1 tcp@eth0",
                                "192.0.2.1 tcp@eth0", "2001:db8::1 tls/tcp@", "192.0.2.1 tls/tcp@",
                                "2001:db8::1 tcp@", "192.0.2.1 tcp@"});
}

TEST_CASE("build_candidate_tree: an address tied to an interface (IPv6 scope) stays on that path") {
  std::vector<RemoteAddress> addresses{address("fe80::1", "veth0"), address("192.0.2.1")};
  SUBCASE("unbound path: the scoped address is bound to its interface") {
    CHECK(describe(build_candidate_tree({""}, {Stack::tcp}, addresses, {}, 0, 1)) ==
          std::vector<std::string>{"fe80::1 tcp@veth0", "192.0.2.1 tcp@"});
  }
  SUBCASE("other paths do not get it, its own does once") {
    CHECK(describe(build_candidate_tree({"veth0", "eth0"}, {Stack::tcp}, addresses, {{"eth0", Preference::avoid}}, 0,
                                        1)) ==
          std::vector<std::string>{"fe80::1 tcp@veth0", "192.0.2.1 tcp@veth0", "192.0.2.1 tcp@eth0"});
  }
  SUBCASE("its interface prohibited: dropped") {
    CHECK(describe(build_candidate_tree({""}, {Stack::tcp}, addresses, {{"veth0", Preference::prohibit}}, 0, 1)) ==
          std::vector<std::string>{"192.0.2.1 tcp@"});
  }
  SUBCASE("another interface required: dropped") {
    CHECK(describe(build_candidate_tree({"eth0"}, {Stack::tcp}, addresses, {{"eth0", Preference::require}}, 0, 1)) ==
          std::vector<std::string>{"192.0.2.1 tcp@eth0"});
  }
}

TEST_CASE("build_candidate_tree: -4 and -6 prune endpoints; First Address Family Count applies per branch") {
  std::vector<RemoteAddress> addresses{address("2001:db8::1"), address("2001:db8::2"), address("192.0.2.1")};
  CHECK(describe(build_candidate_tree({""}, {Stack::tcp}, addresses, {}, 4, 1)) ==
        std::vector<std::string>{"192.0.2.1 tcp@"});
  CHECK(describe(build_candidate_tree({""}, {Stack::tcp}, addresses, {}, 0, 2)) ==
        std::vector<std::string>{"2001:db8::1 tcp@", "2001:db8::2 tcp@", "192.0.2.1 tcp@"});
}

TEST_CASE("racing_stacks: only equivalent stacks race") {
  CHECK(racing_stacks({Stack::tls}) == std::vector<Stack>{Stack::tls});
  CHECK(racing_stacks({Stack::tls, Stack::tcp}) == std::vector<Stack>{Stack::tls, Stack::tcp});
  CHECK(racing_stacks({Stack::tcp, Stack::udp}) == std::vector<Stack>{Stack::tcp});
  CHECK(racing_stacks({Stack::udp, Stack::tcp}) == std::vector<Stack>{Stack::udp});
}

TEST_CASE("select_stacks: TLS never falls back unless security is opportunistic") {
  taps::TransportProperties props;
  CHECK(select_stacks(props, taps::SecurityParameters::tls()).stacks == std::vector<Stack>{Stack::tls});
  CHECK(select_stacks(props, taps::SecurityParameters::opportunistic()).stacks ==
        std::vector<Stack>{Stack::tls, Stack::tcp});
}
