// QUIC streams as a connection group (RFC 9622 section 7.4, DESIGN.md section 10) on
// loopback: clone opens streams of one QUIC connection, the Listener marks every stream
// of a connection with one group, a server's streams reach the client's stream_received,
// abort resets one stream only, close_group and abort_group end the QUIC connection.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

const taps::EphemeralIdentity& identity() {
  static const auto made = taps::EphemeralIdentity::generate({"localhost", "127.0.0.1"});
  REQUIRE_MESSAGE(made, (made ? "" : made.error().message()));
  return *made;
}

taps::TransportProperties quic_only() {
  taps::TransportProperties p;
  p.set("multistreaming", taps::Preference::require);
  return p;
}

// Bytes that tell streams apart: stream `n`'s payload never equals another's.
std::string payload(std::size_t n, std::size_t size) {
  std::string s;
  s.reserve(size);
  for (std::size_t i = 0; s.size() < size; ++i) s += std::to_string(n) + ":" + std::to_string(i) + ",";
  s.resize(size);
  return s;
}

std::string text(const taps::Message& m) { return std::string(m.bytes().begin(), m.bytes().end()); }

// One Connection's view: what arrived, and how it ended.
struct Stream {
  taps::Connection connection;
  std::string received;
  bool ended = false;   // the peer's end arrived
  bool closed = false;  // closed
  std::optional<taps::Error> error;
  std::vector<taps::Error> send_errors, receive_errors, clone_errors;

  bool finished() const { return closed || error.has_value(); }
};

// Handlers that record into `s`; `echo`: every chunk goes back, and the peer's end is
// answered with ours.
taps::ConnectionHandlers record(Stream& s, bool echo) {
  taps::ConnectionHandlers h;
  h.received_partial = [&s, echo](taps::Message m, taps::MessageContext, bool end) {
    s.received += text(m);
    if (echo && !m.empty()) s.connection.send(std::move(m));
    if (!end) {
      s.connection.receive();
      return;
    }
    s.ended = true;
    if (echo) {
      taps::MessageContext fin;
      fin.final = true;
      s.connection.send(taps::Message{}, fin);
    }
  };
  h.closed = [&s] { s.closed = true; };
  h.connection_error = [&s](const taps::Error& e) { s.error = e; };
  h.send_error = [&s](const taps::MessageContext&, const taps::Error& e) { s.send_errors.push_back(e); };
  h.receive_error = [&s](const taps::Error& e) { s.receive_errors.push_back(e); };
  h.clone_error = [&s](const taps::Error& e) { s.clone_errors.push_back(e); };
  return h;
}

// A QUIC Listener on 127.0.0.1; every stream it receives is recorded (and echoed when
// `echo`). std::map: the Stream objects stay where they are.
struct Server {
  taps::Listener listener;
  std::uint16_t port = 0;
  std::map<std::size_t, Stream> streams;
  bool echo = true;

  explicit Server(taps::Context& ctx) {
    auto security = taps::SecurityParameters::tls();
    security.ephemeral_server_identity = identity();
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.connection_received = [this](taps::Connection c) {
      auto& s = streams[streams.size()];
      s.connection = c;
      c.receive();
      return record(s, echo);
    };
    h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}, quic_only(),
                                 std::move(security))
                 .listen(ctx, std::move(h));
    REQUIRE(l);
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
  }

  std::size_t finished() const {
    std::size_t n = 0;
    for (const auto& [i, s] : streams) n += s.finished();
    return n;
  }
};

taps::Preconnection quic_to(std::uint16_t port) {
  auto security = taps::SecurityParameters::tls();
  security.pinned_server_certificate = {identity().spki_pin()};
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)}, quic_only(),
                             std::move(security));
}

// Runs ctx until `done` holds (checked every 10 ms) or `limit` passes.
bool run_until(taps::Context& ctx, const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  std::function<void()> poll;
  poll = [&] {
    if (done()) {
      ctx.stop();
      return;
    }
    test::after(ctx, 10ms, poll);
  };
  test::after(ctx, 0ms, poll);
  return test::run_for(ctx, limit) || done();
}

// The client's first stream, ready.
taps::Connection initiate(taps::Context& ctx, const Server& server, Stream& first,
                          taps::ConnectionHandlers extra = {}) {
  auto h = record(first, false);
  bool ready = false;
  h.ready = [&ready] { ready = true; };
  h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
  h.stream_received = std::move(extra.stream_received);
  auto c = quic_to(server.port).initiate(ctx, std::move(h));
  REQUIRE(c);
  first.connection = *c;
  REQUIRE(run_until(ctx, [&] { return ready; }, 10s));
  CHECK(c->stack() == "quic");
  return *c;
}

void send_final(taps::Connection& c, const std::string& bytes) {
  taps::MessageContext fin;
  fin.final = true;
  c.send(taps::Message(std::vector<std::uint8_t>(bytes.begin(), bytes.end())), fin);
}

}  // namespace

TEST_CASE("QUIC clone: 100 streams of one group at once, each intact, and the Listener marks them with one group") {
  taps::Context ctx;
  Server server(ctx);
  constexpr std::size_t count = 100;  // our initial_max_streams_bidi: every stream at once
  constexpr std::size_t size = 32 * 1024;  // several packets per stream, interleaved
  std::map<std::size_t, Stream> client;
  auto first = initiate(ctx, server, client[0]);
  std::size_t ready = 1;
  for (std::size_t i = 1; i < count; ++i) {
    auto& s = client[i];
    auto h = record(s, false);
    h.ready = [&ready] { ++ready; };
    s.connection = first.clone(std::move(h));
    REQUIRE(s.connection);
  }
  REQUIRE(run_until(ctx, [&] { return ready == count; }));
  std::set<std::int64_t> ids;
  for (auto& [i, s] : client) {
    CHECK(s.connection.group_id() == first.group_id());
    REQUIRE(s.connection.stream_id());
    ids.insert(*s.connection.stream_id());
    s.connection.receive();
    send_final(s.connection, payload(i, size));
  }
  CHECK(ids.size() == count);
  CHECK(*ids.begin() == 0);  // the client's first bidirectional stream
  REQUIRE(run_until(ctx, [&] {
    std::size_t done = 0;
    for (auto& [i, s] : client) done += s.finished();
    return done == count && server.finished() == count;
  }, 60s));
  for (auto& [i, s] : client) {
    CHECK_MESSAGE(s.closed, i);
    CHECK_MESSAGE(!s.error, i);
    CHECK_MESSAGE(s.received == payload(i, size), i);  // the echo of its own payload, whole
  }
  REQUIRE(server.streams.size() == count);
  auto group = server.streams[0].connection.group_id();
  CHECK(group != 0);
  for (auto& [i, s] : server.streams) {
    CHECK(s.connection.group_id() == group);
    CHECK(s.closed);
  }
  // Another QUIC connection is another group on the Listener's side too.
  Stream other;
  auto second = initiate(ctx, server, other);
  send_final(second, "x");
  second.receive();
  REQUIRE(run_until(ctx, [&] { return other.finished() && server.finished() == count + 1; }));
  CHECK(server.streams[count].connection.group_id() != group);
  CHECK(second.group_id() != first.group_id());
}

TEST_CASE("QUIC clone with direction unidirectional_send: a stream that only sends") {
  taps::Context ctx;
  Server server(ctx);
  server.echo = false;
  Stream first, oneway;
  auto c = initiate(ctx, server, first);
  auto props = quic_only();
  props.set_direction(taps::Direction::unidirectional_send);
  bool ready = false;
  auto h = record(oneway, false);
  h.ready = [&ready] { ready = true; };
  oneway.connection = c.clone(std::move(h), std::nullopt, props);
  REQUIRE(oneway.connection);
  REQUIRE(run_until(ctx, [&] { return ready; }));
  REQUIRE(oneway.connection.stream_id());
  CHECK(*oneway.connection.stream_id() % 4 == 2);  // client-initiated, unidirectional (RFC 9000 2.1)
  oneway.connection.receive();
  send_final(oneway.connection, "one way only");
  // It ends once its FIN is acknowledged: no answer can come.
  REQUIRE(run_until(ctx, [&] { return oneway.finished() && server.streams.size() == 1 && server.streams[0].ended; }));
  CHECK(oneway.closed);
  CHECK(oneway.receive_errors.size() == 1);
  auto& received = server.streams[0];
  CHECK(received.received == "one way only");
  CHECK(received.connection.group_id() != 0);
  // The server cannot answer on it.
  received.connection.send(taps::Message(std::vector<std::uint8_t>{'n', 'o'}));
  REQUIRE(run_until(ctx, [&] { return !received.send_errors.empty(); }));
  CHECK(received.send_errors.front().code == taps::errc::not_supported);
  received.connection.close();
  // A clone that only receives is the peer's to open.
  props.set_direction(taps::Direction::unidirectional_receive);
  CHECK_FALSE(c.clone({}, std::nullopt, props));
  REQUIRE(run_until(ctx, [&] { return !first.clone_errors.empty(); }));
  CHECK(first.clone_errors.front().code == taps::errc::clone_failed);
  c.abort_group();
  REQUIRE(run_until(ctx, [&] { return first.finished(); }));
}

TEST_CASE("QUIC: a stream the server opens (clone of an accepted Connection) reaches the client's stream_received") {
  taps::Context ctx;
  Server server(ctx);
  server.echo = false;
  Stream first, pushed;
  int offered = 0;
  taps::ConnectionHandlers extra;
  extra.stream_received = [&](taps::Connection c) {
    ++offered;
    pushed.connection = c;
    c.receive();
    return record(pushed, true);
  };
  auto c = initiate(ctx, server, first, extra);
  send_final(c, "hello");
  REQUIRE(run_until(ctx, [&] { return server.streams.size() == 1 && server.streams[0].ended; }));
  auto& accepted = server.streams[0];
  Stream from_server;
  bool ready = false;
  auto h = record(from_server, false);
  h.ready = [&ready] { ready = true; };
  from_server.connection = accepted.connection.clone(std::move(h));
  REQUIRE(from_server.connection);
  REQUIRE(run_until(ctx, [&] { return ready; }));
  REQUIRE(from_server.connection.stream_id());
  CHECK(*from_server.connection.stream_id() % 4 == 1);  // server-initiated, bidirectional
  CHECK(from_server.connection.group_id() == accepted.connection.group_id());
  from_server.connection.receive();
  auto bytes = payload(7, 200 * 1024);
  send_final(from_server.connection, bytes);
  REQUIRE(run_until(ctx, [&] { return from_server.finished() && pushed.finished(); }));
  CHECK(offered == 1);
  CHECK(pushed.connection.group_id() == c.group_id());
  CHECK(pushed.connection.stream_id() == from_server.connection.stream_id());
  CHECK(pushed.received == bytes);
  CHECK(from_server.received == bytes);  // the client's echo
  CHECK(from_server.closed);
  CHECK(pushed.closed);
}

TEST_CASE("QUIC: abort resets only that stream, and the group's other streams go on") {
  taps::Context ctx;
  Server server(ctx);
  Stream first, doomed;
  auto c = initiate(ctx, server, first);
  bool ready = false;
  auto h = record(doomed, false);
  h.ready = [&ready] { ready = true; };
  doomed.connection = c.clone(std::move(h));
  REQUIRE(run_until(ctx, [&] { return ready; }));
  // Both streams reach the server before the abort.
  c.send(taps::Message(std::vector<std::uint8_t>{'a'}));
  doomed.connection.send(taps::Message(std::vector<std::uint8_t>{'b'}));
  REQUIRE(run_until(ctx, [&] {
    return server.streams.size() == 2 && !server.streams[0].received.empty() && !server.streams[1].received.empty();
  }));
  auto& server_doomed = server.streams[0].received == "b" ? server.streams[0] : server.streams[1];
  auto& server_first = server.streams[0].received == "b" ? server.streams[1] : server.streams[0];
  doomed.connection.abort();
  REQUIRE(run_until(ctx, [&] { return doomed.finished() && server_doomed.finished(); }));
  REQUIRE(doomed.error);
  CHECK(doomed.error->code == taps::errc::connection_aborted);
  REQUIRE(server_doomed.error);
  CHECK(server_doomed.error->message().find("reset QUIC stream") != std::string::npos);
  // The first stream and the QUIC connection live on.
  c.receive();
  send_final(c, "still here");
  REQUIRE(run_until(ctx, [&] { return first.finished() && server_first.finished(); }));
  CHECK(first.closed);
  CHECK(first.received == "astill here");
  CHECK(server_first.closed);
}

TEST_CASE("QUIC close_group: every stream closes, then the QUIC connection") {
  taps::Context ctx;
  Server server(ctx);
  std::map<std::size_t, Stream> client;
  auto c = initiate(ctx, server, client[0]);
  for (std::size_t i = 1; i < 3; ++i) {
    client[i].connection = c.clone(record(client[i], false));
    REQUIRE(client[i].connection);
  }
  for (auto& [i, s] : client) {
    s.connection.receive();
    s.connection.send(taps::Message(std::vector<std::uint8_t>{'x'}));
  }
  REQUIRE(run_until(ctx, [&] { return server.streams.size() == 3; }));
  c.close_group();
  REQUIRE(run_until(ctx, [&] {
    std::size_t done = 0;
    for (auto& [i, s] : client) done += s.finished();
    return done == 3 && server.finished() == 3;
  }));
  for (auto& [i, s] : client) {
    CHECK_MESSAGE(s.closed, i);
    CHECK_MESSAGE(!s.error, i);
  }
  for (auto& [i, s] : server.streams) CHECK(s.closed);
  // The QUIC connection is gone: no stream can be opened on it.
  Stream late;
  late.connection = c.clone(record(late, false));
  CHECK_FALSE(late.connection);
}

TEST_CASE("QUIC close_group on a Listener's side closes the QUIC connection after its streams") {
  taps::Context ctx;
  Server server(ctx);
  server.echo = false;
  Stream first, second;
  auto c = initiate(ctx, server, first);
  second.connection = c.clone(record(second, false));
  for (auto* s : {&first, &second}) {
    s->connection.receive();
    s->connection.send(taps::Message(std::vector<std::uint8_t>{'y'}));
  }
  REQUIRE(run_until(ctx, [&] { return server.streams.size() == 2; }));
  server.streams[0].connection.close_group();
  // The server's FINs reach the client, which answers with its own; then CONNECTION_CLOSE.
  REQUIRE(run_until(ctx, [&] { return first.ended && second.ended; }));
  for (auto* s : {&first, &second}) {
    taps::MessageContext fin;
    fin.final = true;
    s->connection.send(taps::Message{}, fin);
  }
  REQUIRE(run_until(ctx, [&] { return first.finished() && second.finished() && server.finished() == 2; }));
  CHECK(first.closed);
  CHECK(second.closed);
  CHECK(server.streams[0].closed);
  CHECK(server.streams[1].closed);
  // The client saw CONNECTION_CLOSE: its group opens no more streams.
  Stream late;
  REQUIRE(run_until(ctx, [&] {
    late.connection = c.clone(record(late, false));
    if (late.connection) late.connection.abort();
    return !late.connection;
  }, 5s));
}

TEST_CASE("QUIC abort_group: the QUIC connection closes at once, the peer's streams fail") {
  taps::Context ctx;
  Server server(ctx);
  Stream first, second;
  auto c = initiate(ctx, server, first);
  second.connection = c.clone(record(second, false));
  for (auto* s : {&first, &second}) s->connection.send(taps::Message(std::vector<std::uint8_t>{'z'}));
  REQUIRE(run_until(ctx, [&] { return server.streams.size() == 2; }));
  c.abort_group();
  REQUIRE(run_until(ctx, [&] { return first.finished() && second.finished() && server.finished() == 2; }));
  for (auto* s : {&first, &second}) {
    REQUIRE(s->error);
    CHECK(s->error->code == taps::errc::connection_aborted);
  }
  for (auto& [i, s] : server.streams) CHECK(s.error);
}

TEST_CASE("QUIC statistics: RTT, congestion window and losses of the QUIC connection") {
  taps::Context ctx;
  Server server(ctx);
  Stream first;
  auto c = initiate(ctx, server, first);
  c.receive();
  send_final(c, payload(1, 256 * 1024));
  REQUIRE(run_until(ctx, [&] { return first.finished(); }));
  auto stats = c.statistics();
  REQUIRE(stats);
  CHECK(stats->smoothed_rtt.count() > 0);
  CHECK(stats->min_rtt.count() > 0);
  CHECK(stats->min_rtt <= stats->smoothed_rtt + std::chrono::microseconds(1));
  CHECK(stats->congestion_window > 0);
}

TEST_CASE("QUIC groupConnLimit counts the streams of the group") {
  taps::Context ctx;
  Server server(ctx);
  Stream first, second, third;
  auto c = initiate(ctx, server, first);
  REQUIRE_FALSE(c.set_property("groupConnLimit", std::int64_t{2}));
  second.connection = c.clone(record(second, false));
  REQUIRE(second.connection);
  CHECK_FALSE(c.clone(record(third, false)));
  REQUIRE(run_until(ctx, [&] { return !first.clone_errors.empty(); }));
  CHECK(first.clone_errors.front().code == taps::errc::clone_failed);
  CHECK(first.clone_errors.front().message().find("groupConnLimit is 2") != std::string::npos);
  c.abort_group();
  REQUIRE(run_until(ctx, [&] { return first.finished() && second.finished(); }));
}
