// Rendezvous (RFC 9622 section 7.3) through the public API: two Preconnections of one
// process meet over loopback, each the other's remote endpoint.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "harness.hpp"
#include "taps/taps.hpp"

using namespace std::chrono_literals;

namespace {

// A port that nothing of this host uses right now (the kernel's pick for port 0).
std::uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

taps::TransportProperties udp() {
  taps::TransportProperties p;
  p.prohibit("reliability");
  return p;
}

taps::Preconnection peer(std::uint16_t local_port, std::uint16_t remote_port, taps::TransportProperties props = {}) {
  return taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(local_port)},
                             {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(remote_port)},
                             std::move(props));
}

// One side of a rendezvous: keeps what arrives, and has `greeting` to send.
struct Side {
  explicit Side(std::string g) : greeting(std::move(g)) {}
  std::string greeting;
  taps::Connection connection;
  bool done = false, ready = false;
  std::string got, error;
  std::size_t expect = 0;              // the peer's greeting size
  std::function<void()> on_progress;  // after each event

  taps::ConnectionHandlers handlers() {
    taps::ConnectionHandlers h;
    h.rendezvous_done = [this] {
      done = true;
      connection.receive();
      on_progress();
    };
    h.ready = [this] { ready = true; };
    // A byte stream without a framer delivers received_partial, UDP received.
    auto arrived = [this](const taps::Message& m) {
      got += m.as_string_view();
      if (got.size() < expect) connection.receive();
      on_progress();
    };
    h.received = [arrived](taps::Message m, taps::MessageContext) { arrived(m); };
    h.received_partial = [arrived](taps::Message m, taps::MessageContext, bool) { arrived(m); };
    h.establishment_error = [this](const taps::Error& e) {
      error = e.message();
      on_progress();
    };
    return h;
  }
};

// Runs a rendezvous of two sides, the second starting `gap` after the first; once both
// are done each sends its greeting (over UDP, a datagram sent before the peer is bound
// is lost), until each has the other's greeting or one failed. `ctx` outlives the
// sides' Connections.
void meet(taps::Context& ctx, Side& a, Side& b, const taps::Preconnection& pa, const taps::Preconnection& pb,
          std::chrono::milliseconds gap) {
  a.expect = b.greeting.size();
  b.expect = a.greeting.size();
  bool sent = false;
  a.on_progress = b.on_progress = [&] {
    if (a.done && b.done && !sent) {
      sent = true;
      a.connection.send(taps::Message(a.greeting));
      b.connection.send(taps::Message(b.greeting));
    }
    if ((a.got.size() >= a.expect && b.got.size() >= b.expect) || !a.error.empty() || !b.error.empty()) ctx.stop();
  };
  auto ca = pa.rendezvous(ctx, a.handlers(), 10s);
  REQUIRE(ca);
  a.connection = *ca;
  test::after(ctx, gap, [&] {
    auto cb = pb.rendezvous(ctx, b.handlers(), 10s);
    REQUIRE(cb);
    b.connection = *cb;
  });
  REQUIRE(test::run_for(ctx, 15s));
  a.connection.abort();
  b.connection.abort();
}

}  // namespace

TEST_CASE("rendezvous over TCP: both peers get one Connection to the other and bytes go both ways") {
  for (auto gap : {0ms, 350ms}) {
    CAPTURE(gap.count());
    auto pa = free_port(SOCK_STREAM), pb = free_port(SOCK_STREAM);
    taps::Context ctx;
    Side a{"hello from A"}, b{"and from B, a little longer"};
    meet(ctx, a, b, peer(pa, pb), peer(pb, pa), gap);
    CHECK(a.error.empty());
    CHECK(b.error.empty());
    CHECK(a.done);
    CHECK(b.done);
    CHECK_FALSE(a.ready);  // rendezvous_done stands for ready
    CHECK_FALSE(b.ready);
    CHECK(a.got == b.greeting);
    CHECK(b.got == a.greeting);
    CHECK(a.connection.stack() == "tcp");
    CHECK(a.connection.remote_endpoint() == "127.0.0.1:" + std::to_string(pb));
    CHECK(a.connection.local_endpoint() == "127.0.0.1:" + std::to_string(pa));
    CHECK(b.connection.remote_endpoint() == "127.0.0.1:" + std::to_string(pa));
  }
}

TEST_CASE("rendezvous over UDP: done at once, datagrams both ways") {
  auto pa = free_port(SOCK_DGRAM), pb = free_port(SOCK_DGRAM);
  taps::Context ctx;
  Side a{"datagram from A"}, b{"datagram from B"};
  meet(ctx, a, b, peer(pa, pb, udp()), peer(pb, pa, udp()), 100ms);
  CHECK(a.error.empty());
  CHECK(b.error.empty());
  CHECK(a.done);
  CHECK(b.done);
  CHECK(a.got == b.greeting);
  CHECK(b.got == a.greeting);
  CHECK(a.connection.stack() == "udp");
  CHECK(a.connection.remote_endpoint() == "127.0.0.1:" + std::to_string(pb));
}

TEST_CASE("rendezvous over TCP turns away a stranger on its port and waits for the peer") {
  auto pa = free_port(SOCK_STREAM), pb = free_port(SOCK_STREAM);
  taps::Context ctx;
  bool done = false, stranger_closed = false, peer_done = false;
  taps::ConnectionHandlers h;
  h.rendezvous_done = [&] {
    done = true;
    if (peer_done) ctx.stop();
  };
  h.establishment_error = [&](const taps::Error& e) { FAIL(e.message()); };
  auto a = peer(pa, pb).rendezvous(ctx, h, 5s);
  REQUIRE(a);
  // From 127.0.0.2: the address is not the peer's, whatever the port.
  taps::ConnectionHandlers sh;
  taps::Connection stranger;
  sh.ready = [&] { stranger.receive(); };
  auto ended = [&](const taps::MessageContext& c) {
    if (c.final) stranger_closed = true;
    else stranger.receive();
  };
  sh.received = [&, ended](taps::Message, taps::MessageContext c) { ended(c); };
  sh.received_partial = [&, ended](taps::Message, taps::MessageContext c, bool) { ended(c); };
  sh.receive_error = [&](const taps::Error&) { stranger_closed = true; };
  sh.connection_error = [&](const taps::Error&) { stranger_closed = true; };
  test::after(ctx, 200ms, [&] {
    auto s = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.2")},
                                 {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(pa)})
                 .initiate(ctx, sh, 2s);
    REQUIRE(s);
    stranger = *s;
  });
  test::after(ctx, 800ms, [&] { ctx.stop(); });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(stranger_closed);
  CHECK_FALSE(done);
  // The peer comes now and is met.
  taps::ConnectionHandlers bh;
  bh.rendezvous_done = [&] {
    peer_done = true;
    if (done) ctx.stop();
  };
  auto b = peer(pb, pa).rendezvous(ctx, bh, 5s);
  REQUIRE(b);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(done);
  CHECK(a->remote_endpoint() == "127.0.0.1:" + std::to_string(pb));
  a->abort();
  b->abort();
  stranger.abort();
}

TEST_CASE("rendezvous without a peer ends in establishment_error at its timeout") {
  auto pa = free_port(SOCK_STREAM), pb = free_port(SOCK_STREAM);
  taps::Context ctx;
  std::optional<taps::Error> error;
  taps::ConnectionHandlers h;
  h.rendezvous_done = [&] { FAIL("rendezvous_done without a peer"); };
  h.establishment_error = [&](const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto started = std::chrono::steady_clock::now();
  auto a = peer(pa, pb).rendezvous(ctx, h, 400ms);
  REQUIRE(a);
  REQUIRE(test::run_for(ctx, 5s));
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(error);
  CHECK(error->code == taps::errc::establishment_timeout);
  CHECK(error->message().find("no rendezvous within 400 ms") != std::string::npos);
  CHECK(took >= 400ms);
}

TEST_CASE("rendezvous configuration errors come at once, with the reason") {
  taps::Context ctx;
  taps::ConnectionHandlers h;
  h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
  auto remote = taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(5000);
  auto local = taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(5001);

  auto no_local = taps::Preconnection({}, {remote}).rendezvous(ctx, h);
  REQUIRE_FALSE(no_local);
  CHECK(no_local.error().code == taps::errc::invalid_configuration);
  CHECK(no_local.error().message().find("Rendezvous needs a local endpoint with a port") != std::string::npos);

  auto no_port = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1")}, {remote}).rendezvous(ctx, h);
  REQUIRE_FALSE(no_port);
  CHECK(no_port.error().message().find("with a port") != std::string::npos);

  auto no_remote = taps::Preconnection({local}, {}).rendezvous(ctx, h);
  REQUIRE_FALSE(no_remote);
  CHECK(no_remote.error().message().find("Rendezvous needs a remote endpoint") != std::string::npos);

  taps::SecurityParameters tls;
  tls.allowed_security_protocols = {"tls1.3"};
  auto secure = taps::Preconnection({local}, {remote}, {}, tls).rendezvous(ctx, h);
  REQUIRE_FALSE(secure);
  CHECK(secure.error().code == taps::errc::not_supported);
  CHECK(secure.error().message().find("Rendezvous over tls/tcp is not supported") != std::string::npos);
  CHECK(test::run_for(ctx, 100ms) == false);  // no event follows
}
