// TLS handshakes per second through the public API, client and server in this one
// process on one thread: connect, TLS 1.3 handshake, 1 byte, close (close_notify both
// ways), one connection after another. With --quic the same over QUIC (multistreaming
// required on both sides: the TLS 1.3 handshake inside QUIC, one stream, its FIN both ways).
//
//   taps-bench-tls-handshakes CERT_DIR [COUNT] [--resume | --clone] [--port PORT] [--quic]
//
// CERT_DIR holds scripts/gen-certs output. Without --resume every handshake is a full one
// (maxCachedSessions 0 on the client); with it, the client resumes with session tickets.
// With --clone one connection stays open and every other one is its clone (RFC 9622
// Clone): a connection of the same group, resumed from the group's tickets.
// With --port the server is another process on 127.0.0.1:PORT and only the client runs
// here (the figure to set beside `openssl s_time`). Prints one line: handshakes, seconds,
// handshakes/s and the CPU milliseconds (all, and user) this process spent per handshake.
#include <sys/resource.h>


#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "taps/taps.hpp"

namespace {

// User and system CPU seconds of this process so far.
std::pair<double, double> cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return {s(u.ru_utime), s(u.ru_stime)};
}

struct Bench {
  taps::Context ctx;
  taps::Preconnection client;
  taps::Connection origin;  // --clone: the connection every other one is cloned from
  int remaining = 0;
  int resumed = 0;
  int failures = 0;

  // One connection: its byte out, the server's end in, then the next.
  void next() {
    if (remaining-- == 0) {
      ctx.stop();
      return;
    }
    taps::ConnectionHandlers h;
    auto connection = std::make_shared<taps::Connection>();
    h.ready = [this, connection] {
      if (auto tls = connection->tls_info(); tls && tls->resumed) ++resumed;
      taps::MessageContext fin;
      fin.final = true;
      connection->send(taps::Message("x"), fin);
      connection->receive();
    };
    h.received_partial = [connection](taps::Message, taps::MessageContext, bool end) {
      if (!end) connection->receive();
    };
    h.closed = [this, connection] {
      *connection = {};
      next();
    };
    auto failed = [this, connection](const taps::Error& e) {
      std::fprintf(stderr, "taps-bench-tls-handshakes: %s\n", e.message().c_str());
      ++failures;
      *connection = {};
      next();
    };
    h.establishment_error = failed;
    h.connection_error = failed;
    if (origin) {
      *connection = origin.clone(h);
      return;
    }
    auto c = client.initiate(ctx, h);
    if (!c) {
      std::fprintf(stderr, "taps-bench-tls-handshakes: %s\n", c.error().message().c_str());
      std::exit(1);
    }
    *connection = *c;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: taps-bench-tls-handshakes CERT_DIR [COUNT] [--resume | --clone] [--port PORT] [--quic]\n");
    return 1;
  }
  std::string dir = argv[1];
  int count = 2000;
  bool resume = false, clone = false, quic = false;
  std::uint16_t port = 0;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--resume") resume = true;
    else if (arg == "--clone") clone = resume = true;
    else if (arg == "--port" && i + 1 < argc) port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
    else if (arg == "--quic") quic = true;
    else count = std::atoi(arg.c_str());
  }

  Bench bench;
  taps::TransportProperties properties;
  if (quic) properties.set("multistreaming", taps::Preference::require);
  auto server_security = taps::SecurityParameters::tls();
  server_security.server_certificate = {dir + "/server.pem", dir + "/server.key"};
  taps::ListenerHandlers lh;
  lh.listening = [&](const std::vector<taps::ListeningEndpoint>& locals) {
    port = static_cast<std::uint16_t>(std::stoi(locals.front().local.substr(locals.front().local.rfind(':') + 1)));
    bench.ctx.stop();
  };
  // Echo nothing: read to the client's end, then end too.
  lh.connection_received = [](taps::Connection c) {
    taps::ConnectionHandlers h;
    h.received_partial = [c](taps::Message, taps::MessageContext, bool end) mutable {
      if (!end) {
        c.receive();
        return;
      }
      taps::MessageContext fin;
      fin.final = true;
      c.send(taps::Message{}, fin);
    };
    c.receive();
    return h;
  };
  lh.establishment_error = [](const taps::Error& e) {
    std::fprintf(stderr, "taps-bench-tls-handshakes: listen: %s\n", e.message().c_str());
    std::exit(1);
  };
  taps::Listener listener;
  if (port == 0) {
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}, properties,
                                 server_security)
                 .listen(bench.ctx, lh);
    if (!l) {
      std::fprintf(stderr, "taps-bench-tls-handshakes: %s\n", l.error().message().c_str());
      return 1;
    }
    listener = *l;
    bench.ctx.run();
  }

  auto client_security = taps::SecurityParameters::tls();
  client_security.trusted_certificates = dir + "/ca.pem";
  if (!resume) client_security.max_cached_sessions = 0;
  bench.client = taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address("127.0.0.1").with_port(port)},
                                     properties, client_security);
  auto run = [&](int n) {
    bench.remaining = n;
    bench.next();
    bench.ctx.run();
  };
  if (clone) {
    taps::ConnectionHandlers h;
    h.ready = [&] { bench.ctx.stop(); };
    h.establishment_error = [](const taps::Error& e) {
      std::fprintf(stderr, "taps-bench-tls-handshakes: %s\n", e.message().c_str());
      std::exit(1);
    };
    auto c = bench.client.initiate(bench.ctx, h);
    if (!c) return 1;
    bench.ctx.run();
    bench.origin = *c;
  }
  // Warm-up: the client context, its trust store and first allocations out of the figure.
  run(20);
  bench.resumed = 0;
  auto [user0, system0] = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  run(count);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto [user1, system1] = cpu_seconds();
  double user = user1 - user0, cpu = user + system1 - system0;
  if (bench.origin) {
    // The server's side of the origin ends once it sees the reset: let it.
    bench.origin.abort();
    bench.ctx.run_for(std::chrono::milliseconds(200));
  }
  listener.stop();
  std::printf("%s%s handshakes: %d in %.3f s = %.0f/s, CPU %.3f ms each (user %.3f), %s, %d failed, %d resumed\n",
              clone ? "cloned" : resume ? "resumed" : "full", quic ? " QUIC" : "", count, seconds, count / seconds, cpu * 1000 / count,
              user * 1000 / count, listener ? "client and server" : "client", bench.failures, bench.resumed);
  return bench.failures == 0 ? 0 : 1;
}
