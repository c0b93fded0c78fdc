#include "ambi/digest.hpp"

#include <openssl/evp.h>

#include "ambi/error.hpp"

namespace ambi {

std::error_code parse_hash_algorithm(std::string_view name, HashAlgorithm& out) {
  if (name == "sha-256") out = HashAlgorithm::sha256;
  else if (name == "sha-384") out = HashAlgorithm::sha384;
  else if (name == "sha-512") out = HashAlgorithm::sha512;
  else return errc::unknown_hash_algorithm;
  return {};
}

std::string_view hash_algorithm_name(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::sha256: return "sha-256";
    case HashAlgorithm::sha384: return "sha-384";
    case HashAlgorithm::sha512: return "sha-512";
  }
  return "sha-256";
}

std::size_t digest_length(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::sha256: return 32;
    case HashAlgorithm::sha384: return 48;
    case HashAlgorithm::sha512: return 64;
  }
  return 32;
}

std::string Digest::to_hex() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * size);
  for (auto b : view()) {
    s += hex[b >> 4];
    s += hex[b & 0xf];
  }
  return s;
}

namespace {

const char* openssl_name(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::sha256: return "SHA2-256";
    case HashAlgorithm::sha384: return "SHA2-384";
    case HashAlgorithm::sha512: return "SHA2-512";
  }
  return "SHA2-256";
}

}  // namespace

void PacketHasher::MdDeleter::operator()(evp_md_st* md) const noexcept { EVP_MD_free(md); }
void PacketHasher::MdCtxDeleter::operator()(evp_md_ctx_st* ctx) const noexcept { EVP_MD_CTX_free(ctx); }

// An explicit fetch instead of EVP_sha256(): the implicit one looks the algorithm up in
// the provider store on every EVP_DigestInit, a lock and a search per packet.
PacketHasher::PacketHasher(HashAlgorithm algorithm)
    : algorithm_(algorithm), md_(EVP_MD_fetch(nullptr, openssl_name(algorithm), nullptr)), ctx_(EVP_MD_CTX_new()) {
  if (!md_ || !ctx_) throw std::system_error(make_error_code(errc::crypto_failure), openssl_name(algorithm));
}

PacketHasher::~PacketHasher() = default;
PacketHasher::PacketHasher(PacketHasher&&) noexcept = default;
PacketHasher& PacketHasher::operator=(PacketHasher&&) noexcept = default;

std::error_code PacketHasher::digest(const PacketEndpoints& endpoints, std::uint32_t stream_id,
                                     std::span<const std::uint8_t> payload, Digest& out) {
  Pseudoheader header;
  if (auto ec = make_pseudoheader(endpoints, stream_id, payload.size(), header)) {
    out = Digest();
    return ec;
  }
  return digest(header.view(), payload, out);
}

std::error_code PacketHasher::digest(std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload,
                                     Digest& out) {
  unsigned int size = 0;
  // The context and the fetched algorithm are reused, but OpenSSL 3.0 still frees and
  // re-creates the provider's state on each init: one small allocation inside OpenSSL per
  // packet (about a tenth of a 1200-byte SHA-256 here; every EVP path does it in 3.0).
  if (EVP_DigestInit_ex2(ctx_.get(), md_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx_.get(), header.data(), header.size()) != 1 ||
      EVP_DigestUpdate(ctx_.get(), payload.data(), payload.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_.get(), out.bytes.data(), &size) != 1) {
    out = Digest();
    return errc::crypto_failure;
  }
  out.size = static_cast<std::uint8_t>(size);
  return {};
}

}  // namespace ambi
