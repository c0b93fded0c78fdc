// Message properties that act (RFC 9622 9.1.3) over real loopback sockets.
#include <doctest/doctest.h>

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
    h.listening = [this, &ctx](const std::vector<std::string>& locals) {
      port = test::port_of(locals.front());
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
