// Framers on real connections: per-connection instances, a framer handshake that
// holds ready, and a framer failure that hands the race to the next candidate.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

taps::Preconnection server(taps::FramerSpec framer) {
  taps::Preconnection p({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {});
  p.add_framer(std::move(framer));
  return p;
}

taps::Preconnection client(std::vector<std::uint16_t> ports, taps::FramerSpec framer) {
  taps::Preconnection p;
  for (auto port : ports) p.add_remote(taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port));
  p.add_framer(std::move(framer));
  return p;
}

std::uint16_t listen(taps::Context& ctx, const taps::Preconnection& p, taps::ListenerHandlers h, taps::Listener& out) {
  std::uint16_t port = 0;
  h.listening = [&](const std::vector<taps::ListeningEndpoint>& l) {
    port = test::port_of(l.front().local);
    ctx.stop();
  };
  auto l = p.listen(ctx, std::move(h));
  REQUIRE(l);
  out = *l;
  REQUIRE(test::run_for(ctx, 5s));
  return port;
}

// Says `greeting` at start and is ready only when the peer answers "OK"; "NO" fails it.
// Counts its instances through state its factory shares, on purpose.
struct Handshake final : taps::Framer {
  std::string greeting;
  bool ready = false;
  explicit Handshake(std::string g) : greeting(std::move(g)) {}
  std::string_view name() const override { return "handshake"; }
  void start(taps::FramerContext& ctx) override {
    ctx.send(taps::Message(greeting + "\n"));
  }
  void on_new_sent_message(taps::FramerContext& ctx, taps::Message m, const taps::MessageContext&) override {
    m.bytes().push_back('\n');
    ctx.send(std::move(m));
  }
  void on_received_data(taps::FramerContext& ctx) override {
    for (;;) {
      auto bytes = ctx.parse(1, 1 << 20);
      auto newline = std::find(bytes.begin(), bytes.end(), '\n');
      if (newline == bytes.end()) return;
      std::string line(bytes.begin(), newline);
      auto n = static_cast<std::size_t>(newline - bytes.begin());
      if (!ready) {
        ctx.advance(n + 1);
        if (line == "OK") {
          ready = true;
          ctx.make_ready();
        } else {
          ctx.fail(taps::make_error(taps::errc::framing_error, "handshake refused: " + line));
          return;
        }
        continue;
      }
      taps::MessageContext mctx;
      mctx.set("handshake", "greeting", greeting);
      ctx.deliver_and_advance(n, std::move(mctx), true);
      ctx.advance(1);
    }
  }
};

taps::FramerSpec handshake_framer(std::shared_ptr<int> instances) {
  return {"handshake", [instances] {
            ++*instances;
            return std::make_unique<Handshake>("HELLO");
          }};
}

// A plain-line server that answers a client's greeting line with `answer`, then echoes.
struct GreetingServer {
  taps::Listener listener;
  std::uint16_t port = 0;
  std::vector<taps::Connection> connections;
  std::vector<std::string> greetings;

  GreetingServer(taps::Context& ctx, std::string answer) {
    taps::ListenerHandlers h;
    h.connection_received = [this, answer](taps::Connection c) {
      connections.push_back(c);
      taps::ConnectionHandlers ch;
      ch.received = [this, c, answer, first = true](taps::Message m, taps::MessageContext) mutable {
        if (first) {
          greetings.emplace_back(m.as_string_view());
          c.send(taps::Message(answer));
          first = false;
        } else {
          c.send(std::move(m));
        }
        c.receive();
      };
      c.receive();
      return ch;
    };
    port = listen(ctx, server(taps::line_framer()), std::move(h), listener);
  }
};

}  // namespace

TEST_CASE("an lp Listener serves 50 clients with their own framers and a garbage sender fails alone") {
  taps::Context ctx;
  int server_instances = 0;
  taps::FramerSpec counted{"lp", [&server_instances] {
                             ++server_instances;
                             return taps::length_prefix_framer().factory();
                           }};
  std::vector<taps::Connection> server_side;
  std::vector<taps::Error> server_errors;
  taps::ListenerHandlers lh;
  lh.connection_received = [&](taps::Connection c) {
    server_side.push_back(c);
    taps::ConnectionHandlers h;
    h.received = [c](taps::Message m, taps::MessageContext) mutable {
      c.send(std::move(m));
      c.receive();
    };
    h.received_partial = [c](taps::Message, taps::MessageContext, bool end) mutable {
      if (!end) return;
      taps::MessageContext fin;
      fin.final = true;
      c.send(taps::Message{}, fin);
    };
    h.connection_error = [&](const taps::Error& e) { server_errors.push_back(e); };
    c.receive();
    return h;
  };
  taps::Listener listener;
  auto port = listen(ctx, server(counted), std::move(lh), listener);

  constexpr int clients = 50, messages = 20;
  int finished = 0;
  std::map<int, std::vector<std::string>> got;
  std::vector<taps::Connection> connections(clients);
  for (int i = 0; i < clients; ++i) {
    taps::ConnectionHandlers h;
    h.received = [&, i](taps::Message m, taps::MessageContext) {
      got[i].emplace_back(m.as_string_view());
      connections[static_cast<std::size_t>(i)].receive();
    };
    h.received_partial = [&](taps::Message, taps::MessageContext, bool) {};
    h.closed = [&] {
      if (++finished == clients) ctx.stop();
    };
    h.connection_error = [&](const taps::Error& e) { FAIL("client: " << e.message()); };
    auto c = client({port}, taps::length_prefix_framer()).initiate(ctx, h);
    REQUIRE(c);
    connections[static_cast<std::size_t>(i)] = *c;
    for (int n = 0; n < messages; ++n) c->send(taps::Message("client " + std::to_string(i) + " message " + std::to_string(n)));
    taps::MessageContext fin;
    fin.final = true;
    c->send(taps::Message{}, fin);
    c->receive();
  }
  // One more client without a framer, sending a length that exceeds the maximum.
  taps::Preconnection raw({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)});
  taps::ConnectionHandlers rh;
  rh.connection_error = [](const taps::Error&) {};
  auto garbage = raw.initiate(ctx, rh);
  REQUIRE(garbage);
  garbage->send(taps::Message(std::string("\xff\xff\xff\xffjunk", 8)));

  REQUIRE(test::run_for(ctx, 20s));
  CHECK(finished == clients);
  for (int i = 0; i < clients; ++i) {
    REQUIRE(got[i].size() == messages);
    for (int n = 0; n < messages; ++n) CHECK(got[i][static_cast<std::size_t>(n)] == "client " + std::to_string(i) + " message " + std::to_string(n));
  }
  test::run_for(ctx, 200ms);
  CHECK(server_instances == clients + 1);  // one framer per Connection, the garbage one too
  REQUIRE(server_errors.size() == 1);
  CHECK(server_errors.front().code == taps::errc::framing_error);
  garbage->abort();
  listener.stop();
  test::run_for(ctx, 50ms);
}

TEST_CASE("a framer holds ready until its handshake is done and messages sent before ready follow") {
  taps::Context ctx;
  GreetingServer greeter(ctx, "OK");
  auto instances = std::make_shared<int>(0);
  bool ready = false;
  std::size_t greetings_at_ready = 0;
  std::vector<std::string> replies;
  std::vector<std::string> metadata;
  taps::Connection c;
  taps::ConnectionHandlers h;
  h.ready = [&] {
    ready = true;
    greetings_at_ready = greeter.greetings.size();
  };
  h.received = [&](taps::Message m, taps::MessageContext mctx) {
    replies.emplace_back(m.as_string_view());
    metadata.push_back(mctx.get("handshake", "greeting").value_or("?"));
    if (replies.size() == 2) ctx.stop();
    c.receive();
  };
  c = *client({greeter.port}, handshake_framer(instances)).initiate(ctx, h);
  c.send(taps::Message("early one"));
  c.send(taps::Message("early two"));
  c.receive();
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(ready);
  CHECK(greetings_at_ready == 1);
  CHECK(greeter.greetings == std::vector<std::string>{"HELLO"});
  CHECK(replies == std::vector<std::string>{"early one", "early two"});
  CHECK(metadata == std::vector<std::string>{"HELLO", "HELLO"});
  CHECK(*instances == 1);
  c.abort();
  for (auto& s : greeter.connections) s.abort();
  test::run_for(ctx, 50ms);
}

TEST_CASE("a framer that fails during the race makes the next candidate win with a fresh framer") {
  taps::Context ctx;
  GreetingServer refuses(ctx, "NO");
  GreetingServer accepts(ctx, "OK");
  auto instances = std::make_shared<int>(0);
  std::vector<taps::RaceEvent> events;
  bool ready = false;
  taps::Connection c;
  taps::ConnectionHandlers h;
  h.race = [&](const taps::RaceEvent& e) { events.push_back(e); };
  h.ready = [&] {
    ready = true;
    ctx.stop();
  };
  h.establishment_error = [&](const taps::Error& e) { FAIL(e.message()); };
  c = *client({refuses.port, accepts.port}, handshake_framer(instances)).initiate(ctx, h);
  REQUIRE(test::run_for(ctx, 10s));
  CHECK(ready);
  CHECK(c.remote_endpoint() == "127.0.0.1:" + std::to_string(accepts.port));
  CHECK(*instances == 2);
  CHECK(refuses.greetings.size() == 1);
  CHECK(accepts.greetings.size() == 1);
  bool first_failed = false;
  for (const auto& e : events) {
    if (e.kind == taps::RaceEvent::Kind::attempt_failed && e.attempt_id == 1) {
      first_failed = e.detail.find("handshake refused: NO") != std::string::npos;
    }
  }
  CHECK(first_failed);
  // Ready means ready: the refused candidate never reported ready, the winner once.
  int ready_events = 0;
  for (const auto& e : events) {
    if (e.kind != taps::RaceEvent::Kind::ready) continue;
    ++ready_events;
    CHECK(e.attempt_id == 2);
  }
  CHECK(ready_events == 1);

  // With no candidate left, the framer's reason is the establishment error.
  std::optional<taps::Error> error;
  taps::ConnectionHandlers only;
  only.establishment_error = [&](const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto lone = client({refuses.port}, handshake_framer(instances)).initiate(ctx, only);
  REQUIRE(test::run_for(ctx, 10s));
  REQUIRE(error);
  CHECK(error->code == taps::errc::establishment_failed);
  CHECK(error->message().find("handshake refused: NO") != std::string::npos);
  c.abort();
  for (auto* s : {&refuses, &accepts})
    for (auto& conn : s->connections) conn.abort();
  test::run_for(ctx, 50ms);
}
