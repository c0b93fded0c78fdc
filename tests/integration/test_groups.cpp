// Connection groups (RFC 9622 section 7.4) over TCP on loopback: Clone, group-wide
// properties, groupConnLimit and CloneError, close_group and abort_group.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

// A TCP Listener on 127.0.0.1 that counts what it accepts and how those connections end.
struct Server {
  taps::Listener listener;
  std::uint16_t port = 0;
  std::vector<taps::Connection> accepted;
  int ended = 0;  // closed or connection_error
  std::vector<taps::Error> clone_errors;

  explicit Server(taps::Context& ctx) {
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.connection_received = [this](taps::Connection c) {
      accepted.push_back(c);
      taps::ConnectionHandlers ch;
      // The peer's FIN: answer with ours.
      ch.received_partial = [c](taps::Message, taps::MessageContext, bool end) mutable {
        if (!end) {
          c.receive();
          return;
        }
        taps::MessageContext fin;
        fin.final = true;
        c.send(taps::Message{}, fin);
      };
      ch.closed = [this] { ++ended; };
      ch.connection_error = [this](const taps::Error&) { ++ended; };
      ch.clone_error = [this](const taps::Error& e) { clone_errors.push_back(e); };
      c.receive();
      return ch;
    };
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {})
                 .listen(ctx, std::move(h));
    REQUIRE(l);
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
  }
};

taps::Preconnection tcp_to(std::uint16_t port) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)});
}

// Handlers that count the events of one Connection and stop ctx at ready.
struct Events {
  int ready = 0, closed = 0, errors = 0;
  std::vector<taps::Error> clone_errors;

  taps::ConnectionHandlers handlers(taps::Context& ctx) {
    taps::ConnectionHandlers h;
    h.ready = [this, &ctx] {
      ++ready;
      ctx.stop();
    };
    h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
    h.closed = [this] { ++closed; };
    h.connection_error = [this](const taps::Error&) { ++errors; };
    h.clone_error = [this, &ctx](const taps::Error& e) {
      clone_errors.push_back(e);
      ctx.stop();
    };
    return h;
  }
};

std::optional<taps::PropertyValue> property(const taps::Connection& c, std::string_view name) {
  for (auto& p : c.get_properties()) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("clone over TCP: a new connection in the same group with the same properties") {
  taps::Context ctx;
  Server server(ctx);
  auto p = tcp_to(server.port);
  REQUIRE_FALSE(p.transport_properties().connection.set("connCapacityProfile", std::string("scavenger")));
  Events first, second;
  auto original = p.initiate(ctx, first.handlers(ctx));
  REQUIRE(original);
  REQUIRE(test::run_for(ctx, 5s));
  auto clone = original->clone(second.handlers(ctx));
  REQUIRE(clone);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(second.ready == 1);
  CHECK(clone.group_id() == original->group_id());
  CHECK(clone.group_id() != 0);
  CHECK(clone.local_endpoint() != original->local_endpoint());
  CHECK(clone.remote_endpoint() == original->remote_endpoint());
  CHECK(server.accepted.size() == 2);
  CHECK(clone.get_properties() == original->get_properties());
  int fd = test::socket_with_local_port(test::port_of(clone.local_endpoint()));
  REQUIRE(fd >= 0);
  CHECK(test::int_option(fd, IPPROTO_IP, IP_TOS) == 1 << 2);
  // Another Initiate is another group.
  Events other;
  auto separate = p.initiate(ctx, other.handlers(ctx));
  REQUIRE(separate);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(separate->group_id() != original->group_id());
  original->abort_group();
  separate->abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("a property set on one Connection of a group is seen by all, except connPriority") {
  taps::Context ctx;
  Server server(ctx);
  Events first, second;
  auto original = tcp_to(server.port).initiate(ctx, first.handlers(ctx));
  REQUIRE(original);
  REQUIRE(test::run_for(ctx, 5s));
  auto clone = original->clone(second.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE_FALSE(clone.set_property("connCapacityProfile", std::string("lowLatencyInteractive")));
  REQUIRE_FALSE(clone.set_property("tcp.userTimeoutValue", std::int64_t{33}));
  REQUIRE_FALSE(clone.set_property("connPriority", std::int64_t{5}));
  CHECK(property(*original, "connCapacityProfile") == taps::PropertyValue(std::string("lowLatencyInteractive")));
  CHECK(property(*original, "tcp.userTimeoutValue") == taps::PropertyValue(std::int64_t{33}));
  CHECK(property(*original, "connPriority") == taps::PropertyValue(std::int64_t{100}));
  CHECK(property(clone, "connPriority") == taps::PropertyValue(std::int64_t{5}));
  // The original's socket changed too, not only its table.
  int fd = test::socket_with_local_port(test::port_of(original->local_endpoint()));
  REQUIRE(fd >= 0);
  CHECK(test::int_option(fd, IPPROTO_IP, IP_TOS) == 46 << 2);
  original->abort_group();
  test::run_for(ctx, 50ms);
}

TEST_CASE("groupConnLimit: a clone beyond it is refused with clone_error on the Connection cloned") {
  taps::Context ctx;
  Server server(ctx);
  auto p = tcp_to(server.port);
  REQUIRE_FALSE(p.transport_properties().connection.set("groupConnLimit", std::int64_t{2}));
  Events first, second, third;
  auto original = p.initiate(ctx, first.handlers(ctx));
  REQUIRE(original);
  REQUIRE(test::run_for(ctx, 5s));
  auto clone = original->clone(second.handlers(ctx));
  REQUIRE(clone);
  REQUIRE(test::run_for(ctx, 5s));
  auto refused = original->clone(third.handlers(ctx));
  CHECK_FALSE(refused);
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE(first.clone_errors.size() == 1);
  CHECK(first.clone_errors[0].code == taps::errc::clone_failed);
  CHECK(first.clone_errors[0].detail == "groupConnLimit is 2: the group holds 2 Connections");
  CHECK(third.ready == 0);
  CHECK(server.accepted.size() == 2);
  // A closed member frees its place; raising the limit on any member raises it for all.
  clone.abort();
  test::run_for(ctx, 50ms);
  Events fourth;
  auto again = original->clone(fourth.handlers(ctx));
  REQUIRE(again);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(fourth.ready == 1);
  original->abort_group();
  test::run_for(ctx, 50ms);
}

TEST_CASE("close_group closes every Connection of the group, and only those") {
  taps::Context ctx;
  Server server(ctx);
  Events a, b, c, outsider;
  auto original = tcp_to(server.port).initiate(ctx, a.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  original->clone(b.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  original->clone(c.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  auto other = tcp_to(server.port).initiate(ctx, outsider.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  original->close_group();
  test::run_for(ctx, 500ms);
  CHECK(a.closed == 1);
  CHECK(b.closed == 1);
  CHECK(c.closed == 1);
  CHECK(outsider.closed == 0);
  CHECK(server.ended == 3);
  other->abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("abort_group aborts every Connection of the group") {
  taps::Context ctx;
  Server server(ctx);
  Events a, b;
  auto original = tcp_to(server.port).initiate(ctx, a.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  original->clone(b.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  original->abort_group();
  test::run_for(ctx, 200ms);
  CHECK(a.errors == 1);
  CHECK(b.errors == 1);
  CHECK(server.ended == 2);
}

TEST_CASE("a Connection a Listener accepted cannot be cloned: clone_error says why") {
  taps::Context ctx;
  Server server(ctx);
  Events a;
  auto original = tcp_to(server.port).initiate(ctx, a.handlers(ctx));
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE(server.accepted.size() == 1);
  auto refused = server.accepted[0].clone({});
  CHECK_FALSE(refused);
  test::run_for(ctx, 100ms);
  REQUIRE(server.clone_errors.size() == 1);
  CHECK(server.clone_errors[0].code == taps::errc::clone_failed);
  CHECK(server.clone_errors[0].detail.starts_with("this Connection cannot be cloned: a Listener accepted it"));
  CHECK(server.accepted.size() == 1);
  original->abort();
  test::run_for(ctx, 50ms);
}
