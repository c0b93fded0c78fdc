// TlsSession without sockets: two sessions (client and server) pumped against each
// other in memory. Names, ALPN, pins, resumption and how a stream ends.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "security/tls_context.hpp"

using taps::detail::TlsContext;
using taps::detail::TlsSession;
using Status = TlsSession::Status;

namespace {

std::string cert(const std::string& name) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("taps-tls-unit-" + std::to_string(::getpid()));
    std::string command = std::string(TAPS_SOURCE_DIR) + "/scripts/gen-certs '" + d.string() + "' >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    std::atexit([] { std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                                 ("taps-tls-unit-" + std::to_string(::getpid()))); });
    return d;
  }();
  return (dir / name).string();
}

std::shared_ptr<TlsContext> context(const taps::SecurityParameters& params, TlsContext::Role role) {
  auto made = TlsContext::make(params, role);
  REQUIRE_MESSAGE(made, (made ? "" : made.error().message()));
  return *made;
}

taps::SecurityParameters client_params() {
  auto p = taps::SecurityParameters::tls();
  p.trusted_certificates = cert("ca.pem");
  return p;
}

taps::SecurityParameters server_params(const std::string& name = "server") {
  auto p = taps::SecurityParameters::tls();
  p.server_certificate = {cert(name + ".pem"), cert(name + ".key")};
  return p;
}

// Moves what `from` has to send into `to`'s input.
void carry(TlsSession& from, TlsSession& to) {
  std::vector<std::uint8_t> bytes;
  from.take_output(bytes);
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto space = to.input_space();
    std::size_t n = std::min(space.size(), bytes.size() - at);
    std::memcpy(space.data(), bytes.data() + at, n);
    to.commit_input(n);
    at += n;
  }
}

// Runs both handshakes to their end; returns the client's and the server's status.
std::pair<Status, Status> handshake(TlsSession& client, TlsSession& server) {
  Status c = Status::need_input, s = Status::need_input;
  for (int round = 0; round < 10 && (c == Status::need_input || s == Status::need_input); ++round) {
    if (c == Status::need_input) c = client.handshake();
    carry(client, server);
    if (s == Status::need_input) s = server.handshake();
    carry(server, client);
  }
  return {c, s};
}

std::string read_all(TlsSession& session, Status& status) {
  std::vector<std::uint8_t> out;
  do status = session.read(out, 1 << 20);
  while (status == Status::progress);
  return {out.begin(), out.end()};
}

}  // namespace

TEST_CASE("TLS session: handshake, data both ways, close_notify ends the stream cleanly") {
  auto server_ctx = context(server_params(), TlsContext::Role::server);
  auto client_ctx = context(client_params(), TlsContext::Role::client);
  auto client = client_ctx->client_session("localhost", "127.0.0.1", 443);
  auto server = server_ctx->server_session();
  auto [c, s] = handshake(*client, *server);
  REQUIRE_MESSAGE(c == Status::done, client->error());
  REQUIRE_MESSAGE(s == Status::done, server->error());

  std::string big(100000, 'q');
  REQUIRE(client->write(reinterpret_cast<const std::uint8_t*>(big.data()), big.size()));
  client->close_notify();
  carry(*client, *server);
  Status status;
  CHECK(read_all(*server, status) == big);
  CHECK(status == Status::done);  // close_notify

  // Half-close: the server still sends after the client's close_notify.
  REQUIRE(server->write(reinterpret_cast<const std::uint8_t*>("reply"), 5));
  server->close_notify();
  CHECK_FALSE(server->write(reinterpret_cast<const std::uint8_t*>("late"), 4));  // after close_notify
  carry(*server, *client);
  CHECK(read_all(*client, status) == "reply");
  CHECK(status == Status::done);
}

TEST_CASE("TLS session: a transport end without close_notify is truncation") {
  auto server_ctx = context(server_params(), TlsContext::Role::server);
  auto client_ctx = context(client_params(), TlsContext::Role::client);
  auto client = client_ctx->client_session("", "127.0.0.1", 443);
  auto server = server_ctx->server_session();
  REQUIRE(handshake(*client, *server) == std::pair{Status::done, Status::done});
  REQUIRE(client->write(reinterpret_cast<const std::uint8_t*>("partial"), 7));
  carry(*client, *server);
  server->end_input();
  Status status;
  CHECK(read_all(*server, status) == "partial");
  CHECK(status == Status::failed);
  CHECK(server->error().find("without close_notify") != std::string::npos);
}

TEST_CASE("TLS session: names, pins and ALPN decide") {
  struct Row {
    std::string what, server_cert, host_name;
    std::function<void(taps::SecurityParameters& client, taps::SecurityParameters& server)> configure;
    std::string client_error;  // empty: both ends succeed
  };
  std::string pin;
  {
    std::ifstream f(cert("server.spki.sha256"));
    f >> pin;
  }
  const Row rows[] = {
      {"name from the host", "server", "localhost", [](auto&, auto&) {}, ""},
      {"address literal", "server", "", [](auto&, auto&) {}, ""},
      {"wrong name", "server", "example.net", [](auto&, auto&) {}, "hostname mismatch"},
      {"serverName overrides", "wrong-host", "localhost", [](auto& c, auto&) { c.server_name = "wrong-host.example"; }, ""},
      {"untrusted", "untrusted", "localhost", [](auto&, auto&) {}, "self-signed certificate"},
      {"insecure accepts", "untrusted", "localhost", [](auto& c, auto&) { c.insecure_skip_verify = true; }, ""},
      {"pin matches", "server", "localhost", [&](auto& c, auto&) { c.pinned_server_certificate = {pin}; }, ""},
      {"pin differs", "server", "localhost",
       [](auto& c, auto&) { c.pinned_server_certificate = {std::string(64, '0')}; }, "pinnedServerCertificate"},
      {"pin on an insecure connection", "untrusted", "localhost",
       [](auto& c, auto&) {
         c.insecure_skip_verify = true;
         c.pinned_server_certificate = {std::string(64, '0')};
       },
       "pinnedServerCertificate"},
      {"ALPN agreed", "server", "localhost",
       [](auto& c, auto& s) {
         c.alpn = {"h2", "taps"};
         s.alpn = {"taps"};
       },
       ""},
      {"ALPN mismatch", "server", "localhost",
       [](auto& c, auto& s) {
         c.alpn = {"h2"};
         s.alpn = {"taps"};
       },
       "no application protocol"},
      {"ALPN only on the client", "server", "localhost", [](auto& c, auto&) { c.alpn = {"h2"}; }, "ALPN"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.what);
    auto client_p = client_params();
    auto server_p = server_params(row.server_cert);
    row.configure(client_p, server_p);
    auto client = context(client_p, TlsContext::Role::client)->client_session(row.host_name, "127.0.0.1", 443);
    auto server = context(server_p, TlsContext::Role::server)->server_session();
    auto [c, s] = handshake(*client, *server);
    if (row.client_error.empty()) {
      CHECK_MESSAGE(c == Status::done, client->error());
      CHECK_MESSAGE(s == Status::done, server->error());
    } else {
      CHECK(c == Status::failed);
      CHECK_MESSAGE(client->error().find(row.client_error) != std::string::npos, client->error());
    }
  }
}

TEST_CASE("TLS session: the next connection to the same server resumes with a ticket") {
  auto server_ctx = context(server_params(), TlsContext::Role::server);
  auto client_ctx = context(client_params(), TlsContext::Role::client);
  auto connect = [&](const std::string& host) {
    auto client = client_ctx->client_session(host, "127.0.0.1", 443);
    auto server = server_ctx->server_session();
    REQUIRE(handshake(*client, *server) == std::pair{Status::done, Status::done});
    Status status;
    read_all(*client, status);  // the tickets arrive after the handshake
    // OpenSSL drops the session of a connection that did not end with close_notify.
    client->close_notify();
    return SSL_session_reused(client->ssl()) == 1;
  };
  CHECK_FALSE(connect("localhost"));
  CHECK(connect("localhost"));
  CHECK_FALSE(connect(""));  // another name (the address), another cache entry

  auto no_cache = client_params();
  no_cache.max_cached_sessions = 0;
  client_ctx = context(no_cache, TlsContext::Role::client);
  CHECK_FALSE(connect("localhost"));
  CHECK_FALSE(connect("localhost"));
}
