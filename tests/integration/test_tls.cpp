// TLS 1.3 through the public API on loopback: echo, close_notify and truncation as a
// real OpenSSL peer sees them, abort, and verification failures. Certificates come from
// scripts/gen-certs, made once per run in a temporary directory.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace std::chrono_literals;

namespace {

class Certificates {
 public:
  Certificates() : dir_(std::filesystem::temp_directory_path() / ("taps-tls-test-" + std::to_string(::getpid()))) {
    std::string command = std::string(TAPS_SOURCE_DIR) + "/scripts/gen-certs '" + dir_.string() + "' >/dev/null";
    ok_ = std::system(command.c_str()) == 0;
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;

  std::string operator()(const std::string& name) const {
    REQUIRE_MESSAGE(ok_, "scripts/gen-certs failed");
    return (dir_ / name).string();
  }

 private:
  std::filesystem::path dir_;
  bool ok_;
};

const Certificates& certs() {
  static const Certificates instance;
  return instance;
}

taps::SecurityParameters server_security(const std::string& name = "server") {
  auto s = taps::SecurityParameters::tls();
  s.server_certificate = {certs()(name + ".pem"), certs()(name + ".key")};
  return s;
}

taps::SecurityParameters client_security() {
  auto s = taps::SecurityParameters::tls();
  s.trusted_certificates = certs()("ca.pem");
  return s;
}

taps::Preconnection tls_client(const std::string& address, std::uint16_t port,
                               taps::SecurityParameters security = client_security()) {
  return taps::Preconnection({}, {taps::RemoteEndpoint().with_ip_address(address).with_port(port)}, {},
                             std::move(security));
}

// A TLS Listener whose connections echo what they receive and end when the peer ends.
struct EchoServer {
  taps::Listener listener;
  std::uint16_t port = 0;
  int closed = 0;
  std::vector<taps::Error> errors;       // connection errors
  std::vector<taps::Error> soft_errors;  // failed handshakes

  EchoServer(taps::Context& ctx, const std::string& address, taps::SecurityParameters security = server_security()) {
    taps::ListenerHandlers h;
    h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
      port = test::port_of(locals.front().local);
      ctx.stop();
    };
    h.soft_error = [this](const taps::Error& e) { soft_errors.push_back(e); };
    h.connection_received = [this](taps::Connection c) {
      CHECK(c.stack() == "tls/tcp");
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
    auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address(address).with_port(0)}, {}, {},
                                 std::move(security))
                 .listen(ctx, std::move(h));
    REQUIRE_MESSAGE(l, (l ? "" : l.error().message()));
    listener = *l;
    REQUIRE(test::run_for(ctx, 5s));
    REQUIRE(port != 0);
  }
};

void echo(const std::string& address, taps::SecurityParameters server_params = server_security(),
          taps::SecurityParameters client_params = client_security()) {
  taps::Context ctx;
  EchoServer server(ctx, address, std::move(server_params));
  std::string expected, received;
  bool closed = false;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.ready = [&] { CHECK(client.stack() == "tls/tcp"); };
  h.received_partial = [&](taps::Message m, taps::MessageContext, bool end) {
    received += m.as_string_view();
    if (!end) client.receive();
  };
  h.closed = [&] {
    closed = true;
    ctx.stop();
  };
  h.connection_error = [&](const taps::Error& e) { FAIL("connection_error: " << e.message()); };
  h.establishment_error = [&](const taps::Error& e) { FAIL("establishment_error: " << e.message()); };
  auto c = tls_client(address, server.port, std::move(client_params)).initiate(ctx, h);
  REQUIRE(c);
  client = *c;
  // Sent before ready: held, then encrypted on the connection that wins.
  for (int i = 0; i < 2000; ++i) {
    std::string text = "message " + std::to_string(i) + "\n";
    expected += text;
    client.send(taps::Message(text));
  }
  expected += std::string(3 << 20, 'b');
  client.send(taps::Message(std::string(3 << 20, 'b')));
  taps::MessageContext fin;
  fin.final = true;
  client.send(taps::Message{}, fin);
  client.receive();
  REQUIRE(test::run_for(ctx));
  CHECK(closed);
  CHECK(received == expected);
  test::run_for(ctx, 200ms);
  CHECK(server.closed == 1);
  CHECK(server.errors.empty());
}

// A blocking OpenSSL client on its own thread: the peer that judges our close_notify.
class RawClient {
 public:
  RawClient(std::uint16_t port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_file(ctx_, certs()("ca.pem").c_str());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  }
  ~RawClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool handshake() { return connected_ && SSL_connect(ssl_) == 1; }
  bool write(const std::string& s) { return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size()); }
  void close_notify() { SSL_shutdown(ssl_); }
  void tcp_fin() { ::shutdown(fd_, SHUT_WR); }
  // Reads until the stream ends; returns the bytes and how it ended (SSL_get_error).
  std::pair<std::string, int> read_to_end() {
    std::string got;
    char buffer[4096];
    for (;;) {
      int n = SSL_read(ssl_, buffer, sizeof buffer);
      if (n <= 0) return {got, SSL_get_error(ssl_, n)};
      got.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  int fd_;
  bool connected_;
};

}  // namespace

TEST_CASE("TLS echo through the API over 127.0.0.1") { echo("127.0.0.1"); }
TEST_CASE("TLS echo through the API over ::1") { echo("::1"); }

TEST_CASE("an ephemeral server identity: a client that pins its key (and trusts no CA for it) gets the echo") {
  auto identity = taps::EphemeralIdentity::generate({"localhost", "127.0.0.1"});
  REQUIRE_MESSAGE(identity, (identity ? "" : identity.error().message()));
  auto server = taps::SecurityParameters::tls();
  server.ephemeral_server_identity = *identity;
  auto client = taps::SecurityParameters::tls();  // the system store, which never saw this certificate
  client.pinned_server_certificate = {identity->spki_pin()};
  echo("127.0.0.1", server, client);
}

TEST_CASE("an OpenSSL peer sees our close_notify and no truncation") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  std::string got;
  int how = 0;
  bool handshake = false;
  std::thread peer([&, port = server.port] {
    RawClient client(port);
    handshake = client.handshake() && client.write("ping over TLS");
    client.close_notify();
    std::tie(got, how) = client.read_to_end();
    ctx.post([&ctx] { ctx.stop(); });
  });
  test::run_for(ctx, 10s);
  peer.join();
  test::run_for(ctx, 200ms);
  CHECK(handshake);
  CHECK(got == "ping over TLS");
  CHECK(how == SSL_ERROR_ZERO_RETURN);  // close_notify; truncation would be SSL_ERROR_SSL
  CHECK(server.closed == 1);
  CHECK(server.errors.empty());
}

TEST_CASE("a TCP end without close_notify is truncation, a connection error") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  std::thread peer([&ctx, port = server.port] {
    RawClient client(port);
    CHECK(client.handshake());
    CHECK(client.write("cut short"));
    client.tcp_fin();
    client.read_to_end();
    ctx.post([&ctx] { ctx.stop(); });
  });
  test::run_for(ctx, 10s);
  peer.join();
  test::run_for(ctx, 200ms);
  REQUIRE(server.errors.size() == 1);
  CHECK(server.errors.front().detail.find("without close_notify") != std::string::npos);
  CHECK(server.closed == 0);
}

TEST_CASE("abort resets the TLS peer") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  std::optional<taps::Error> client_error;
  taps::Connection client;
  taps::ConnectionHandlers h;
  h.ready = [&] {
    client.send(taps::Message("some data"));
    test::after(ctx, 50ms, [&] { client.abort(); });
  };
  h.connection_error = [&](const taps::Error& e) { client_error = e; };
  client = *tls_client("127.0.0.1", server.port).initiate(ctx, h);
  test::run_for(ctx, 500ms);
  REQUIRE(client_error);
  CHECK(client_error->code == taps::errc::connection_aborted);
  REQUIRE(server.errors.size() == 1);
  CHECK(server.errors.front().code == taps::errc::connection_reset);
  CHECK(server.closed == 0);
}

// The server presents certificate `name`, which the client must refuse for `why`.
static void verification_fails(const std::string& name, const std::string& why) {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1", server_security(name));
  std::optional<taps::Error> error;
  taps::ConnectionHandlers h;
  h.ready = [&] { FAIL("ready with a certificate that should fail"); };
  h.establishment_error = [&](const taps::Error& e) {
    error = e;
    ctx.stop();
  };
  auto c = tls_client("127.0.0.1", server.port).initiate(ctx, h);
  REQUIRE(c);
  REQUIRE(test::run_for(ctx, 5s));
  REQUIRE(error);
  CHECK(error->code == taps::errc::establishment_failed);
  CHECK_MESSAGE(error->detail.find(why) != std::string::npos, error->detail);
  CHECK(error->detail.find("127.0.0.1:" + std::to_string(server.port)) != std::string::npos);
  test::run_for(ctx, 100ms);
  REQUIRE(server.soft_errors.size() == 1);
  CHECK(server.soft_errors.front().detail.find("TLS handshake failed") != std::string::npos);

  // The same server, trusted on purpose: the Listener still accepts.
  auto insecure = client_security();
  insecure.insecure_skip_verify = true;
  bool ready = false;
  taps::Connection ok;
  taps::ConnectionHandlers h2;
  h2.ready = [&] {
    ready = true;
    ok.close();
  };
  h2.closed = [&] { ctx.stop(); };
  ok = *tls_client("127.0.0.1", server.port, insecure).initiate(ctx, h2);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(ready);
}

TEST_CASE("an untrusted certificate is an establishment error and the Listener goes on") {
  verification_fails("untrusted", "certificate verify failed (self-signed certificate)");
}

TEST_CASE("a certificate for another host is an establishment error and the Listener goes on") {
  verification_fails("wrong-host", "certificate verify failed (IP address mismatch)");
}

TEST_CASE("TLS configuration errors come back at once") {
  taps::Context ctx;
  taps::ConnectionHandlers h;
  // TLS cannot run over UDP: no silent fall-back to plaintext.
  auto udp = tls_client("127.0.0.1", 9, client_security());
  udp.transport_properties() = taps::TransportProperties::unreliable_datagram();
  auto r = udp.initiate(ctx, h);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == taps::errc::unsatisfiable_properties);

  auto missing = client_security();
  missing.trusted_certificates = "/nonexistent/ca.pem";
  r = tls_client("127.0.0.1", 9, missing).initiate(ctx, h);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == taps::errc::invalid_configuration);
  CHECK(r.error().detail.find("/nonexistent/ca.pem") != std::string::npos);

  auto old = client_security();
  old.allowed_security_protocols = {"tls1.2"};
  r = tls_client("127.0.0.1", 9, old).initiate(ctx, h);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == taps::errc::not_supported);

  auto no_certificate = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}, {},
                                            taps::SecurityParameters::tls());
  auto l = no_certificate.listen(ctx, {});
  REQUIRE_FALSE(l);
  CHECK(l.error().detail.find("serverCertificate") != std::string::npos);

  auto wrong_key = server_security();
  wrong_key.server_certificate.private_key = certs()("client.key");
  l = taps::Preconnection({taps::LocalEndpoint().with_ip_address("127.0.0.1").with_port(0)}, {}, {}, wrong_key)
          .listen(ctx, {});
  REQUIRE_FALSE(l);
  CHECK(l.error().detail.find("client.key") != std::string::npos);
}

namespace {

// Initiates a TLS connection to `port` and waits until an echo came back: by then the
// server's session tickets have arrived (TLS 1.3 sends them after the handshake).
taps::Connection connect_and_echo(taps::Context& ctx, taps::Preconnection p, std::optional<taps::Connection> from = {}) {
  auto got = std::make_shared<std::string>();
  taps::ConnectionHandlers h;
  h.establishment_error = [](const taps::Error& e) { FAIL(e.message()); };
  h.received_partial = [&ctx, got](taps::Message m, taps::MessageContext, bool) {
    *got += m.as_string_view();
    ctx.stop();
  };
  taps::Connection c;
  if (from) {
    c = from->clone(h);
  } else {
    auto r = p.initiate(ctx, h);
    REQUIRE(r);
    c = *r;
  }
  REQUIRE(c);
  c.send(taps::Message(std::string("ping\n")));
  c.receive();
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(*got == "ping\n");
  return c;
}

}  // namespace

TEST_CASE("clone over TLS: a new connection resumed from the group's session ticket") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  auto p = tls_client("127.0.0.1", server.port);
  auto original = connect_and_echo(ctx, p);
  REQUIRE(original.tls_info());
  CHECK_FALSE(original.tls_info()->resumed);
  for (int i = 0; i < 3; ++i) {
    auto clone = connect_and_echo(ctx, p, original);
    CHECK(clone.group_id() == original.group_id());
    REQUIRE(clone.tls_info());
    CHECK(clone.tls_info()->resumed);
  }
  original.abort_group();
  test::run_for(ctx, 50ms);
}

TEST_CASE("isolateSession: a new group takes no ticket from outside, its clones take its own") {
  taps::Context ctx;
  EchoServer server(ctx, "127.0.0.1");
  auto p = tls_client("127.0.0.1", server.port);
  auto shared = connect_and_echo(ctx, p);
  // Tickets of the first group are there: a plain second Initiate resumes with one.
  auto sharing = connect_and_echo(ctx, p);
  CHECK(sharing.tls_info()->resumed);
  auto isolated_p = p;
  REQUIRE_FALSE(isolated_p.transport_properties().connection.set("isolateSession", true));
  auto isolated = connect_and_echo(ctx, isolated_p);
  CHECK_FALSE(isolated.tls_info()->resumed);
  auto clone = connect_and_echo(ctx, isolated_p, isolated);
  CHECK(clone.tls_info()->resumed);
  shared.abort();
  sharing.abort();
  isolated.abort_group();
  test::run_for(ctx, 50ms);
}
