// The TLS configuration that a Preconnection's SecurityParameters describe, built once
// (an SSL_CTX with its trust store, certificate, ALPN and callbacks) and shared by
// every session made from it: loading the system trust store per connection costs
// tens of milliseconds.
//
// Client sessions are resumed from a small cache of tickets kept per server name and
// port (maxCachedSessions).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "security/openssl.hpp"
#include "security/tls_session.hpp"
#include "taps/error.hpp"
#include "taps/security.hpp"

namespace taps::detail {

class TlsContext : public std::enable_shared_from_this<TlsContext> {
 public:
  enum class Role { client, server };

  // Reads every file the parameters name; a file that cannot be used is an
  // errc::invalid_configuration naming it and OpenSSL's reason.
  static Result<std::shared_ptr<TlsContext>> make(const SecurityParameters& params, Role role);

  TlsContext(SslCtxPtr ctx, SecurityParameters params, Role role);
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A client session toward one candidate: `host_name` is the name it was resolved from
  // (empty for an address literal), `address` the address it connects to (no scope).
  std::unique_ptr<TlsSession> client_session(const std::string& host_name, const std::string& address,
                                             std::uint16_t port);
  std::unique_ptr<TlsSession> server_session();

  // After the handshake: what OpenSSL does not check itself (ALPN agreement). The
  // reason to refuse the session, or nothing.
  std::optional<std::string> check_established(const TlsSession& session) const;

  const SecurityParameters& params() const noexcept { return params_; }

 private:
  static int verify_certificate(X509_STORE_CTX* store, void* context);
  static int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                         const unsigned char* offered, unsigned int offered_length, void* context);
  static int new_session(SSL* ssl, SSL_SESSION* session);
  void remember(const std::string& peer, SslSessionPtr session);
  bool pin_matches(X509* leaf) const;

  SslCtxPtr ctx_;
  SecurityParameters params_;
  Role role_;
  std::string alpn_wire_;  // RFC 7301 wire format: length-prefixed names
  // Most recently used first; at most params_.max_cached_sessions entries.
  std::list<std::pair<std::string, SslSessionPtr>> sessions_;
};

}  // namespace taps::detail
