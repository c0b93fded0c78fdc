#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

taps::TransportProperties udp() {
  taps::TransportProperties p;
  p.prohibit("reliability");
  return p;
}

}  // namespace

TEST_CASE("UDP Listen gives one Connection per remote endpoint and keeps datagram boundaries") {
  taps::Context ctx;
  std::uint16_t port = 0;
  std::map<std::string, std::vector<std::string>> server_got;  // remote -> datagrams
  std::vector<taps::Connection> server_connections;
  taps::ListenerHandlers lh;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    server_connections.push_back(c);
    taps::ConnectionHandlers h;
    h.received = [&, c](taps::Message m, taps::MessageContext mc) mutable {
      CHECK(mc.remote_endpoint == c.remote_endpoint());
      server_got[mc.remote_endpoint].emplace_back(m.as_string_view());
      c.send(taps::Message("echo " + std::string(m.as_string_view())));
      c.receive();
    };
    c.receive();
    return h;
  };
  auto listener = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}, udp())
                      .listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  struct Client {
    taps::Connection connection;
    std::vector<std::string> got;
  };
  std::vector<Client> clients(2);
  int replies = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    taps::ConnectionHandlers h;
    h.received = [&, i](taps::Message m, taps::MessageContext) {
      clients[i].got.emplace_back(m.as_string_view());
      if (++replies == 6) ctx.stop();
      clients[i].connection.receive();
    };
    auto p = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)}, udp());
    auto c = p.initiate(ctx, h);
    REQUIRE(c);
    clients[i].connection = *c;
    std::string name(1, static_cast<char>('A' + i));
    // Different sizes: a boundary that moved would show.
    for (int n = 1; n <= 3; ++n) c->send(taps::Message(name + std::string(static_cast<std::size_t>(n * 100), '.')));
    c->receive();
  }
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(server_connections.size() == 2);
  REQUIRE(server_got.size() == 2);
  for (const auto& [remote, datagrams] : server_got) {
    CAPTURE(remote);
    REQUIRE(datagrams.size() == 3);
    for (std::size_t n = 0; n < 3; ++n) CHECK(datagrams[n].size() == 1 + (n + 1) * 100);
    CHECK(datagrams[0][0] == datagrams[2][0]);  // every datagram of a peer on its own Connection
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    REQUIRE(clients[i].got.size() == 3);
    for (const auto& reply : clients[i].got) CHECK(reply[5] == static_cast<char>('A' + i));
  }
  for (auto& c : clients) c.connection.close();
  for (auto& c : server_connections) c.close();
  listener->stop();
  test::run_for(ctx, 100ms);
}

TEST_CASE("UDP over ::1: a datagram larger than UDP can carry is a send_error, the rest go out") {
  taps::Context ctx;
  std::uint16_t port = 0;
  std::vector<std::size_t> sizes;
  taps::Connection server_side;
  taps::ListenerHandlers lh;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    server_side = c;
    taps::ConnectionHandlers h;
    h.received = [&, c](taps::Message m, taps::MessageContext) mutable {
      sizes.push_back(m.size());
      if (sizes.size() == 2) ctx.stop();
      c.receive();
    };
    c.receive();
    return h;
  };
  auto listener =
      taps::Preconnection({taps::LocalEndpoint().with_ip_address("::1").with_port(0)}, {}, udp()).listen(ctx, lh);
  REQUIRE(listener);
  REQUIRE(test::run_for(ctx, 5s));

  std::vector<taps::MessageId> sent, failed;
  taps::ConnectionHandlers h;
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  h.send_error = [&](const taps::MessageContext& m, const taps::Error& e) {
    CHECK(e.code == taps::errc::message_too_large);
    failed.push_back(m.id);
  };
  auto c = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("::1").with_port(port)}, udp())
               .initiate(ctx, h);
  REQUIRE(c);
  auto a = c->send(taps::Message(std::string(1000, 'a')));
  auto b = c->send(taps::Message(std::string(70000, 'b')));
  auto d = c->send(taps::Message(std::string(65507, 'd')));
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(sent == std::vector{a, d});
  CHECK(failed == std::vector{b});
  CHECK(sizes == std::vector<std::size_t>{1000, 65507});
  c->close();
  server_side.close();
  listener->stop();
  test::run_for(ctx, 100ms);
}
