// The TLS 1.3 of QUIC (RFC 9001), on GnuTLS: Debian's OpenSSL 3.0 has no QUIC API, so
// QUIC's handshake runs on GnuTLS through ngtcp2's crypto helper while TLS over TCP
// stays on OpenSSL. The SecurityParameters mean the same for both (security.hpp): trust
// anchors (a file, a hashed directory or the system store), certificate and name
// verified by default, SNI, pins (DANE-EE, no CA or name check), client certificates,
// insecure_skip_verify. What differs: ALPN is required for QUIC (RFC 9001 section 8.1),
// so a Preconnection without one gets `taps`.
//
// Built once per Preconnection (credentials and the trust store are loaded once) and
// shared by every QUIC connection made from it. This layer knows nothing of ngtcp2: the
// QUIC layer gets a configured gnutls_session_t and hands it to the crypto helper.
#pragma once

#include <gnutls/gnutls.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "taps/error.hpp"
#include "taps/security.hpp"

namespace taps::detail {

struct GnutlsSessionDeleter {
  void operator()(gnutls_session_t s) const noexcept { gnutls_deinit(s); }
};
using GnutlsSessionPtr = std::unique_ptr<std::remove_pointer_t<gnutls_session_t>, GnutlsSessionDeleter>;

// The application protocol a QUIC Preconnection without `alpn` offers and accepts.
inline constexpr const char* default_quic_alpn = "taps";

class QuicTlsContext {
 public:
  enum class Role { client, server };

  // Reads every file the parameters name; a file GnuTLS cannot use is an
  // errc::invalid_configuration naming it and GnuTLS's reason.
  static Result<std::shared_ptr<QuicTlsContext>> make(const SecurityParameters& params, Role role);

  QuicTlsContext(const QuicTlsContext&) = delete;
  QuicTlsContext& operator=(const QuicTlsContext&) = delete;
  ~QuicTlsContext();

  // A session for one QUIC connection: TLS 1.3 only, our credentials, ALPN offered and
  // required. A client sends `sni` as server name (none when empty: an address).
  Result<GnutlsSessionPtr> new_session(const std::string& sni) const;

  // Client, during the handshake: the server's certificate as the parameters say (a pin
  // alone, else chain and `name`, which may be an address literal). Server: the client's
  // certificate against trusted_certificates (mutual TLS). The reason to refuse, or none.
  std::optional<std::string> verify_peer(gnutls_session_t session, const std::string& name) const;

  // What the handshake negotiated, for Connection::tls_info.
  TlsInfo info(gnutls_session_t session) const;

  const std::vector<std::string>& alpn() const noexcept { return alpn_; }
  const SecurityParameters& params() const noexcept { return params_; }

 private:
  QuicTlsContext(SecurityParameters params, Role role);

  SecurityParameters params_;
  Role role_;
  std::vector<std::string> alpn_;
  gnutls_certificate_credentials_t credentials_ = nullptr;
};

}  // namespace taps::detail
