// Resolve (RFC 9622 section 7.1) through the public API: what Initiate would use,
// listed without connecting.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "harness.hpp"
#include "taps/taps.hpp"

using namespace std::chrono_literals;

namespace {

// Resolves `p` on a fresh Context; fails the test when no answer comes in 5 s.
taps::Result<taps::ResolvedEndpoints> resolve(const taps::Preconnection& p) {
  taps::Context ctx;
  std::optional<taps::Result<taps::ResolvedEndpoints>> got;
  auto error = p.resolve(ctx, [&](taps::Result<taps::ResolvedEndpoints> r) {
    got = std::move(r);
    ctx.stop();
  });
  REQUIRE_FALSE(error);
  CHECK_FALSE(got);  // posted, never called from inside resolve()
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE(got);
  return std::move(*got);
}

taps::RemoteEndpoint remote(const std::string& address, std::uint16_t port, const std::string& host = {},
                            const std::string& interface = {}) {
  taps::RemoteEndpoint r;
  r.with_ip_address(address).with_port(port);
  if (!host.empty()) r.with_host_name(host);
  if (!interface.empty()) r.with_interface(interface);
  return r;
}

taps::LocalEndpoint local(const std::string& address, const std::string& interface, std::optional<std::uint16_t> port = {}) {
  taps::LocalEndpoint l;
  l.with_ip_address(address).with_interface(interface);
  if (port) l.with_port(*port);
  return l;
}

}  // namespace

TEST_CASE("resolve: localhost gives ::1 then 127.0.0.1 (the race order) and the loopback source of each") {
  auto p = taps::Preconnection({}, {taps::RemoteEndpoint().with_host_name("localhost").with_port(7)});
  auto r = resolve(p);
  REQUIRE(r);
  CHECK(r->remote == std::vector{remote("::1", 7, "localhost"), remote("127.0.0.1", 7, "localhost")});
  CHECK(r->local == std::vector{local("::1", "lo"), local("127.0.0.1", "lo")});
}

TEST_CASE("resolve: a local address and port given are the local candidate, and with -4 only IPv4 is asked") {
  auto p = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(40123)},
                               {taps::RemoteEndpoint().with_host_name("localhost").with_port(80)});
  p.transport_properties().address_family = 4;
  auto r = resolve(p);
  REQUIRE(r);
  CHECK(r->remote == std::vector{remote("127.0.0.1", 80, "localhost")});
  CHECK(r->local == std::vector{local("127.0.0.1", "lo", 40123)});
}

TEST_CASE("resolve: several remote endpoints keep their order within a family, families interleave") {
  auto p = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.2").with_port(1),
                                    taps::RemoteEndpoint().with_ip_address("127.0.0.3").with_port(2),
                                    taps::RemoteEndpoint().with_ip_address("::1").with_port(3)});
  auto r = resolve(p);
  REQUIRE(r);
  CHECK(r->remote == std::vector{remote("::1", 3), remote("127.0.0.2", 1), remote("127.0.0.3", 2)});
}

TEST_CASE("resolve connects nothing: a listening socket has no connection waiting afterwards") {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(fd != -1);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  socklen_t size = sizeof sin;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &size) == 0);
  auto r = resolve(taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(ntohs(sin.sin_port))}));
  REQUIRE(r);
  CHECK(r->remote.size() == 1);
  CHECK(::accept(fd, nullptr, nullptr) == -1);
  CHECK(errno == EAGAIN);
  ::close(fd);
}

TEST_CASE("resolve: configuration errors come at once, as from Initiate") {
  taps::Context ctx;
  auto called = false;
  auto bad = taps::Preconnection({}, {taps::RemoteEndpoint().with_host_name("bad name").with_port(1)});
  auto e = bad.resolve(ctx, [&](auto) { called = true; });
  REQUIRE(e);
  CHECK(e->code == taps::errc::invalid_configuration);
  auto no_port = taps::Preconnection({}, {taps::RemoteEndpoint().with_host_name("localhost")});
  REQUIRE(no_port.resolve(ctx, [&](auto) { called = true; }));
  test::run_for(ctx, 20ms);
  CHECK_FALSE(called);
}

TEST_CASE("resolve without a remote endpoint lists the host's addresses of the local interface given") {
  auto p = taps::Preconnection({taps::LocalEndpoint().with_interface("lo").with_port(5000)}, {});
  auto r = resolve(p);
  REQUIRE(r);
  CHECK(r->remote.empty());
  CHECK(std::find(r->local.begin(), r->local.end(), local("127.0.0.1", "lo", 5000)) != r->local.end());
}
