// Message properties that act (RFC 9622 9.1.3) over real loopback sockets.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

// A TCP Listener that keeps every byte its one connection receives, as on the wire.
struct WireRecorder {
  taps::Listener listener;
  std::uint16_t port = 0;
  taps::Connection connection;
  std::string bytes;
  bool ended = false;

  WireRecorder(taps::Context& ctx, const std::string& address) {
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.connection_received = [this, &ctx](taps::Connection c) {
      connection = c;
      taps::ConnectionHandlers ch;
      ch.received_partial = [this, &ctx](taps::Message m, taps::MessageContext, bool end) {
        bytes += m.as_string_view();
        if (!end) {
          connection.receive();
          return;
        }
        ended = true;
        connection.close();
        ctx.stop();
      };
      c.receive();
      return ch;
    };
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address(address).with_port(0)}, {}).listen(ctx, h);
    REQUIRE(l);
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
    REQUIRE(port != 0);
  }
};

taps::MessageContext with_priority(int priority) {
  taps::MessageContext ctx;
  ctx.msg_priority = priority;
  return ctx;
}

}  // namespace

TEST_CASE("msgPriority orders messages queued before ready; equal ones keep send order, final goes last") {
  taps::Context ctx;
  WireRecorder server(ctx, "127.0.0.1");
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  pre.add_framer(taps::line_framer());
  std::vector<taps::MessageId> sent;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  h.send_error = [](const taps::MessageContext&, const taps::Error& e) { FAIL("send_error: " << e.message()); };
  auto c = pre.initiate(ctx, h);
  REQUIRE(c);
  auto a = c->send(taps::Message("a-100"), with_priority(100));
  auto b = c->send(taps::Message("b-5"), with_priority(5));
  auto d = c->send(taps::Message("c-100"), with_priority(100));
  auto e = c->send(taps::Message("d-0"), with_priority(0));
  auto f = c->send(taps::Message("e-5"), with_priority(5));
  auto last = with_priority(0);
  last.final = true;
  auto g = c->send(taps::Message("f-final-0"), last);
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(server.ended);
  CHECK(server.bytes == "d-0\nb-5\ne-5\na-100\nc-100\nf-final-0\n");
  // Events come in the order the messages went out.
  CHECK(sent == std::vector<taps::MessageId>{e, b, f, a, d, g});
}

TEST_CASE("a negative msgPriority is a send_error naming the property") {
  taps::Context ctx;
  WireRecorder server(ctx, "127.0.0.1");
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  std::optional<taps::Error> error;
  taps::ConnectionHandlers h;
  h.send_error = [&](const taps::MessageContext&, const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto c = pre.initiate(ctx, h);
  REQUIRE(c);
  c->send(taps::Message("x"), with_priority(-1));
  REQUIRE(test::run_for(ctx, 10s));
  REQUIRE(error);
  CHECK(error->code == taps::errc::invalid_configuration);
  CHECK(error->detail.find("msgPriority") != std::string::npos);
  c->abort();
  test::run_for(ctx, 100ms);
}

namespace {

// A plain UDP socket that reports the TOS / Traffic Class byte of each datagram
// (IP_RECVTOS, IPV6_RECVTCLASS): a peer independent of the library under test.
struct TosReceiver {
  int fd = -1;
  bool v6;
  std::uint16_t port = 0;

  explicit TosReceiver(bool ipv6) : v6(ipv6) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    int on = 1;
    if (v6) {
      REQUIRE(::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on) == 0);
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    } else {
      REQUIRE(::setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on) == 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~TosReceiver() { ::close(fd); }

  // The payload and TOS byte of the next datagram; TOS -1 when none came.
  std::pair<std::string, int> next() {
    std::string payload(70000, '\0');
    iovec iov{payload.data(), payload.size()};
    alignas(cmsghdr) unsigned char control[256];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    auto n = ::recvmsg(fd, &msg, 0);
    if (n < 0) return {"", -1};
    payload.resize(static_cast<std::size_t>(n));
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)) return {payload, *CMSG_DATA(c)};
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        int tclass = 0;
        std::memcpy(&tclass, CMSG_DATA(c), sizeof tclass);
        return {payload, tclass};
      }
    }
    return {payload, -1};
  }
};

taps::Preconnection udp_to(const std::string& address, std::uint16_t port) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address(address).with_port(port)},
                             taps::TransportProperties::unreliable_datagram());
}

taps::MessageContext with_profile(std::optional<taps::CapacityProfile> p) {
  taps::MessageContext ctx;
  ctx.msg_capacity_profile = p;
  return ctx;
}

void dscp_per_datagram(bool v6) {
  TosReceiver receiver(v6);
  taps::Context ctx;
  int sent = 0;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext&) {
    if (++sent == 4) ctx.stop();
  };
  h.send_error = [](const taps::MessageContext&, const taps::Error& e) { FAIL("send_error: " << e.message()); };
  auto c = udp_to(v6 ? "::1" : "127.0.0.1", receiver.port).initiate(ctx, h);
  REQUIRE(c);
  c->send(taps::Message("seeking"), with_profile(taps::CapacityProfile::capacity_seeking));
  c->send(taps::Message("plain"), with_profile(std::nullopt));
  c->send(taps::Message("interactive"), with_profile(taps::CapacityProfile::low_latency_interactive));
  c->send(taps::Message("scavenger"), with_profile(taps::CapacityProfile::scavenger));
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(receiver.next() == std::pair<std::string, int>{"seeking", 10 << 2});  // AF11
  CHECK(receiver.next() == std::pair<std::string, int>{"plain", 0});
  CHECK(receiver.next() == std::pair<std::string, int>{"interactive", 46 << 2});  // EF
  CHECK(receiver.next() == std::pair<std::string, int>{"scavenger", 1 << 2});  // LE
  c->close();
  test::run_for(ctx, 1s);
}

}  // namespace

TEST_CASE("msgCapacityProfile sets the DSCP of each UDP datagram over 127.0.0.1") { dscp_per_datagram(false); }
TEST_CASE("msgCapacityProfile sets the DSCP of each UDP datagram over ::1") { dscp_per_datagram(true); }

// ::1 has an MTU of 65536: the largest UDP payload (65507) plus the IPv6 and UDP headers
// is 65555 bytes, one packet only when fragmented.
TEST_CASE("noFragmentation: a datagram larger than the path MTU is a send_error (EMSGSIZE), not fragments") {
  TosReceiver receiver(true);
  taps::Context ctx;
  std::optional<taps::Error> error;
  std::vector<taps::MessageId> sent;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) {
    sent.push_back(m.id);
    if (sent.size() == 2) ctx.stop();
  };
  h.send_error = [&](const taps::MessageContext&, const taps::Error& e) { error = e; };
  auto c = udp_to("::1", receiver.port).initiate(ctx, h);
  REQUIRE(c);
  std::string big(65507, 'x');
  taps::MessageContext df;
  df.no_fragmentation = true;
  c->send(taps::Message(big), df);
  auto small = c->send(taps::Message("fits"), df);
  auto fragmented = c->send(taps::Message(big));
  REQUIRE(test::run_for(ctx, 10s));
  REQUIRE(error);
  CHECK(error->code == std::errc::message_size);
  INFO(error->detail);
  CHECK(error->detail.find("noFragmentation") != std::string::npos);
  CHECK(sent == std::vector<taps::MessageId>{small, fragmented});
  CHECK(receiver.next().first == "fits");
  CHECK(receiver.next().first.size() == big.size());  // without the property it is fragmented
  c->close();
  test::run_for(ctx, 1s);
}
