// Security Parameters (RFC 9622 section 6.3). With "tls1.3" allowed, Initiate and
// Listen run TLS 1.3 over TCP (OpenSSL 3); a stack that cannot carry TLS (UDP) is an
// unsatisfiable configuration, never a silent fall-back to plaintext.
//
// Certificate and host name are verified by default. Files are read when Initiate or
// Listen builds the TLS context: a missing or bad file is a configuration error
// returned at once (errc::invalid_configuration), naming the file.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taps/error.hpp"

namespace taps {

namespace detail {
struct EphemeralIdentityAccess;
}

// A certificate chain and its private key, as PEM files.
struct CertificateFiles {
  std::string chain;        // the leaf first, then intermediates
  std::string private_key;  // empty: the key is in the chain file

  bool empty() const noexcept { return chain.empty(); }
  friend bool operator==(const CertificateFiles&, const CertificateFiles&) = default;
};

// A private key and a self-signed certificate made in memory for one process, as
// `ncat -l --ssl` makes them: nothing is written to disk and the key dies with the
// process. No CA vouches for it, so clients trust it by its pin
// (pinnedServerCertificate), which the server shows them out of band.
class EphemeralIdentity {
 public:
  // Makes a fresh ECDSA P-256 key and a certificate signed by it: subject CN = the first
  // name, one subjectAltName per name (a DNS name, or an IP address for an address
  // literal), valid from a minute ago (clock skew) for `validity`. Fails at once with
  // errc::invalid_configuration when `names` is empty, a name is neither a host name
  // nor an address literal, `validity` is not from 1 s to 30 years, or OpenSSL cannot
  // make the key.
  // Pure computation on the calling thread (about a millisecond).
  static Result<EphemeralIdentity> generate(const std::vector<std::string>& names,
                                            std::chrono::seconds validity = std::chrono::hours(24));

  // SHA-256 of the certificate's SubjectPublicKeyInfo: 64 lowercase hex digits (what
  // pinnedServerCertificate and taps-cat --pin take), and the same in base64.
  const std::string& spki_pin() const noexcept;
  const std::string& spki_pin_base64() const noexcept;
  const std::string& subject() const noexcept;    // "CN=host.example"
  const std::string& not_after() const noexcept;  // "2026-12-04T13:00:00Z"
  // The certificate (never the key) as PEM, for a client that wants it as a trust anchor.
  std::string certificate_pem() const;

  // Copies share one key; two identities are equal when they are the same key.
  friend bool operator==(const EphemeralIdentity& a, const EphemeralIdentity& b) noexcept {
    return a.state_ == b.state_;
  }

  struct State;  // the OpenSSL key and certificate, private to libtaps

 private:
  friend struct detail::EphemeralIdentityAccess;
  explicit EphemeralIdentity(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

class SecurityParameters {
 public:
  // NewDisabledSecurityParameters(): no security protocol; plain stacks only.
  static SecurityParameters disabled() { return SecurityParameters{}; }
  // TLS 1.3 with every default: the system trust store, certificate and name verified,
  // SNI from the remote endpoint's host name.
  static SecurityParameters tls() {
    SecurityParameters s;
    s.allowed_security_protocols = {"tls1.3"};
    return s;
  }

  // NewOpportunisticSecurityParameters(): TLS 1.3 first, and plain TCP when TLS cannot
  // be established (the race tries both; ready names the stack that won).
  static SecurityParameters opportunistic() {
    SecurityParameters s = tls();
    s.opportunistic_security = true;
    return s;
  }
  // allowedSecurityProtocols: {"tls1.3"} is the one protocol this engine has; empty =
  // disabled. Anything else is rejected by Initiate and Listen.
  std::vector<std::string> allowed_security_protocols;

  // Trust anchors: a PEM file, or a directory prepared with `openssl rehash`. Empty =
  // the system store (Initiate). On a Listener a non-empty value turns on mutual TLS:
  // every client must present a certificate that chains to these anchors.
  std::string trusted_certificates;

  // serverCertificate: what Listen presents (a TLS Listener needs it or an
  // ephemeral_server_identity).
  CertificateFiles server_certificate;
  // _taps.ephemeralServerIdentity: what Listen presents when server_certificate is
  // empty; held in memory only (see EphemeralIdentity).
  std::optional<EphemeralIdentity> ephemeral_server_identity;
  // clientCertificate: what Initiate presents when the server asks (mutual TLS).
  CertificateFiles client_certificate;

  // pinnedServerCertificate: SHA-256 digests of acceptable server public keys (the DER
  // SubjectPublicKeyInfo), each as 64 lowercase hex digits (see parse_spki_pin). When
  // set, the server's key must match one of them, and a key that matches is trusted by
  // itself, without a CA or a name check (DANE-EE, RFC 7671 section 5.1; ssh's
  // known_hosts): that is how a client reaches a server with an EphemeralIdentity.
  std::vector<std::string> pinned_server_certificate;

  // alpn: application protocols, most preferred first. When set, a connection is made
  // only if both ends agree on one of them (a mismatch fails the handshake).
  std::vector<std::string> alpn;

  // _taps.serverName: the name sent as SNI and verified in the server's certificate.
  // Empty = the remote endpoint's host name; an IP address literal is verified as an
  // address (and sent without SNI, as RFC 6066 requires).
  std::string server_name;

  // maxCachedSessions: TLS sessions kept for resumption (client: per server name and
  // port; server: session tickets). 0 = every handshake is a full one.
  std::size_t max_cached_sessions = 64;

  // _taps.insecureSkipVerify: accept any certificate and name. Only for tests and
  // debugging; pins are still checked.
  bool insecure_skip_verify = false;
  // _taps.opportunistic: plain TCP may win the race when TLS fails (see opportunistic()).
  bool opportunistic_security = false;

  bool is_disabled() const noexcept { return allowed_security_protocols.empty(); }

  friend bool operator==(const SecurityParameters&, const SecurityParameters&) = default;
};

// What a TLS connection negotiated and who the peer is (Connection::tls_info), for
// people and scripts: ncat -v and s_client show the same.
struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
  std::string group;    // key exchange group, "X25519"
  std::string alpn;     // empty when none was agreed
  bool resumed = false;
  // The peer's certificate; empty when it sent none (a client without one).
  std::string peer_subject, peer_issuer, peer_not_before, peer_not_after;
  std::string peer_spki_pin;  // SHA-256 of its SubjectPublicKeyInfo, 64 hex digits (--pin)
};

// Reads a public key pin, the SHA-256 of a DER SubjectPublicKeyInfo, given as 64 hex
// digits (either case, ':' separators allowed) or as base64 (44 characters, what
// `openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` prints).
// Returns the 64 lowercase hex digits, or nullopt when it is neither.
std::optional<std::string> parse_spki_pin(std::string_view text);

}  // namespace taps
