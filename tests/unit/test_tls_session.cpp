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

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "security/tls_context.hpp"
#include "taps/security.hpp"

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
      {"a pinned key needs no matching name", "server", "example.net",
       [&](auto& c, auto&) { c.pinned_server_certificate = {pin}; }, ""},
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

TEST_CASE("ephemeral identity: a fresh P-256 key and a self-signed certificate for the names") {
  auto made = taps::EphemeralIdentity::generate({"localhost", "127.0.0.1", "::1"}, std::chrono::hours(1));
  REQUIRE_MESSAGE(made, (made ? "" : made.error().message()));
  const auto& identity = *made;
  CHECK(taps::parse_spki_pin(identity.spki_pin()) == identity.spki_pin());
  CHECK(taps::parse_spki_pin(identity.spki_pin_base64()) == identity.spki_pin());
  CHECK(identity.subject() == "CN=localhost");

  std::string pem = identity.certificate_pem();
  CHECK(pem.find("PRIVATE KEY") == std::string::npos);
  taps::detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  taps::detail::X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(certificate);
  X509* c = certificate.get();
  CHECK(X509_check_host(c, "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(c, "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(c, "::1", 0) == 1);
  CHECK(X509_check_host(c, "example.net", 0, 0, nullptr) != 1);
  EVP_PKEY* key = X509_get0_pubkey(c);
  CHECK(EVP_PKEY_is_a(key, "EC"));
  CHECK(EVP_PKEY_get_bits(key) == 256);
  CHECK(X509_verify(c, key) == 1);  // self-signed
  CHECK(X509_check_ca(c) == 0);
  int days = -1, seconds = -1;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(c), X509_get0_notAfter(c)) == 1);
  CHECK(days == 0);
  CHECK(seconds == 3600 + 60);  // a minute of clock skew before now

  auto again = taps::EphemeralIdentity::generate({"localhost"});
  REQUIRE(again);
  CHECK(again->spki_pin() != identity.spki_pin());  // a fresh key each time
  CHECK_FALSE(*again == identity);
  auto copy = identity;
  CHECK(copy == identity);
}

TEST_CASE("ephemeral identity: bad names and validity are configuration errors") {
  for (const auto& names : {std::vector<std::string>{}, {"a,DNS:evil.example"}, {"host name"}, {""}, {"-x"}}) {
    auto made = taps::EphemeralIdentity::generate(names);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == taps::errc::invalid_configuration);
  }
  CHECK_FALSE(taps::EphemeralIdentity::generate({"localhost"}, std::chrono::seconds(0)));
  CHECK_FALSE(taps::EphemeralIdentity::generate({"localhost"}, std::chrono::years(31)));
  auto long_name = std::string(70, 'a') + ".example";
  auto made = taps::EphemeralIdentity::generate({long_name});
  REQUIRE(made);  // the CN is at most 64 characters; the name lives in the subjectAltName
  CHECK(made->subject() == "CN=ephemeral");
}

TEST_CASE("ephemeral identity: a listener presents it; a client trusts it by its pin only") {
  auto identity = taps::EphemeralIdentity::generate({"localhost"});
  REQUIRE(identity);
  auto server_p = taps::SecurityParameters::tls();
  server_p.ephemeral_server_identity = *identity;
  auto server_ctx = context(server_p, TlsContext::Role::server);
  struct Row {
    std::string what;
    std::vector<std::string> pins;
    std::string client_error;
  };
  const Row rows[] = {
      {"pinned", {identity->spki_pin()}, ""},
      {"one of several pins", {std::string(64, '1'), identity->spki_pin()}, ""},
      {"not pinned: self-signed, and its pin named", {}, "(self-signed certificate); no trusted CA issued it; its key's pin is " + identity->spki_pin()},
      {"another pin: the real one named", {std::string(64, '0')}, "its pin is " + identity->spki_pin_base64() + " (hex " + identity->spki_pin() + ")"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.what);
    auto client_p = client_params();
    client_p.pinned_server_certificate = row.pins;
    auto client = context(client_p, TlsContext::Role::client)->client_session("localhost", "127.0.0.1", 443);
    auto server = server_ctx->server_session();
    auto [c, s] = handshake(*client, *server);
    if (row.client_error.empty()) {
      CHECK_MESSAGE(c == Status::done, client->error());
      CHECK_MESSAGE(s == Status::done, server->error());
    } else {
      CHECK(c == Status::failed);
      CHECK_MESSAGE(client->error().find(row.client_error) != std::string::npos, client->error());
    }
  }
  auto neither = taps::SecurityParameters::tls();
  auto made = TlsContext::make(neither, TlsContext::Role::server);
  REQUIRE_FALSE(made);
  CHECK(made.error().message().find("serverCertificate") != std::string::npos);
}
