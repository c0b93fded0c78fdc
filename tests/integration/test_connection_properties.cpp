// Connection properties on real loopback sockets (RFC 9622 section 8): what set_property
// and the Preconnection's properties put into the Connection's own socket, read back
// with getsockopt, and the DSCP as a receiver sees it on the datagrams.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

// A TCP Listener on 127.0.0.1 that keeps what it accepts.
struct Server {
  taps::Listener listener;
  std::uint16_t port = 0;
  std::vector<taps::Connection> accepted;

  explicit Server(taps::Context& ctx) {
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.connection_received = [this](taps::Connection c) {
      accepted.push_back(c);
      return taps::ConnectionHandlers{};
    };
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {})
                 .listen(ctx, std::move(h));
    REQUIRE(l);
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
  }
};

taps::Connection connect(taps::Context& ctx, taps::Preconnection p) {
  taps::ConnectionHandlers h;
  h.ready = [&ctx] { ctx.stop(); };
  h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
  auto c = p.initiate(ctx, h);
  REQUIRE(c);
  REQUIRE(test::run_for(ctx, 5s));
  return *c;
}

taps::Preconnection tcp_to(std::uint16_t port) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)});
}

std::optional<taps::PropertyValue> property(const taps::Connection& c, std::string_view name) {
  for (auto& p : c.get_properties()) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

int fd_of(const taps::Connection& c, int type = SOCK_STREAM) {
  int fd = test::socket_with_local_port(test::port_of(c.local_endpoint()), type);
  REQUIRE(fd >= 0);
  return fd;
}

}  // namespace

TEST_CASE("set_property reaches the socket: keepAliveTimeout, tcp.userTimeoutValue, connTimeout, DSCP, pacing") {
  taps::Context ctx;
  Server server(ctx);
  auto p = tcp_to(server.port);
  p.transport_properties().set("keepAlive", taps::Preference::prefer);
  auto c = connect(ctx, p);
  int fd = fd_of(c);
  CHECK(test::int_option(fd, SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);

  REQUIRE_FALSE(c.set_property("keepAliveTimeout", std::int64_t{11}));
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 11);
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 11);

  REQUIRE_FALSE(c.set_property("connTimeout", std::int64_t{4500}));
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 4500);
  REQUIRE_FALSE(c.set_property("tcp.userTimeoutValue", std::int64_t{42}));
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 42000);
  REQUIRE_FALSE(c.set_property("tcp.userTimeoutValue", std::monostate{}));
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 4500);

  REQUIRE_FALSE(c.set_property("connCapacityProfile", std::string("scavenger")));
  CHECK(test::int_option(fd, IPPROTO_IP, IP_TOS) == 1 << 2);

  REQUIRE_FALSE(c.set_property("maxSendRate", std::int64_t{8'000'000}));
  std::uint64_t rate = 0;
  socklen_t length = sizeof rate;
  REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, &length) == 0);
  CHECK(rate == 1'000'000);  // bytes per second

  CHECK(property(c, "keepAliveTimeout") == taps::PropertyValue(std::int64_t{11}));
  CHECK(property(c, "connCapacityProfile") == taps::PropertyValue(std::string("scavenger")));
  c.abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("properties of the Preconnection are in the socket at ready") {
  taps::Context ctx;
  Server server(ctx);
  auto p = tcp_to(server.port);
  auto& props = p.transport_properties();
  props.set("keepAlive", taps::Preference::require);
  REQUIRE_FALSE(props.connection.set("keepAliveTimeout", std::int64_t{9}));
  REQUIRE_FALSE(props.connection.set("tcp.userTimeoutValue", std::int64_t{17}));
  REQUIRE_FALSE(props.connection.set("connCapacityProfile", std::string("lowLatencyInteractive")));
  auto c = connect(ctx, p);
  int fd = fd_of(c);
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 9);
  CHECK(test::int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 17000);
  CHECK(test::int_option(fd, IPPROTO_IP, IP_TOS) == 46 << 2);
  c.abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("set_property refuses what it cannot do, naming the property, and changes nothing") {
  taps::Context ctx;
  Server server(ctx);
  auto c = connect(ctx, tcp_to(server.port));
  auto e = c.set_property("connState", std::string("closed"));
  REQUIRE(e);
  CHECK(e->detail == "connState is read-only");
  e = c.set_property("keepAliveTimout", std::int64_t{5});
  REQUIRE(e);
  CHECK(e->detail == "unknown connection property 'keepAliveTimout' (did you mean keepAliveTimeout?)");
  // keepAlive was left at noPreference: a timeout for keep-alives that are off is a mistake.
  e = c.set_property("keepAliveTimeout", std::int64_t{5});
  REQUIRE(e);
  CHECK(e->detail.starts_with("keepAliveTimeout: keep-alive is off for this connection"));
  CHECK(property(c, "keepAliveTimeout") == taps::PropertyValue(std::monostate{}));
  CHECK(test::int_option(fd_of(c), SOL_SOCKET, SO_KEEPALIVE) == 0);
  c.abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("read-only properties follow the connection: connState, canSend, canReceive, message sizes") {
  taps::Context ctx;
  Server server(ctx);
  auto c = connect(ctx, tcp_to(server.port));
  CHECK(property(c, "connState") == taps::PropertyValue(std::string("established")));
  CHECK(property(c, "canSend") == taps::PropertyValue(true));
  CHECK(property(c, "canReceive") == taps::PropertyValue(true));
  // A byte stream: no message size limit, no singular transmission.
  CHECK(property(c, "singularTransmissionMsgMaxLen") == taps::PropertyValue(std::monostate{}));
  CHECK(property(c, "sendMsgMaxLen") == taps::PropertyValue(std::monostate{}));
  CHECK(property(c, "connPriority") == taps::PropertyValue(std::int64_t{100}));
  taps::MessageContext fin;
  fin.final = true;
  c.send(taps::Message{}, fin);
  CHECK(property(c, "canSend") == taps::PropertyValue(false));
  c.abort();
  test::run_for(ctx, 50ms);
  CHECK(property(c, "connState") == taps::PropertyValue(std::string("closed")));
  CHECK(property(c, "canReceive") == taps::PropertyValue(false));
}

TEST_CASE("connCapacityProfile is the DSCP of the datagrams a receiver gets") {
  int receiver = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(receiver >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(receiver, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  int on = 1;
  REQUIRE(::setsockopt(receiver, IPPROTO_IP, IP_RECVTOS, &on, sizeof on) == 0);

  taps::Context ctx;
  taps::Preconnection p({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(ntohs(address.sin_port))},
                        taps::TransportProperties::unreliable_datagram());
  auto c = connect(ctx, p);
  CHECK(property(c, "sendMsgMaxLen") == taps::PropertyValue(std::int64_t{65507}));
  // The path MTU as the kernel tells any socket connected there, less 20 bytes of IPv4
  // and 8 of UDP.
  int probe = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(::connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  int mtu = test::int_option(probe, IPPROTO_IP, IP_MTU);
  ::close(probe);
  CHECK(property(c, "singularTransmissionMsgMaxLen") == taps::PropertyValue(std::int64_t{mtu - 28}));
  REQUIRE_FALSE(c.set_property("connCapacityProfile", std::string("capacitySeeking")));
  c.send(taps::Message(std::string("dscp")));
  test::run_for(ctx, 200ms);

  char data[16];
  char control[CMSG_SPACE(sizeof(int))];
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  REQUIRE(::recvmsg(receiver, &msg, MSG_DONTWAIT) == 4);
  std::optional<int> tos;
  for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
    if (h->cmsg_level == IPPROTO_IP && h->cmsg_type == IP_TOS) tos = *reinterpret_cast<unsigned char*>(CMSG_DATA(h));
  }
  REQUIRE(tos);
  CHECK((*tos >> 2) == 10);  // AF11
  ::close(receiver);
  c.abort();
  test::run_for(ctx, 50ms);
}
