#include <doctest/doctest.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

taps::Preconnection tcp_server(const std::string& address) {
  return taps::Preconnection({taps::LocalEndpoint().with_ip_address(address).with_port(0)}, {});
}

taps::Preconnection tcp_client(const std::string& address, std::uint16_t port) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address(address).with_port(port)});
}

// A Listener whose connections send back what they receive and end when the peer ends.
struct EchoServer {
  taps::Listener listener;
  std::uint16_t port = 0;
  std::vector<taps::Connection> connections;
  int closed = 0;
  std::vector<taps::Error> errors;

  EchoServer(taps::Context& ctx, const std::string& address) {
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.connection_received = [this](taps::Connection c) {
      connections.push_back(c);
      taps::ConnectionHandlers ch;
      ch.received_partial = [this, c](taps::Message m, taps::MessageContext, bool end) mutable {
        if (!m.empty()) c.send(std::move(m));
        if (end) {
          taps::MessageContext fin;
          fin.final = true;
          c.send(taps::Message{}, fin);
        } else {
          c.receive();
        }
      };
      ch.closed = [this] { ++closed; };
      ch.connection_error = [this](const taps::Error& e) { errors.push_back(e); };
      c.receive();
      return ch;
    };
    auto l = tcp_server(address).listen(ctx, std::move(h));
    REQUIRE(l);
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
    REQUIRE(port != 0);
  }
};

void echo_messages(const std::string& address) {
  taps::Context ctx;
  EchoServer server(ctx, address);

  constexpr int count = 10000;
  std::string expected, received;
  std::vector<taps::MessageId> ids, sent_ids;
  bool ready = false, closed = false;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.ready = [&] { ready = true; };
  h.sent = [&](const taps::MessageContext& ctx) { sent_ids.push_back(ctx.id); };
  h.received_partial = [&](taps::Message m, taps::MessageContext, bool end) {
    received += m.as_string_view();
    if (!end) client.receive();
  };
  h.closed = [&] {
    closed = true;
    ctx.stop();
  };
  h.connection_error = [&](const taps::Error& e) { FAIL("connection_error: " << e.message()); };
  auto c = tcp_client(address, server.port).initiate(ctx, h);
  REQUIRE(c);
  client = *c;
  for (int i = 0; i < count; ++i) {
    std::string text = "message " + std::to_string(i) + "\n";
    expected += text;
    ids.push_back(client.send(taps::Message(text)));
  }
  taps::MessageContext fin;
  fin.final = true;
  ids.push_back(client.send(taps::Message{}, fin));
  client.receive();
  REQUIRE(test::run_for(ctx));
  CHECK(ready);
  CHECK(closed);
  CHECK(sent_ids == ids);  // one sent event per send, in order, with the message's own id
  CHECK(received.size() == expected.size());
  CHECK(received == expected);
  test::run_for(ctx, 200ms);
  CHECK(server.closed == 1);
  CHECK(server.errors.empty());
}

}  // namespace

TEST_CASE("TCP echo of 10000 messages in order over 127.0.0.1") { echo_messages("127.0.0.1"); }
TEST_CASE("TCP echo of 10000 messages in order over ::1") { echo_messages("::1"); }

TEST_CASE("close delivers everything and a FIN while abort resets the peer") {
  taps::Context ctx;
  taps::Connection server_side;
  std::string server_got;
  bool server_end = false, server_closed = false;
  std::optional<taps::Error> server_error;
  taps::ListenerHandlers lh;
  std::uint16_t port = 0;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    server_side = c;
    taps::ConnectionHandlers h;
    h.received_partial = [&](taps::Message m, taps::MessageContext, bool end) {
      server_got += m.as_string_view();
      server_end = end;
      if (!end) server_side.receive();
      else server_side.close();
    };
    h.closed = [&] {
      server_closed = true;
      ctx.stop();
    };
    h.connection_error = [&](const taps::Error& e) {
      server_error = e;
      ctx.stop();
    };
    c.receive();
    return h;
  };
  auto listener = tcp_server("127.0.0.1").listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  SUBCASE("close") {
    bool client_closed = false;
    taps::Connection client;
    taps::ConnectionHandlers h;
    h.ready = [&] {
      client.send(taps::Message(std::string(100000, 'x')));
      client.close();
    };
    h.closed = [&] { client_closed = true; };
    client = *tcp_client("127.0.0.1", port).initiate(ctx, h);
    REQUIRE(test::run_for(ctx, 10s));
    test::run_for(ctx, 100ms);
    CHECK(server_got.size() == 100000);
    CHECK(server_end);
    CHECK(server_closed);
    CHECK(client_closed);
  }
  SUBCASE("abort") {
    std::optional<taps::Error> client_error;
    bool client_closed = false;
    taps::Connection client;
    taps::ConnectionHandlers h;
    h.ready = [&] { test::after(ctx, 50ms, [&] { client.abort(); }); };
    h.closed = [&] { client_closed = true; };
    h.connection_error = [&](const taps::Error& e) { client_error = e; };
    client = *tcp_client("127.0.0.1", port).initiate(ctx, h);
    REQUIRE(test::run_for(ctx, 10s));
    test::run_for(ctx, 100ms);
    REQUIRE(client_error);
    CHECK(client_error->code == taps::errc::connection_aborted);
    CHECK(!client_closed);
    REQUIRE(server_error);
    CHECK(server_error->code == taps::errc::connection_reset);
    CHECK(!server_closed);
  }
}

TEST_CASE("without a receive() call there is no received event and the sender is held back") {
  taps::Context ctx;
  constexpr std::size_t total = 32 * 1024 * 1024;
  constexpr std::size_t chunk = 64 * 1024;
  std::size_t sent_bytes = 0;
  taps::Connection server_side;
  std::uint16_t port = 0;
  taps::ListenerHandlers lh;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    server_side = c;
    for (std::size_t i = 0; i < total / chunk; ++i) c.send(taps::Message(std::vector<std::uint8_t>(chunk, 'z')));
    taps::ConnectionHandlers h;
    h.sent = [&](const taps::MessageContext&) { sent_bytes += chunk; };
    return h;
  };
  auto listener = tcp_server("127.0.0.1").listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  std::size_t received = 0;
  int receive_events = 0;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.received_partial = [&](taps::Message m, taps::MessageContext, bool) {
    ++receive_events;
    received += m.size();
    if (received < total) client.receive();
    else ctx.stop();
  };
  client = *tcp_client("127.0.0.1", port).initiate(ctx, h);
  test::run_for(ctx, 500ms);
  CHECK(receive_events == 0);
  CHECK(received == 0);
  // Kernel buffers and the engine's bounded queue hold a few MiB, never the 32 MiB.
  CHECK(sent_bytes < total / 2);

  client.receive();
  REQUIRE(test::run_for(ctx, 20s));
  CHECK(received == total);
  CHECK(sent_bytes == total);
}

TEST_CASE("establishment errors: refused is an event and bad configuration fails at once") {
  taps::Context ctx;
  // A port that nothing listens on: bind one, note it, close it.
  std::uint16_t closed_port = 0;
  {
    taps::ListenerHandlers lh;
    lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
      closed_port = test::port_of(l.front().local);
      ctx.stop();
    };
    auto l = tcp_server("127.0.0.1").listen(ctx, lh);
    REQUIRE(test::run_for(ctx, 5s));
    l->stop();
    test::run_for(ctx, 50ms);
  }
  std::optional<taps::Error> error;
  bool handler_ran_inside_initiate = false;
  bool in_initiate = true;
  taps::ConnectionHandlers h;
  h.establishment_error = [&](const taps::Error& e) {
    handler_ran_inside_initiate = in_initiate;
    error = e;
    ctx.stop();
  };
  auto c = tcp_client("127.0.0.1", closed_port).initiate(ctx, h);
  in_initiate = false;
  REQUIRE(c);
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE(error);
  CHECK(!handler_ran_inside_initiate);
  CHECK(error->code == taps::errc::establishment_failed);
  CHECK(error->message().find("refused") != std::string::npos);
  CHECK(error->message().find(std::to_string(closed_port)) != std::string::npos);

  taps::Preconnection no_remote;
  auto r = no_remote.initiate(ctx, {});
  REQUIRE(!r);
  CHECK(r.error().code == taps::errc::invalid_configuration);

  auto bad_address = tcp_client("300.1.2.3", 80).initiate(ctx, {});
  REQUIRE(!bad_address);
  CHECK(bad_address.error().message().find("300.1.2.3") != std::string::npos);

  auto p = tcp_client("127.0.0.1", 80);
  p.transport_properties().require("reliability").require("preserveMsgBoundaries");
  auto unsatisfiable = p.initiate(ctx, {});
  REQUIRE(!unsatisfiable);
  CHECK(unsatisfiable.error().code == taps::errc::unsatisfiable_properties);
  CHECK(unsatisfiable.error().message().find("preserveMsgBoundaries") != std::string::npos);
}

TEST_CASE("a host name is resolved asynchronously and raced: localhost reaches a ::1 or 127.0.0.1 listener") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  std::vector<taps::RaceEvent> events;
  bool ready = false;
  taps::ConnectionHandlers h;
  h.race = [&](const taps::RaceEvent& e) { events.push_back(e); };
  h.ready = [&] {
    ready = true;
    ctx.stop();
  };
  h.establishment_error = [&](const taps::Error& e) { FAIL(e.message()); };
  auto p = taps::Preconnection({}, {taps::RemoteEndpoint().with_host_name("localhost").with_port(server.port)});
  p.transport_properties().connection_attempt_delay = 20ms;
  auto c = p.initiate(ctx, h);
  REQUIRE(c);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(ready);
  REQUIRE(!events.empty());
  CHECK(events.front().kind == taps::RaceEvent::Kind::resolve);
  CHECK(events.back().kind == taps::RaceEvent::Kind::ready);
  CHECK(events.back().remote == "127.0.0.1:" + std::to_string(server.port));
  c->abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("close() on a peer that never finishes its side aborts after the linger bound, with a reason") {
  taps::Context ctx;
  std::vector<taps::Connection> held;  // the server reads nothing and never closes
  taps::ListenerHandlers lh;
  std::uint16_t port = 0;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    held.push_back(c);
    return taps::ConnectionHandlers{};
  };
  auto listener = tcp_server("127.0.0.1").listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  std::optional<taps::Error> error;
  bool closed = false;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.ready = [&] { client.close(); };
  h.closed = [&] {
    closed = true;
    ctx.stop();
  };
  h.connection_error = [&](const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto started = std::chrono::steady_clock::now();
  client = *tcp_client("127.0.0.1", port).initiate(ctx, h);
  REQUIRE(test::run_for(ctx, 45s));
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(!closed);
  REQUIRE(error);
  CHECK(error->code == std::errc::timed_out);
  CHECK(error->message().find("did not finish closing within 30 s") != std::string::npos);
  CHECK(waited >= 29s);
  for (auto& c : held) c.abort();
  listener->stop();
  test::run_for(ctx, 50ms);
}


// RFC 9622 keepAlive (selection) and keepAliveTimeout (connection property) reach the
// socket: read back with getsockopt on the Connection's own descriptor.
TEST_CASE("keepAlive sets SO_KEEPALIVE and keepAliveTimeout sets TCP_KEEPIDLE and TCP_KEEPINTVL") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  struct Case {
    taps::Preference keep_alive;
    std::optional<std::chrono::seconds> timeout;
    int so_keepalive, idle, interval;  // idle, interval: -1 = not checked (system default)
  };
  for (auto c : {Case{taps::Preference::no_preference, 7s, 0, -1, -1}, Case{taps::Preference::prefer, {}, 1, -1, -1},
                 Case{taps::Preference::require, 7s, 1, 7, 7}}) {
    CAPTURE(static_cast<int>(c.keep_alive));
    taps::ConnectionHandlers h;
    h.ready = [&] { ctx.stop(); };
    h.establishment_error = [&](const taps::Error& e) { FAIL(e.message()); };
    auto p = tcp_client("127.0.0.1", server.port);
    p.transport_properties().set("keepAlive", c.keep_alive);
    p.transport_properties().connection.keep_alive_timeout = c.timeout;
    auto connection = p.initiate(ctx, h);
    REQUIRE(connection);
    REQUIRE(test::run_for(ctx, 5s));
    int fd = test::socket_with_local_port(test::port_of(connection->local_endpoint()));
    REQUIRE(fd >= 0);
    CHECK(test::int_option(fd, SOL_SOCKET, SO_KEEPALIVE) == c.so_keepalive);
    if (c.idle >= 0) CHECK(test::int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == c.idle);
    if (c.interval >= 0) CHECK(test::int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL) == c.interval);
    connection->abort();
    test::run_for(ctx, 50ms);
  }
}
