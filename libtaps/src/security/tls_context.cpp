#include "security/tls_context.hpp"

#include "security/certificate_info.hpp"
#include "security/ephemeral_identity.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <new>

namespace taps::detail {
namespace {

bool is_ip_literal(const std::string& s) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// OpenSSL names a missing file "system lib" and a file that is not PEM "no start line";
// the user needs the path and the cause in words.
Error bad(const std::string& what) {
  std::string reason = take_openssl_error("rejected by OpenSSL");
  if (reason == "no start line") reason = "not a PEM file (no -----BEGIN line)";
  if (reason == "no certificate or crl found") reason = "not a PEM file (no certificate in it)";
  return make_error(errc::invalid_configuration, what + ": " + reason);
}

std::optional<Error> unreadable(const std::string& what, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd != -1) {
    ::close(fd);
    return std::nullopt;
  }
  return make_error(errc::invalid_configuration, fmt::format("{}: cannot read {}: {}", what, path, std::strerror(errno)));
}

std::optional<Error> load_trust(SSL_CTX* ctx, const std::string& path, TlsContext::Role role) {
  if (path.empty()) {
    if (role == TlsContext::Role::client && SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return bad("cannot load the system trust store");
    }
    return std::nullopt;
  }
  std::error_code ec;
  bool directory = std::filesystem::is_directory(path, ec);
  if (auto e = unreadable("trustedCertificates", path)) return e;
  int ok = directory ? SSL_CTX_load_verify_dir(ctx, path.c_str()) : SSL_CTX_load_verify_file(ctx, path.c_str());
  if (ok != 1) return bad("trustedCertificates: cannot load " + path);
  if (role == TlsContext::Role::server && !directory) {
    // Tells clients which CAs we accept, so that one holding several certificates picks.
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(path.c_str()));
  }
  return std::nullopt;
}

std::optional<Error> load_identity(SSL_CTX* ctx, const CertificateFiles& files, const char* which) {
  std::string name = which;
  if (auto e = unreadable(name, files.chain)) return e;
  if (!files.private_key.empty()) {
    if (auto e = unreadable(name, files.private_key)) return e;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, files.chain.c_str()) != 1) {
    return bad(name + ": cannot load the certificate chain " + files.chain);
  }
  const std::string& key = files.private_key.empty() ? files.chain : files.private_key;
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return make_error(errc::invalid_configuration, name + ": " + key + " is not the key of " + files.chain);
    }
    return bad(name + ": cannot load the private key " + key);
  }
  return std::nullopt;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::make(const SecurityParameters& params, Role role) {
  ERR_clear_error();
  bool client = role == Role::client;
  SslCtxPtr ctx(SSL_CTX_new(client ? TLS_client_method() : TLS_server_method()));
  if (!ctx) return bad("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  if (auto e = load_trust(ctx.get(), params.trusted_certificates, role)) return *e;
  bool ephemeral = !client && params.server_certificate.empty() && params.ephemeral_server_identity;
  if (!client && params.server_certificate.empty() && !ephemeral) {
    return make_error(errc::invalid_configuration,
                      "a TLS Listener needs serverCertificate (a certificate chain and its private key) "
                      "or an ephemeral identity");
  }
  const auto& identity = client ? params.client_certificate : params.server_certificate;
  if (!identity.empty()) {
    if (auto e = load_identity(ctx.get(), identity, client ? "clientCertificate" : "serverCertificate")) return *e;
  } else if (ephemeral) {
    const auto& state = EphemeralIdentityAccess::state(*params.ephemeral_server_identity);
    if (SSL_CTX_use_certificate(ctx.get(), state.certificate.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), state.key.get()) != 1) {
      return bad("ephemeralServerIdentity: cannot use it");
    }
  }
  std::string wire;
  for (const auto& name : params.alpn) {
    if (name.empty() || name.size() > 255) {
      return make_error(errc::invalid_configuration, "alpn: '" + name + "' is not a protocol name (1-255 bytes)");
    }
    wire += static_cast<char>(name.size());
    wire += name;
  }
  auto context = std::make_shared<TlsContext>(std::move(ctx), params, role);
  context->alpn_wire_ = std::move(wire);
  SSL_CTX* c = context->ctx_.get();
  SSL_CTX_set_app_data(c, context.get());

  // Clients always verify (the callback skips the chain under insecure_skip_verify, so
  // that pins still apply); servers ask for a certificate only for mutual TLS.
  int verify = client ? SSL_VERIFY_PEER
               : params.trusted_certificates.empty() ? SSL_VERIFY_NONE
                                                     : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(c, verify, nullptr);
  SSL_CTX_set_cert_verify_callback(c, verify_certificate, context.get());

  if (!params.alpn.empty()) {
    if (client) {
      SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(context->alpn_wire_.data()),
                              static_cast<unsigned int>(context->alpn_wire_.size()));
    } else {
      SSL_CTX_set_alpn_select_cb(c, select_alpn, context.get());
    }
  }
  if (params.max_cached_sessions == 0) {
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    if (!client) SSL_CTX_set_num_tickets(c, 0);
  } else if (client) {
    // OpenSSL's client cache stores but never looks up: we keep tickets ourselves.
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, new_session);
  } else {
    SSL_CTX_sess_set_cache_size(c, static_cast<long>(params.max_cached_sessions));
  }
  return context;
}

TlsContext::TlsContext(SslCtxPtr ctx, SecurityParameters params, Role role)
    : ctx_(std::move(ctx)), params_(std::move(params)), role_(role) {}

std::unique_ptr<TlsSession> TlsContext::client_session(const std::string& host_name, const std::string& address,
                                                       std::uint16_t port) {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) throw std::bad_alloc();
  const std::string& name = !params_.server_name.empty() ? params_.server_name
                            : !host_name.empty()         ? host_name
                                                         : address;
  bool literal = is_ip_literal(name);
  if (!literal) SSL_set_tlsext_host_name(ssl.get(), name.c_str());
  if (!params_.insecure_skip_verify) {
    if (literal) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str());
    } else {
      SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl.get(), name.c_str());
    }
  }
  std::string peer = name + " " + std::to_string(port);
  // RFC 8446 appendix C.4: a ticket is used once; the server sends fresh ones.
  auto cached = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& e) { return e.first == peer; });
  if (cached != sessions_.end()) {
    if (SSL_SESSION_is_resumable(cached->second.get())) SSL_set_session(ssl.get(), cached->second.get());
    sessions_.erase(cached);
  }
  SSL_set_connect_state(ssl.get());
  return std::make_unique<TlsSession>(shared_from_this(), std::move(ssl), std::move(peer));
}

std::unique_ptr<TlsSession> TlsContext::server_session() {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) throw std::bad_alloc();
  SSL_set_accept_state(ssl.get());
  return std::make_unique<TlsSession>(shared_from_this(), std::move(ssl), std::string());
}

std::optional<std::string> TlsContext::check_established(const TlsSession& session) const {
  if (params_.alpn.empty() || !session.alpn().empty()) return std::nullopt;
  return "no application protocol agreed with ALPN (ours: " + joined(params_.alpn) + ")";
}

int TlsContext::verify_certificate(X509_STORE_CTX* store, void* context) {
  const auto& self = *static_cast<TlsContext*>(context);
  bool client = self.role_ == Role::client;
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  auto session = [store] {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    return static_cast<TlsSession*>(SSL_get_app_data(ssl));
  };
  // A pinned key is its own trust anchor (DANE-EE, RFC 7671 section 5.1): the server
  // that proves it holds that key needs no CA and no name, which is how a client reaches
  // an ephemeral self-signed server. Any other key is refused, whoever vouches for it.
  if (client && !self.params_.pinned_server_certificate.empty()) {
    if (self.pin_matches(leaf)) return 1;
    session()->set_verify_detail("the server's public key matches no pinnedServerCertificate; its pin is " +
                                 spki_pin_base64_of(leaf) + " (hex " + spki_pin_of(leaf) + ")");
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (client && self.params_.insecure_skip_verify) return 1;
  if (X509_verify_cert(store) == 1) return 1;
  // A self-signed server (taps-cat -l --tls without a certificate, say) can still be
  // trusted by its key: name the pin, which its operator can compare out of band.
  if (client && X509_STORE_CTX_get_error(store) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
    session()->set_verify_hint("no trusted CA issued it; its key's pin is " + spki_pin_of(leaf) +
                               ": pin it (pinnedServerCertificate) if that is the server's key");
  }
  return 0;
}

bool TlsContext::pin_matches(X509* leaf) const {
  const auto& pins = params_.pinned_server_certificate;
  return std::find(pins.begin(), pins.end(), spki_pin_of(leaf)) != pins.end();
}

// Our preference wins (RFC 7301 section 3.2); no overlap is a fatal
// no_application_protocol alert.
int TlsContext::select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                            unsigned int offered_length, void* context) {
  const auto& self = *static_cast<TlsContext*>(context);
  for (const auto& ours : self.params_.alpn) {
    for (unsigned int i = 0; i < offered_length; i += 1u + offered[i]) {
      unsigned int length = offered[i];
      if (i + 1 + length > offered_length) break;
      if (std::string_view(reinterpret_cast<const char*>(offered + i + 1), length) == ours) {
        *out = offered + i + 1;
        *out_length = static_cast<unsigned char>(length);
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

int TlsContext::new_session(SSL* ssl, SSL_SESSION* session) {
  auto& self = *static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const auto& peer = static_cast<TlsSession*>(SSL_get_app_data(ssl))->peer();
  self.remember(peer, SslSessionPtr(session));
  return 1;  // the reference is ours now
}

// Every ticket is kept, not only the newest per server: each is used once (RFC 8446
// appendix C.4), and the clones of a connection group start together, each wanting one.
void TlsContext::remember(const std::string& peer, SslSessionPtr session) {
  sessions_.emplace_front(peer, std::move(session));
  while (sessions_.size() > params_.max_cached_sessions) sessions_.pop_back();
}

}  // namespace taps::detail
