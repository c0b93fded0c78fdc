// The _taps descriptor actions on real TCP connections: send_from a pipe and from a
// regular file, receive_into a pipe; byte for byte, in order with send(), with the end
// of the stream, and refused where they cannot apply. Pipes are fed and drained by a
// test thread; the engine runs on the test's own thread as always.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

// Deterministic bytes that no shift of a block repeats (a lost or doubled chunk shows).
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read != -1) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write != -1) ::close(write);
    write = -1;
  }
};

// Writes `bytes` into the pipe, then closes its write end (the reader sees the end).
std::thread feed(Pipe& p, const std::string& bytes) {
  return std::thread([&p, &bytes] {
    std::size_t at = 0;
    while (at < bytes.size()) {
      auto n = ::write(p.write, bytes.data() + at, bytes.size() - at);
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    p.close_write();
  });
}

// Reads the pipe to its end into `out`.
std::thread drain(Pipe& p, std::string& out) {
  return std::thread([&p, &out] {
    char buf[65536];
    for (;;) {
      auto n = ::read(p.read, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  });
}

// A regular file holding `bytes`, unlinked at once; its offset at `skip`.
int temp_file(const std::string& bytes, std::size_t skip) {
  char name[] = "/tmp/taps-descriptors-XXXXXX";
  int fd = ::mkstemp(name);
  REQUIRE(fd != -1);
  ::unlink(name);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  REQUIRE(::lseek(fd, static_cast<off_t>(skip), SEEK_SET) == static_cast<off_t>(skip));
  return fd;
}

struct Server {
  taps::Listener listener;
  std::uint16_t port = 0;
  taps::Connection connection;
};

// A TCP Listener on 127.0.0.1 that hands each connection to `serve` (which returns its handlers).
void listen(taps::Context& ctx, Server& s, std::function<taps::ConnectionHandlers(taps::Connection)> serve) {
  taps::ListenerHandlers h;
  h.listening = [&](const std::vector<taps::ListeningEndpoint>& locals) {
    s.port = test::port_of(locals.front().local);
    ctx.stop();
  };
  h.connection_received = [&s, serve](taps::Connection c) {
    s.connection = c;
    return serve(c);
  };
  auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}).listen(ctx, std::move(h));
  REQUIRE(l);
  s.listener = *l;
  REQUIRE(test::run_for(ctx, 5s));
}

taps::Preconnection client(std::uint16_t port) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)});
}

}  // namespace

TEST_CASE("send_from a file and a pipe between messages, receive_into a pipe: every byte, in order, then the end") {
  std::signal(SIGPIPE, SIG_IGN);
  taps::Context ctx;
  const std::string head = "head:", middle = ":middle:";
  const std::string file_bytes = pattern(3'000'017 + 123, 1);  // odd size; the first 123 bytes skipped
  const std::string pipe_bytes = pattern(5'000'011, 2);
  const std::string expected = head + file_bytes.substr(123) + middle + pipe_bytes;

  Pipe into;  // server side: receive_into writes here, a thread drains it
  std::string got;
  std::thread drainer = drain(into, got);
  bool server_end = false, server_closed = false, client_closed = false;
  std::optional<taps::Error> into_refused;
  Server server;
  listen(ctx, server, [&](taps::Connection c) {
    into_refused = c.receive_into(into.write);
    taps::ConnectionHandlers h;
    h.received_partial = [&, c](taps::Message m, taps::MessageContext mctx, bool end) mutable {
      CHECK(m.empty());
      CHECK(end);
      CHECK(mctx.final);
      server_end = true;
      taps::MessageContext fin;
      fin.final = true;
      c.send(taps::Message{}, fin);
    };
    h.closed = [&] {
      server_closed = true;
      if (client_closed) ctx.stop();
    };
    return h;
  });

  int file = temp_file(file_bytes, 123);
  Pipe from;
  std::thread feeder = feed(from, pipe_bytes);
  std::vector<taps::MessageId> sent, queued;
  taps::Connection c;
  taps::ConnectionHandlers h;
  h.ready = [&] {
    queued.push_back(c.send(taps::Message(head)));
    auto f = c.send_from(file);
    REQUIRE(f);
    queued.push_back(*f);
    queued.push_back(c.send(taps::Message(middle)));
    taps::MessageContext fin;
    fin.final = true;
    auto p = c.send_from(from.read, fin);
    REQUIRE(p);
    queued.push_back(*p);
    c.receive();
  };
  h.sent = [&](const taps::MessageContext& m) { sent.push_back(m.id); };
  h.received_partial = [&](taps::Message, taps::MessageContext, bool end) {
    if (!end) c.receive();
  };
  h.closed = [&] {
    client_closed = true;
    if (server_closed) ctx.stop();
  };
  h.connection_error = [&](const taps::Error& e) { FAIL(e.message()); };
  auto conn = client(server.port).initiate(ctx, h);
  REQUIRE(conn);
  c = *conn;
  bool finished = test::run_for(ctx, 60s);  // until both have closed
  if (!finished) {  // let go of the pipes' duplicates, so that the threads end
    c.abort();
    server.connection.abort();
    test::run_for(ctx, 1s);
  }
  from.close_read();  // a feeder still writing (a failure) ends with EPIPE
  feeder.join();
  into.close_write();
  drainer.join();
  ::close(file);

  CHECK(finished);
  CHECK_FALSE(into_refused);
  CHECK(server_end);
  CHECK(client_closed);
  CHECK(sent == queued);
  CHECK(c.bytes_sent_from_descriptors() == file_bytes.size() - 123 + pipe_bytes.size());
  CHECK(server.connection.bytes_received_into_descriptor() == expected.size());
  CHECK(got.size() == expected.size());
  CHECK(got == expected);  // not a doctest diff of 8 MB: one line either way
}

TEST_CASE("receive_into after bytes already arrived: they go first, then the rest, then the end") {
  taps::Context ctx;
  const std::string early = pattern(70'001, 3), late = pattern(1'000'003, 4);
  int closed = 0;  // both ends: the loop stops at 2
  Server server;
  listen(ctx, server, [&](taps::Connection c) {
    c.send(taps::Message(early));
    test::after(ctx, 300ms, [c, &late]() mutable {
      taps::MessageContext fin;
      fin.final = true;
      c.send(taps::Message(late), fin);
    });
    taps::ConnectionHandlers h;
    h.received_partial = [c](taps::Message, taps::MessageContext, bool end) mutable {
      if (!end) c.receive();
    };
    h.closed = [&] {
      if (++closed == 2) ctx.stop();
    };
    c.receive();
    return h;
  });
  Pipe into;
  std::string got;
  std::thread drainer = drain(into, got);
  bool ended = false;
  taps::Connection c;
  taps::ConnectionHandlers h;
  // The early bytes are read by the engine before the application asks for the pipe.
  h.ready = [&] {
    test::after(ctx, 150ms, [&] {
      CHECK_FALSE(c.receive_into(into.write));
      c.receive();  // no receive() once receive_into took the stream: a receive_error
    });
  };
  bool receive_refused = false;
  h.receive_error = [&](const taps::Error&) { receive_refused = true; };
  h.received_partial = [&](taps::Message m, taps::MessageContext, bool end) {
    CHECK(m.empty());
    ended = end;
    c.close();
  };
  h.closed = [&] {
    if (++closed == 2) ctx.stop();
  };
  auto conn = client(server.port).initiate(ctx, h);
  REQUIRE(conn);
  c = *conn;
  CHECK(test::run_for(ctx, 20s));
  into.close_write();
  drainer.join();
  CHECK(ended);
  CHECK(receive_refused);
  CHECK(got.size() == early.size() + late.size());
  CHECK(got == early + late);
}

TEST_CASE("the descriptor actions are refused where they cannot apply, and nothing changes") {
  taps::Context ctx;
  Server server;
  listen(ctx, server, [](taps::Connection c) {
    c.receive();
    return taps::ConnectionHandlers{};
  });
  int file = temp_file("x", 0);
  Pipe pipe;
  std::optional<taps::Error> framed_send, framed_receive, into_file, before_ready;
  // Framers see every byte: nothing may bypass them.
  auto framed = client(server.port);
  framed.add_framer(taps::length_prefix_framer());
  taps::Connection fc;
  taps::ConnectionHandlers fh;
  fh.ready = [&] {
    auto r = fc.send_from(pipe.read);
    if (!r) framed_send = r.error();
    framed_receive = fc.receive_into(pipe.write);
    fc.abort();
  };
  fh.connection_error = [&](const taps::Error&) { ctx.stop(); };
  auto f = framed.initiate(ctx, fh);
  REQUIRE(f);
  fc = *f;
  auto early = fc.send_from(file);
  if (!early) before_ready = early.error();
  CHECK(test::run_for(ctx, 10s));
  REQUIRE(framed_send);
  CHECK(framed_send->code == taps::errc::not_supported);
  REQUIRE(framed_receive);
  CHECK(framed_receive->code == taps::errc::not_supported);
  REQUIRE(before_ready);
  CHECK(before_ready->code == taps::errc::connection_closed);

  // receive_into takes only a pipe; send_from neither a socket nor a terminal.
  taps::Connection pc;
  std::optional<taps::Error> from_socket;
  taps::ConnectionHandlers ph;
  ph.ready = [&] {
    into_file = pc.receive_into(file);
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    auto r = pc.send_from(s);
    if (!r) from_socket = r.error();
    ::close(s);
    pc.abort();
  };
  ph.connection_error = [&](const taps::Error&) { ctx.stop(); };
  auto p = client(server.port).initiate(ctx, ph);
  REQUIRE(p);
  pc = *p;
  CHECK(test::run_for(ctx, 10s));
  REQUIRE(into_file);
  CHECK(into_file->code == taps::errc::not_supported);
  REQUIRE(from_socket);
  CHECK(from_socket->code == taps::errc::not_supported);
  ::close(file);
}

TEST_CASE("receive_into a pipe whose reader went away: one receive_error, the connection can still be aborted") {
  // As for any write to a pipe; the tools ignore it too.
  std::signal(SIGPIPE, SIG_IGN);
  taps::Context ctx;
  Server server;
  listen(ctx, server, [](taps::Connection c) {
    c.send(taps::Message(pattern(200'000, 5)));
    return taps::ConnectionHandlers{};
  });
  Pipe into;
  into.close_read();
  std::optional<taps::Error> error;
  taps::Connection c;
  taps::ConnectionHandlers h;
  h.ready = [&] { CHECK_FALSE(c.receive_into(into.write)); };
  h.receive_error = [&](const taps::Error& e) {
    error = e;
    c.abort();
  };
  h.connection_error = [&](const taps::Error&) { ctx.stop(); };
  auto conn = client(server.port).initiate(ctx, h);
  REQUIRE(conn);
  c = *conn;
  CHECK(test::run_for(ctx, 10s));
  REQUIRE(error);
  CHECK(error->code == std::errc::broken_pipe);
  server.connection.abort();
}
