// Security Parameters (RFC 9622 section 6.3). With "tls1.3" allowed, Initiate and
// Listen run TLS 1.3 over TCP (OpenSSL 3); a stack that cannot carry TLS (UDP) is an
// unsatisfiable configuration, never a silent fall-back to plaintext.
//
// Certificate and host name are verified by default. Files are read when Initiate or
// Listen builds the TLS context: a missing or bad file is a configuration error
// returned at once (errc::invalid_configuration), naming the file.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taps {

// A certificate chain and its private key, as PEM files.
struct CertificateFiles {
  std::string chain;        // the leaf first, then intermediates
  std::string private_key;  // empty: the key is in the chain file

  bool empty() const noexcept { return chain.empty(); }
  friend bool operator==(const CertificateFiles&, const CertificateFiles&) = default;
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

  // serverCertificate: what Listen presents (required for a TLS Listener).
  CertificateFiles server_certificate;
  // clientCertificate: what Initiate presents when the server asks (mutual TLS).
  CertificateFiles client_certificate;

  // pinnedServerCertificate: SHA-256 digests of acceptable server public keys (the DER
  // SubjectPublicKeyInfo), each as 64 lowercase hex digits (see parse_spki_pin). When
  // set, the server's key must match one of them, in addition to verification.
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
