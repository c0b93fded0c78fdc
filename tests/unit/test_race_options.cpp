// taps-cat's racing options: -r, --protocols and -i, parsed from argv vectors.
#include <doctest/doctest.h>

#include "taps-cat/options.hpp"

namespace {

taps_cat::ParseResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "taps-cat");
  return taps_cat::parse(args);
}

}  // namespace

TEST_CASE("-r adds remote endpoints after HOST PORT, in the order given") {
  auto r = run({"-r", "[2001:db8::2]:8443", "-r", "backup.example:81", "--remote", "[fe80::1%lo]:9",
                "-r", "192.0.2.7:80", "192.0.2.1", "80"});
  REQUIRE(r.options);
  const auto& remotes = r.options->preconnection.remote_endpoints();
  REQUIRE(remotes.size() == 5);
  CHECK(remotes[0].ip_address() == "192.0.2.1");
  CHECK(remotes[1].ip_address() == "2001:db8::2");
  CHECK(remotes[1].port() == 8443);
  CHECK(remotes[2].host_name() == "backup.example");
  CHECK(remotes[2].port() == 81);
  CHECK(remotes[3].ip_address() == "fe80::1%lo");
  CHECK(remotes[4].ip_address() == "192.0.2.7");
}

TEST_CASE("--protocols: tls,tcp is opportunistic TLS, single names are --tls --tcp --udp") {
  auto both = run({"--protocols", "tls,tcp", "h", "443"});
  REQUIRE(both.options);
  const auto& s = both.options->preconnection.security_parameters();
  CHECK(s.opportunistic_security);
  CHECK(taps::select_stacks(both.options->preconnection.transport_properties(), s).stacks ==
        std::vector<taps::Stack>{taps::Stack::tls, taps::Stack::tcp});
  auto tls = run({"--protocols", "tls", "--ca", "ca.pem", "h", "443"});
  REQUIRE(tls.options);
  CHECK(!tls.options->preconnection.security_parameters().opportunistic_security);
  CHECK(tls.options->preconnection.security_parameters().trusted_certificates == "ca.pem");
  auto alone = run({"--tls", "h", "443"});
  REQUIRE(alone.options);
  CHECK(taps::select_stacks(alone.options->preconnection.transport_properties(),
                            alone.options->preconnection.security_parameters())
            .stacks == std::vector<taps::Stack>{taps::Stack::tls});
  auto udp = run({"--protocols", "udp", "h", "53"});
  REQUIRE(udp.options);
  CHECK(udp.options->preconnection.transport_properties().get("reliability") == taps::Preference::prohibit);
}

TEST_CASE("--quic selects quic alone; --protocols quic,tls races QUIC first, then TLS/TCP") {
  auto stacks = [](const std::vector<std::string>& args) {
    auto r = run(args);
    REQUIRE(r.options);
    return taps::select_stacks(r.options->preconnection.transport_properties(),
                               r.options->preconnection.security_parameters())
        .stacks;
  };
  CHECK(stacks({"--quic", "h", "443"}) == std::vector<taps::Stack>{taps::Stack::quic});
  CHECK(stacks({"--protocols", "quic", "h", "443"}) == std::vector<taps::Stack>{taps::Stack::quic});
  CHECK(stacks({"--protocols", "quic,tls", "h", "443"}) ==
        std::vector<taps::Stack>{taps::Stack::quic, taps::Stack::tls});
  auto alpn = run({"--quic", "--alpn", "h3", "h", "443"});
  REQUIRE(alpn.options);
  CHECK(alpn.options->preconnection.security_parameters().alpn == std::vector<std::string>{"h3"});
  auto alpn_alone = run({"--alpn", "h3", "h", "443"});
  CHECK(alpn_alone.error.find("--alpn needs --tls or --quic") != std::string::npos);
}

TEST_CASE("-i NAME[:LEVEL] is repeatable and sets the interface property") {
  auto r = run({"-i", "b", "-i", "a:prohibit", "-i", "c:avoid", "--interface", "d:prefer", "10.0.0.1", "80"});
  REQUIRE(r.options);
  const auto& interfaces = r.options->preconnection.transport_properties().interfaces();
  CHECK(interfaces.at("b") == taps::Preference::require);
  CHECK(interfaces.at("a") == taps::Preference::prohibit);
  CHECK(interfaces.at("c") == taps::Preference::avoid);
  CHECK(interfaces.at("d") == taps::Preference::prefer);
}

TEST_CASE("bad racing options: exit 1 naming the problem") {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"-r", "host", "h", "1"}, "-r 'host' is not HOST:PORT"},
      {{"-r", "2001:db8::1:80", "h", "1"}, "is not HOST:PORT or [IPV6]:PORT"},
      {{"-r", "h:0", "h", "1"}, "port 1-65535"},
      {{"-l", "-r", "h:1", "1"}, "-r is for connecting"},
      {{"-r", "h:1", "232.1.1.1", "5000"}, "-r is for unicast"},
      {{"--protocols", "tcp,tls", "h", "1"}, "tls must come first"},
      {{"--protocols", "tls,udp", "h", "1"}, "udp does not race"},
      {{"--protocols", "sctp", "h", "1"}, "'sctp' is not quic, tls, tcp or udp"},
      {{"--protocols", "tls,quic", "h", "1"}, "QUIC goes alone (quic) or first"},
      {{"--protocols", "quic,tls,tcp", "h", "1"}, "plain tcp never follows it"},
      {{"--protocols", "quic", "--quic", "h", "1"}, "--protocols replaces"},
      {{"--protocols", "tcp,tcp", "h", "1"}, "listed twice"},
      {{"--protocols", "tls,tcp", "--tls", "h", "1"}, "--protocols replaces"},
      {{"-i", "eth0:sometimes", "h", "1"}, "LEVEL is require, prefer, avoid or prohibit"},
      {{"-i", ":avoid", "h", "1"}, "-i needs an interface name"},
      {{"-l", "-i", "eth0", "1"}, "-i is for connecting"},
      {{"-i", "a", "-i", "b", "232.1.1.1", "5000"}, "sent on one interface"},
      {{"-i", "a:avoid", "232.1.1.1", "5000"}, "one chosen interface"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto r = run(c.args);
    CHECK(!r.options);
    CHECK(r.exit_code == 1);
    CHECK(r.error.find(c.message) != std::string::npos);
  }
}
