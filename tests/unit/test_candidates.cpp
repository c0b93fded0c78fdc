// RFC 8305 section 4 ordering of the candidate tree's leaves: a table, no sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "racing/candidates.hpp"

using taps::detail::Candidate;
using taps::detail::order_candidates;

namespace {

Candidate c(const std::string& address) {
  return {.stack = taps::Stack::tcp, .address = taps::detail::IpAddress(address), .port = 443};
}

std::vector<std::string> addresses(const std::vector<Candidate>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.address.to_string());
  return out;
}

struct Row {
  const char* name;
  std::vector<std::string> given;
  int family;
  int first_family_count;
  std::vector<std::string> expected;
};

}  // namespace

TEST_CASE("order_candidates: families interleave with IPv6 first and the given order kept") {
  const Row rows[] = {
      {"empty", {}, 0, 1, {}},
      {"IPv6 then IPv4 as given", {"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2"}, 0, 1,
       {"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2"}},
      {"IPv4 given first still starts with IPv6", {"192.0.2.1", "192.0.2.2", "2001:db8::1"}, 0, 1,
       {"2001:db8::1", "192.0.2.1", "192.0.2.2"}},
      {"order within a family is the caller's", {"192.0.2.9", "192.0.2.1"}, 0, 1, {"192.0.2.9", "192.0.2.1"}},
      {"First Address Family Count 2", {"2001:db8::1", "2001:db8::2", "2001:db8::3", "192.0.2.1", "192.0.2.2"}, 0, 2,
       {"2001:db8::1", "2001:db8::2", "192.0.2.1", "2001:db8::3", "192.0.2.2"}},
      {"only IPv4 (-4)", {"2001:db8::1", "192.0.2.1", "192.0.2.2"}, 4, 1, {"192.0.2.1", "192.0.2.2"}},
      {"only IPv6 (-6)", {"192.0.2.1", "2001:db8::1", "::1"}, 6, 1, {"2001:db8::1", "::1"}},
      {"duplicates are tried once", {"::1", "127.0.0.1", "::1", "127.0.0.1"}, 0, 1, {"::1", "127.0.0.1"}},
      {"one family only", {"192.0.2.1", "192.0.2.2", "192.0.2.3"}, 0, 1, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    std::vector<Candidate> given;
    for (const auto& a : row.given) given.push_back(c(a));
    CHECK(addresses(order_candidates(given, row.family, row.first_family_count)) == row.expected);
  }
}

TEST_CASE("order_candidates: the same address on another port is another candidate") {
  auto a = c("192.0.2.1");
  auto b = a;
  b.port = 8443;
  auto ordered = order_candidates({a, b, a}, 0);
  REQUIRE(ordered.size() == 2);
  CHECK(ordered[0].port == 443);
  CHECK(ordered[1].port == 8443);
}
