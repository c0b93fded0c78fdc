#include "security/ephemeral_identity.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdint>

#include "security/certificate_info.hpp"

namespace taps {
namespace {

using detail::EvpPkeyPtr;
using detail::X509Ptr;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, detail::OpensslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

Error failed(const std::string& what) {
  return make_error(errc::invalid_configuration,
                    "ephemeral certificate: " + what + ": " + detail::take_openssl_error("rejected by OpenSSL"));
}

bool is_ip_literal(const std::string& name) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

// Letters, digits, '-' and '.', as a subjectAltName dNSName holds (RFC 5280 4.2.1.6);
// it also keeps ',' and ':' out of the extension text that OpenSSL parses below.
bool is_dns_name(const std::string& name) {
  return !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-' &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == std::string::npos;
}

bool add_extension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, certificate, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

// A positive serial of 63 random bits: unique enough that a client caching certificates
// by issuer and serial never confuses two runs.
bool set_random_serial(X509* certificate) {
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) return false;
  serial = (serial >> 1) | 1;
  return ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1;
}

}  // namespace

Result<EphemeralIdentity> EphemeralIdentity::generate(const std::vector<std::string>& names,
                                                      std::chrono::seconds validity) {
  if (names.empty()) return make_error(errc::invalid_configuration, "ephemeral certificate: no host name");
  // Short-lived by design; the upper bound keeps the end time inside what X509_gmtime_adj takes.
  if (validity <= std::chrono::seconds(0) || validity > std::chrono::years(30)) {
    return make_error(errc::invalid_configuration, "ephemeral certificate: the validity must be from 1 s to 30 years");
  }
  std::string alt_names;
  for (const auto& name : names) {
    bool ip = is_ip_literal(name);
    if (!ip && !is_dns_name(name)) {
      return make_error(errc::invalid_configuration,
                        "ephemeral certificate: '" + name + "' is neither a host name nor an IP address");
    }
    alt_names += (alt_names.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + name;
  }
  ERR_clear_error();
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return failed("cannot make a P-256 key");
  X509Ptr certificate(X509_new());
  if (!certificate) return failed("cannot make a certificate");
  X509* c = certificate.get();
  X509_NAME* subject = X509_get_subject_name(c);
  // A CN holds at most 64 characters (RFC 5280 appendix A); longer names live in the
  // subjectAltName only, which is what clients check anyway.
  const std::string& common_name = names.front().size() <= 64 ? names.front() : std::string("ephemeral");
  bool built =
      X509_set_version(c, X509_VERSION_3) == 1 && set_random_serial(c) &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1 &&
      X509_set_issuer_name(c, subject) == 1 && X509_gmtime_adj(X509_getm_notBefore(c), -60) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(c), static_cast<long>(validity.count())) != nullptr &&
      X509_set_pubkey(c, key.get()) == 1 && add_extension(c, NID_basic_constraints, "critical,CA:FALSE") &&
      add_extension(c, NID_key_usage, "critical,digitalSignature") &&
      add_extension(c, NID_ext_key_usage, "serverAuth") && add_extension(c, NID_subject_key_identifier, "hash") &&
      add_extension(c, NID_subject_alt_name, alt_names);
  if (!built) return failed("cannot fill in the certificate");
  if (X509_sign(c, key.get(), EVP_sha256()) <= 0) return failed("cannot sign the certificate");

  auto state = std::make_shared<State>();
  state->pin = detail::spki_pin_of(c);
  state->pin_base64 = detail::spki_pin_base64_of(c);
  state->subject = detail::name_text(X509_get_subject_name(c));
  state->not_after = detail::time_text(X509_get0_notAfter(c));
  state->certificate = std::move(certificate);
  state->key = std::move(key);
  return EphemeralIdentity(std::move(state));
}

const std::string& EphemeralIdentity::spki_pin() const noexcept { return state_->pin; }
const std::string& EphemeralIdentity::spki_pin_base64() const noexcept { return state_->pin_base64; }
const std::string& EphemeralIdentity::subject() const noexcept { return state_->subject; }
const std::string& EphemeralIdentity::not_after() const noexcept { return state_->not_after; }

std::string EphemeralIdentity::certificate_pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), state_->certificate.get()) != 1) return {};
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, length > 0 ? static_cast<std::size_t>(length) : 0);
}

}  // namespace taps
