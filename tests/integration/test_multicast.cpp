// Multicast through the public API on the loopback interface: no namespace needed,
// since datagrams sent out of lo come back in on lo.
#include <doctest/doctest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

// A group and port of this process: tests of parallel runs do not hear each other.
std::string test_group(int n) { return "239.77." + std::to_string(n) + "." + std::to_string(getpid() % 250 + 1); }
std::uint16_t test_port() { return static_cast<std::uint16_t>(20000 + getpid() % 20000); }

taps::TransportProperties datagrams() {
  taps::TransportProperties p;
  p.prohibit("reliability");
  return p;
}

taps::Preconnection receive_from(const std::string& group, std::optional<std::string> source) {
  taps::LocalEndpoint local;
  local.with_port(test_port()).with_interface("lo");
  if (source) local.with_single_source_multicast_group(group, *source);
  else local.with_any_source_multicast_group(group);
  return taps::Preconnection({local}, {}, datagrams());
}

taps::Preconnection send_to(const std::string& group, const std::string& from) {
  taps::RemoteEndpoint remote;
  remote.with_ip_address(group).with_port(test_port()).with_interface("lo");
  return taps::Preconnection({taps::LocalEndpoint().with_ip_address(from)}, {remote}, datagrams());
}

struct Received {
  std::vector<std::string> payloads;
  std::vector<taps::MessageContext> contexts;
  std::vector<taps::Connection> connections;
  std::vector<taps::Error> send_errors;
};

// Listens, sends `count` datagrams from `from` once joined, and runs until `expect`
// datagrams arrived.
Received exchange(taps::Context& ctx, const taps::Preconnection& rx, const std::string& group, const std::string& from,
                  int count, std::size_t expect) {
  Received got;
  std::vector<taps::MulticastJoin> joins;
  taps::Connection sender;
  taps::ListenerHandlers lh;
  lh.joined = [&](const taps::MulticastJoin& j) {
    joins.push_back(j);
    auto s = send_to(group, from).initiate(ctx, {});
    REQUIRE(s);
    sender = *s;
    for (int i = 0; i < count; ++i) sender.send(taps::Message("datagram " + std::to_string(i)));
  };
  lh.establishment_error = [&](const taps::Error& e) {
    FAIL(e.message());
    ctx.stop();
  };
  lh.connection_received = [&](taps::Connection c) {
    got.connections.push_back(c);
    taps::ConnectionHandlers h;
    h.received = [&, c](taps::Message m, taps::MessageContext mc) mutable {
      got.payloads.emplace_back(m.as_string_view());
      got.contexts.push_back(mc);
      if (got.payloads.size() == expect) ctx.stop();
      c.receive();
    };
    h.send_error = [&](const taps::MessageContext&, const taps::Error& e) { got.send_errors.push_back(e); };
    c.receive();
    return h;
  };
  auto listener = rx.listen(ctx, lh);
  REQUIRE(listener);
  CHECK(test::run_for(ctx, 5s));
  REQUIRE(joins.size() == 1);
  CHECK(joins.front().interface_name == "lo");
  // Try to send on the received connection: receive-only.
  if (!got.connections.empty()) {
    got.connections.front().send(taps::Message("back"));
    test::after(ctx, 100ms, [&] { ctx.stop(); });
    test::run_for(ctx, 2s);
  }
  for (auto& c : got.connections) c.close();
  sender.close();
  listener->stop();
  test::after(ctx, 50ms, [&] { ctx.stop(); });
  test::run_for(ctx, 2s);
  return got;
}

}  // namespace

TEST_CASE("Initiate on a receive-only multicast Preconnection is an establishment error at once") {
  taps::Context ctx;
  for (auto rx : {receive_from("232.1.1.1", "10.0.0.1"), receive_from("239.1.1.1", std::nullopt)}) {
    bool event = false;
    taps::ConnectionHandlers h;
    h.establishment_error = [&](const taps::Error&) { event = true; };
    auto c = rx.initiate(ctx, h);
    REQUIRE(!c);
    CHECK(c.error().code == taps::errc::establishment_failed);
    CHECK(c.error().detail.find("receive-only multicast") != std::string::npos);
    CHECK(rx.validate_for_initiate().has_value());
    test::after(ctx, 20ms, [&] { ctx.stop(); });
    test::run_for(ctx, 1s);
    CHECK(!event);
  }
}

TEST_CASE("multicast Listen rejects what cannot work at once") {
  taps::Context ctx;
  auto no_port = taps::Preconnection({taps::LocalEndpoint().with_any_source_multicast_group("239.1.1.1")}, {}, datagrams());
  CHECK(no_port.listen(ctx, {}).error().code == taps::errc::invalid_configuration);
  auto unicast = taps::Preconnection(
      {taps::LocalEndpoint().with_any_source_multicast_group("10.1.1.1").with_port(5000)}, {}, datagrams());
  CHECK(unicast.listen(ctx, {}).error().code == taps::errc::invalid_configuration);
  auto mixed = taps::Preconnection(
      {taps::LocalEndpoint().with_single_source_multicast_group("ff3e::1", "10.0.0.1").with_port(5000)}, {}, datagrams());
  CHECK(mixed.listen(ctx, {}).error().code == taps::errc::invalid_configuration);
  taps::TransportProperties reliable;
  reliable.require("reliability");
  auto tcp = taps::Preconnection({taps::LocalEndpoint().with_any_source_multicast_group("239.1.1.1").with_port(5000)},
                                 {}, reliable);
  CHECK(tcp.listen(ctx, {}).error().code == taps::errc::unsatisfiable_properties);
}

TEST_CASE("multicast ASM on lo gives one Connection per sender with group and interface in each context and send fails") {
  taps::Context ctx;
  auto group = test_group(1);
  auto got = exchange(ctx, receive_from(group, std::nullopt), group, "127.0.0.1", 3, 3);
  REQUIRE(got.payloads == std::vector<std::string>{"datagram 0", "datagram 1", "datagram 2"});
  CHECK(got.connections.size() == 1);
  for (const auto& mc : got.contexts) {
    CHECK(mc.local_endpoint == group + ":" + std::to_string(test_port()));
    CHECK(mc.remote_endpoint.starts_with("127.0.0.1:"));
    CHECK(mc.get("_taps.multicast", "interface") == "lo");
  }
  REQUIRE(got.send_errors.size() == 1);
  CHECK(got.send_errors.front().code == taps::errc::receive_only);
}

TEST_CASE("multicast SSM on lo does not deliver datagrams from another source") {
  taps::Context ctx;
  auto group = "232.77.1." + std::to_string(getpid() % 250 + 1);
  // 127.0.0.2 is not the source: nothing from it may arrive, while 127.0.0.1's does.
  auto rx = receive_from(group, "127.0.0.1");
  Received wrong;
  {
    std::vector<taps::MulticastJoin> joins;
    taps::ListenerHandlers lh;
    taps::Connection other, right;
    lh.joined = [&](const taps::MulticastJoin& j) {
      joins.push_back(j);
      other = *send_to(group, "127.0.0.2").initiate(ctx, {});
      other.send(taps::Message("wrong"));
      test::after(ctx, 100ms, [&] {
        right = *send_to(group, "127.0.0.1").initiate(ctx, {});
        right.send(taps::Message("right"));
      });
    };
    lh.connection_received = [&](taps::Connection c) {
      wrong.connections.push_back(c);
      taps::ConnectionHandlers h;
      h.received = [&](taps::Message m, taps::MessageContext) {
        wrong.payloads.emplace_back(m.as_string_view());
        ctx.stop();
      };
      c.receive();
      return h;
    };
    auto listener = rx.listen(ctx, lh);
    REQUIRE(listener);
    CHECK(test::run_for(ctx, 5s));
    REQUIRE(joins.size() == 1);
    CHECK(joins.front().source == "127.0.0.1");
    CHECK(wrong.payloads == std::vector<std::string>{"right"});
    for (auto& c : wrong.connections) c.close();
    other.close();
    right.close();
    listener->stop();
    test::after(ctx, 50ms, [&] { ctx.stop(); });
    test::run_for(ctx, 2s);
  }
}

TEST_CASE("receive on a send-only multicast Connection is a receive_error at once") {
  taps::Context ctx;
  std::optional<taps::Error> error;
  taps::ConnectionHandlers h;
  h.receive_error = [&](const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto sender = send_to(test_group(9), "127.0.0.1").initiate(ctx, h);
  REQUIRE(sender);
  sender->receive();
  CHECK(test::run_for(ctx, 2s));
  REQUIRE(error);
  CHECK(error->code == taps::errc::send_only);
  CHECK(error->detail.find("send-only") != std::string::npos);
  sender->close();
}

TEST_CASE("multicast send batches (sendmmsg, UDP GSO runs of equal sizes) arrive as single datagrams, in order") {
  taps::Context ctx;
  auto group = test_group(9);
  // 300 sends in one handler: runs of 10-, 11- and 12-byte datagrams, each run one GSO
  // buffer; each must still arrive as its own datagram, with its arrival metadata.
  auto got = exchange(ctx, receive_from(group, std::nullopt), group, "127.0.0.1", 300, 300);
  REQUIRE(got.payloads.size() == 300);
  for (int i = 0; i < 300; ++i) CHECK(got.payloads[static_cast<std::size_t>(i)] == "datagram " + std::to_string(i));
  for (const auto& mc : got.contexts) {
    CHECK(mc.received_at_ns > 0);
    CHECK(mc.received_hop_limit == 1);  // _taps.multicastHopLimit 1, no router on lo
  }
}
