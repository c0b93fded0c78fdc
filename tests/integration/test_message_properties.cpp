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

taps::MessageContext with_priority(int priority) {
  taps::MessageContext ctx;
  ctx.msg_priority = priority;
  return ctx;
}

}  // namespace

TEST_CASE("msgPriority orders messages queued before ready; equal ones keep send order, final goes last") {
  taps::Context ctx;
  test::WireRecorder server(ctx, "127.0.0.1");
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
  test::WireRecorder server(ctx, "127.0.0.1");
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

namespace {

// Sends "abc", "def", "ghi" as the pieces of one message; returns the ids of its events.
std::vector<taps::MessageId> send_three_pieces(taps::Connection& c, std::vector<taps::MessageId>& returned) {
  taps::MessageContext ctx;
  returned.push_back(c.send(taps::Message("abc"), ctx, false));
  ctx.id = returned.front();
  returned.push_back(c.send(taps::Message("def"), ctx, false));
  returned.push_back(c.send(taps::Message("ghi"), ctx, true));
  return returned;
}

}  // namespace

TEST_CASE("partial send: three pieces arrive as one message over TCP with the line framer") {
  taps::Context ctx;
  taps::ListenerHandlers lh;
  std::uint16_t port = 0;
  std::vector<std::string> messages;
  taps::Connection server_side;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    server_side = c;
    taps::ConnectionHandlers h;
    h.received = [&](taps::Message m, taps::MessageContext) {
      messages.emplace_back(m.as_string_view());
      if (messages.size() == 2) ctx.stop();
      server_side.receive();
    };
    c.receive();
    return h;
  };
  auto server = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {});
  server.add_framer(taps::line_framer());
  auto listener = server.listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)});
  pre.add_framer(taps::line_framer());
  std::vector<taps::MessageId> sent;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  h.send_error = [](const taps::MessageContext&, const taps::Error& e) { FAIL("send_error: " << e.message()); };
  taps::Connection client = *pre.initiate(ctx, h);
  std::vector<taps::MessageId> returned;
  send_three_pieces(client, returned);
  // A whole message sent while the first is open waits for its end.
  auto other = client.send(taps::Message("whole"));
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(messages == std::vector<std::string>{"abcdefghi", "whole"});
  auto id = returned.front();
  CHECK(returned == std::vector<taps::MessageId>{id, id, id});
  CHECK(sent == std::vector<taps::MessageId>{id, id, id, other});  // one event per send() call
  client.abort();
  test::run_for(ctx, 100ms);
}

TEST_CASE("partial send: pieces are appended byte-exact on a TCP stream without framer") {
  taps::Context ctx;
  test::WireRecorder server(ctx, "127.0.0.1");
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  int sent = 0;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext&) { ++sent; };
  taps::Connection client = *pre.initiate(ctx, h);
  std::vector<taps::MessageId> returned;
  send_three_pieces(client, returned);
  taps::MessageContext fin;
  fin.final = true;
  client.send(taps::Message{}, fin);
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(server.ended);
  CHECK(server.bytes == "abcdefghi");
  CHECK(sent == 4);
  client.abort();
  test::run_for(ctx, 100ms);
}

TEST_CASE("partial send: a message sent in parts over UDP is one datagram, sent after its last piece") {
  TosReceiver receiver(false);
  taps::Context ctx;
  std::vector<taps::MessageId> sent;
  std::vector<taps::MessageId> returned;
  taps::MessageContext first;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) {
    sent.push_back(m.id);
    if (sent.size() == 1) {
      // The rest of the open message, once the whole one sent after it is out.
      first.id = returned.front();
      returned.push_back(client.send(taps::Message("def"), first, false));
      returned.push_back(client.send(taps::Message("ghi"), first, true));
    }
    if (sent.size() == 4) ctx.stop();
  };
  client = *udp_to("127.0.0.1", receiver.port).initiate(ctx, h);
  returned.push_back(client.send(taps::Message("abc"), first, false));
  auto whole = client.send(taps::Message("whole"));  // complete: it passes the open one
  REQUIRE(test::run_for(ctx, 10s));
  auto id = returned.front();
  CHECK(sent == std::vector<taps::MessageId>{whole, id, id, id});
  CHECK(receiver.next().first == "whole");
  CHECK(receiver.next().first == "abcdefghi");
  client.close();
  test::run_for(ctx, 1s);
}

TEST_CASE("partial send: a second message sent in parts while one is open is a send_error") {
  taps::Context ctx;
  test::WireRecorder server(ctx, "127.0.0.1");
  auto pre = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(server.port)});
  std::optional<taps::Error> error;
  taps::ConnectionHandlers h;
  h.send_error = [&](const taps::MessageContext&, const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  taps::Connection client = *pre.initiate(ctx, h);
  client.send(taps::Message("a"), {}, false);
  client.send(taps::Message("b"), {}, false);
  REQUIRE(test::run_for(ctx, 10s));
  REQUIRE(error);
  CHECK(error->detail.find("still open") != std::string::npos);
  client.abort();
  test::run_for(ctx, 100ms);
}
