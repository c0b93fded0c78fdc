#include "security/quic_tls_context.hpp"

#include <gnutls/x509.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "security/certificate_info.hpp"
#include "security/ephemeral_identity.hpp"
#include "security/openssl.hpp"

namespace taps::detail {
namespace {

// TLS 1.3 only, the AEADs QUIC defines (RFC 9001 section 5.3), and no middlebox
// compatibility mode, which QUIC forbids (section 8.4).
constexpr const char* priorities =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:"
    "%DISABLE_TLS13_COMPAT_MODE";

Error bad(const std::string& what, int rc) {
  return make_error(errc::invalid_configuration, what + ": " + gnutls_strerror(rc));
}

std::optional<Error> unreadable(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return std::nullopt;
  return make_error(errc::invalid_configuration, what + ": cannot read " + path + ": " + std::strerror(errno));
}

std::optional<Error> load_trust(gnutls_certificate_credentials_t credentials, const std::string& path) {
  if (path.empty()) {
    int rc = gnutls_certificate_set_x509_system_trust(credentials);
    if (rc < 0) return bad("cannot load the system trust store", rc);
    return std::nullopt;
  }
  if (auto e = unreadable("trustedCertificates", path)) return e;
  struct stat st {};
  ::stat(path.c_str(), &st);
  int rc = S_ISDIR(st.st_mode) ? gnutls_certificate_set_x509_trust_dir(credentials, path.c_str(), GNUTLS_X509_FMT_PEM)
                               : gnutls_certificate_set_x509_trust_file(credentials, path.c_str(), GNUTLS_X509_FMT_PEM);
  if (rc < 0) return bad("trustedCertificates: cannot load " + path, rc);
  if (rc == 0) return make_error(errc::invalid_configuration, "trustedCertificates: no certificate in " + path);
  return std::nullopt;
}

std::optional<Error> load_identity(gnutls_certificate_credentials_t credentials, const CertificateFiles& files,
                                   const std::string& name) {
  if (auto e = unreadable(name, files.chain)) return e;
  const auto& key = files.private_key.empty() ? files.chain : files.private_key;
  if (auto e = unreadable(name, key)) return e;
  int rc = gnutls_certificate_set_x509_key_file(credentials, files.chain.c_str(), key.c_str(), GNUTLS_X509_FMT_PEM);
  if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
    return make_error(errc::invalid_configuration, name + ": " + key + " is not the key of " + files.chain);
  }
  if (rc < 0) return bad(name + ": cannot load " + files.chain + " and its key " + key, rc);
  return std::nullopt;
}

// The ephemeral identity lives as OpenSSL objects; GnuTLS takes it as PEM in memory.
std::optional<Error> load_ephemeral(gnutls_certificate_credentials_t credentials, const EphemeralIdentity& identity) {
  const auto& state = EphemeralIdentityAccess::state(identity);
  BioPtr cert(BIO_new(BIO_s_mem())), key(BIO_new(BIO_s_mem()));
  if (!cert || !key || PEM_write_bio_X509(cert.get(), state.certificate.get()) != 1 ||
      PEM_write_bio_PrivateKey(key.get(), state.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(errc::invalid_configuration, "ephemeralServerIdentity: cannot use it");
  }
  auto datum = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return gnutls_datum_t{reinterpret_cast<unsigned char*>(data), static_cast<unsigned>(n)};
  };
  auto c = datum(cert.get()), k = datum(key.get());
  int rc = gnutls_certificate_set_x509_key_mem(credentials, &c, &k, GNUTLS_X509_FMT_PEM);
  if (rc < 0) return bad("ephemeralServerIdentity", rc);
  return std::nullopt;
}

X509Ptr leaf_of(gnutls_session_t session) {
  unsigned count = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(session, &count);
  if (!chain || count == 0) return nullptr;
  const unsigned char* der = chain[0].data;
  return X509Ptr(d2i_X509(nullptr, &der, chain[0].size));
}

bool is_address(const std::string& name) {
  return name.find(':') != std::string::npos || name.find_first_not_of("0123456789.") == std::string::npos;
}

// GnuTLS's verdict in the words the TLS/TCP stack uses (OpenSSL's), so that a test and a
// person read the same reason whichever stack refused. Only a client is told how to pin.
std::string reason_of(unsigned status, const std::string& name, X509* leaf, bool client) {
  if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
    bool self_signed = leaf && X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)) == 0;
    if (self_signed && !client) return "self-signed certificate)";
    if (self_signed) {
      return "self-signed certificate); no trusted CA issued it; its key's pin is " + spki_pin_of(leaf) +
             ": pin it (pinnedServerCertificate) if that is the server's key";
    }
    return "unable to get local issuer certificate)";
  }
  if (status & GNUTLS_CERT_EXPIRED) return "certificate has expired)";
  if (status & GNUTLS_CERT_NOT_ACTIVATED) return "certificate is not yet valid)";
  if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
    return std::string(is_address(name) ? "IP address" : "hostname") + " mismatch)";
  }
  gnutls_datum_t text{};
  std::string out = "certificate rejected)";
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
    out = std::string(reinterpret_cast<char*>(text.data), text.size) + ")";
    gnutls_free(text.data);
  }
  return out;
}

}  // namespace

QuicTlsContext::QuicTlsContext(SecurityParameters params, Role role) : params_(std::move(params)), role_(role) {
  alpn_ = params_.alpn.empty() ? std::vector<std::string>{default_quic_alpn} : params_.alpn;
}

QuicTlsContext::~QuicTlsContext() {
  if (credentials_) gnutls_certificate_free_credentials(credentials_);
}

Result<std::shared_ptr<QuicTlsContext>> QuicTlsContext::make(const SecurityParameters& params, Role role) {
  std::shared_ptr<QuicTlsContext> context(new QuicTlsContext(params, role));
  int rc = gnutls_certificate_allocate_credentials(&context->credentials_);
  if (rc < 0) return bad("cannot create GnuTLS credentials", rc);
  auto* credentials = context->credentials_;
  bool client = role == Role::client;
  for (const auto& name : context->alpn_) {
    if (name.empty() || name.size() > 255) {
      return make_error(errc::invalid_configuration, "alpn: '" + name + "' is not a protocol name (1-255 bytes)");
    }
  }
  // A server loads anchors only for mutual TLS; a client always verifies.
  if (client || !params.trusted_certificates.empty()) {
    if (auto e = load_trust(credentials, params.trusted_certificates)) return *e;
  }
  const auto& identity = client ? params.client_certificate : params.server_certificate;
  if (!identity.empty()) {
    if (auto e = load_identity(credentials, identity, client ? "clientCertificate" : "serverCertificate")) return *e;
  } else if (!client && params.ephemeral_server_identity) {
    if (auto e = load_ephemeral(credentials, *params.ephemeral_server_identity)) return *e;
  } else if (!client) {
    return make_error(errc::invalid_configuration,
                      "a QUIC Listener needs serverCertificate (a certificate chain and its private key) "
                      "or an ephemeral identity");
  }
  return context;
}

Result<GnutlsSessionPtr> QuicTlsContext::new_session(const std::string& sni) const {
  bool client = role_ == Role::client;
  gnutls_session_t raw = nullptr;
  // A client shows its certificate whenever asked, whatever issuers the server names, as
  // OpenSSL does for TLS/TCP: the server, not GnuTLS's guess, decides whether it is trusted.
  unsigned init_flags = client ? GNUTLS_CLIENT | GNUTLS_FORCE_CLIENT_CERT : GNUTLS_SERVER;
  int rc = gnutls_init(&raw, init_flags | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rc < 0) return bad("gnutls_init", rc);
  GnutlsSessionPtr session(raw);
  if ((rc = gnutls_priority_set_direct(raw, priorities, nullptr)) < 0) return bad("GnuTLS priorities", rc);
  if ((rc = gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, credentials_)) < 0) return bad("GnuTLS credentials", rc);
  std::vector<gnutls_datum_t> protocols;
  for (const auto& name : alpn_) {
    protocols.push_back({reinterpret_cast<unsigned char*>(const_cast<char*>(name.data())),
                         static_cast<unsigned>(name.size())});
  }
  unsigned flags = GNUTLS_ALPN_MANDATORY | (client ? 0 : GNUTLS_ALPN_SERVER_PRECEDENCE);
  if ((rc = gnutls_alpn_set_protocols(raw, protocols.data(), static_cast<unsigned>(protocols.size()), flags)) < 0) {
    return bad("alpn", rc);
  }
  if (client && !sni.empty()) gnutls_server_name_set(raw, GNUTLS_NAME_DNS, sni.data(), sni.size());
  if (!client && !params_.trusted_certificates.empty()) gnutls_certificate_server_set_request(raw, GNUTLS_CERT_REQUIRE);
  return session;
}

std::optional<std::string> QuicTlsContext::verify_peer(gnutls_session_t session, const std::string& name) const {
  bool client = role_ == Role::client;
  auto leaf = leaf_of(session);
  if (!leaf) {
    if (!client && params_.trusted_certificates.empty()) return std::nullopt;
    return std::string("certificate verify failed (the peer sent no certificate)");
  }
  // A pinned key is its own trust anchor (DANE-EE), as for TLS over TCP.
  if (client && !params_.pinned_server_certificate.empty()) {
    const auto& pins = params_.pinned_server_certificate;
    if (std::find(pins.begin(), pins.end(), spki_pin_of(leaf.get())) != pins.end()) return std::nullopt;
    return "certificate verify failed (the server's public key matches no pinnedServerCertificate; its pin is " +
           spki_pin_base64_of(leaf.get()) + " (hex " + spki_pin_of(leaf.get()) + "))";
  }
  if (client && params_.insecure_skip_verify) return std::nullopt;
  if (!client && params_.trusted_certificates.empty()) return std::nullopt;
  unsigned status = 0;
  int rc = gnutls_certificate_verify_peers3(session, client ? name.c_str() : nullptr, &status);
  if (rc < 0) return std::string("certificate verify failed (") + gnutls_strerror(rc) + ")";
  if (status == 0) return std::nullopt;
  return "certificate verify failed (" + reason_of(status, name, leaf.get(), client);
}

TlsInfo QuicTlsContext::info(gnutls_session_t session) const {
  TlsInfo info;
  info.version = "TLSv1.3";
  if (const char* suite = gnutls_ciphersuite_get(session)) info.cipher = suite;
  if (const char* group = gnutls_group_get_name(gnutls_group_get(session))) info.group = group;
  gnutls_datum_t alpn{};
  if (gnutls_alpn_get_selected_protocol(session, &alpn) == 0) {
    info.alpn.assign(reinterpret_cast<const char*>(alpn.data), alpn.size);
  }
  info.resumed = gnutls_session_is_resumed(session) != 0;
  if (auto peer = leaf_of(session)) {
    info.peer_subject = name_text(X509_get_subject_name(peer.get()));
    info.peer_issuer = name_text(X509_get_issuer_name(peer.get()));
    info.peer_not_before = time_text(X509_get0_notBefore(peer.get()));
    info.peer_not_after = time_text(X509_get0_notAfter(peer.get()));
    info.peer_spki_pin = spki_pin_of(peer.get());
  }
  return info;
}

}  // namespace taps::detail
