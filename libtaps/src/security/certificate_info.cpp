#include "security/certificate_info.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <ctime>
#include <vector>

namespace taps::detail {
namespace {

std::vector<unsigned char> spki_sha256(X509* certificate) {
  unsigned char* der = nullptr;
  int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
  if (length <= 0) return {};
  std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
  unsigned int digest_length = 0;
  bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), &digest_length, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) return {};
  digest.resize(digest_length);
  return digest;
}

}  // namespace

std::string spki_pin_of(X509* certificate) {
  std::string out;
  for (unsigned char b : spki_sha256(certificate)) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 0xf];
  }
  return out;
}

std::string spki_pin_base64_of(X509* certificate) {
  auto digest = spki_sha256(certificate);
  if (digest.empty()) return {};
  std::string out(4 * ((digest.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest.data(), static_cast<int>(digest.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::string name_text(const X509_NAME* name) {
  if (!name) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string out(data, length > 0 ? static_cast<std::size_t>(length) : 0);
  BIO_free(bio);
  return out;
}

std::string time_text(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return {};
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace taps::detail
