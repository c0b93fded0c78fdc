// Packet digests (draft-ietf-mboned-ambi-05 section 3.4): H(pseudoheader || UDP payload)
// with a hash algorithm named as in the ietf-ambi YANG model.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "ambi/pseudoheader.hpp"

// OpenSSL's types, declared so that users of this header do not include OpenSSL.
struct evp_md_st;
struct evp_md_ctx_st;

namespace ambi {

enum class HashAlgorithm { sha256, sha384, sha512 };

// "sha-256" (mandatory to implement), "sha-384", "sha-512". Anything else, including
// other spellings, is errc::unknown_hash_algorithm: a verifier must fail closed.
std::error_code parse_hash_algorithm(std::string_view name, HashAlgorithm& out);
std::string_view hash_algorithm_name(HashAlgorithm algorithm);
// 32, 48 or 64 bytes.
std::size_t digest_length(HashAlgorithm algorithm);

// One digest by value: no allocation, so that hashing a packet and looking it up
// allocates nothing. Equal when length and bytes are.
struct Digest {
  static constexpr std::size_t max_size = 64;

  std::array<std::uint8_t, max_size> bytes{};
  std::uint8_t size = 0;

  Digest() = default;
  // Keeps at most max_size bytes of `data`; callers check lengths first.
  explicit Digest(std::span<const std::uint8_t> data)
      : size(static_cast<std::uint8_t>(std::min(data.size(), max_size))) {
    std::memcpy(bytes.data(), data.data(), size);
  }

  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
  // Lower-case hex, for events and logs.
  std::string to_hex() const;

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.size == b.size && std::memcmp(a.bytes.data(), b.bytes.data(), a.size) == 0;
  }
};

// Hashes packets with one algorithm. The algorithm is fetched from OpenSSL once and one
// digest context is reused; digest() allocates nothing itself. Not thread-safe: one per
// thread. Movable, not copyable; a moved-from hasher may only be destroyed or assigned.
class PacketHasher {
 public:
  // Throws std::system_error(errc::crypto_failure) only when OpenSSL cannot provide
  // the algorithm at all (a broken installation), never because of input.
  explicit PacketHasher(HashAlgorithm algorithm);
  ~PacketHasher();
  PacketHasher(PacketHasher&&) noexcept;
  PacketHasher& operator=(PacketHasher&&) noexcept;

  HashAlgorithm algorithm() const { return algorithm_; }

  // out = H(pseudoheader(endpoints, stream_id, payload.size()) || payload). Errors:
  // address_family_mismatch, payload_too_large, crypto_failure; `out` is then empty.
  std::error_code digest(const PacketEndpoints& endpoints, std::uint32_t stream_id,
                         std::span<const std::uint8_t> payload, Digest& out);
  // H(bytes): the same hash over bytes given whole (the pseudoheader made elsewhere).
  std::error_code digest(std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload, Digest& out);

 private:
  struct MdDeleter {
    void operator()(evp_md_st* md) const noexcept;
  };
  struct MdCtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };

  HashAlgorithm algorithm_;
  std::unique_ptr<evp_md_st, MdDeleter> md_;
  std::unique_ptr<evp_md_ctx_st, MdCtxDeleter> ctx_;
};

}  // namespace ambi
