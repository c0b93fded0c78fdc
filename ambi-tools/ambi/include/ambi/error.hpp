// Errors of the AMBI library: an enum with its own std::error_category. Every call
// that can fail returns or reports one of these; nothing throws on bad input.
#pragma once

#include <system_error>

namespace ambi {

enum class errc {
  manifest_truncated = 1,   // decode: the bytes end inside a manifest
  trailing_bytes,           // decode: bytes follow the one manifest
  manifest_too_large,       // a manifest would exceed the size bound (1 MiB by default)
  wrong_stream_id,          // Manifest Stream Identifier is not the one expected
  tlv_overrun,              // a TLV's value runs past the end of TLV Space
  tlv_underrun,             // TLV Space ends with bytes too few for a TLV header
  tlv_bad_length,           // a known TLV with a length its type does not allow
  tlv_space_too_large,      // encode: the TLVs do not fit in 65535 bytes
  too_many_digests,         // encode: more than 32767 digests
  digest_length_mismatch,   // a digest whose length is not the stream's digest length
  invalid_digest_length,    // a digest length of 0 or above Digest::max_size
  unknown_hash_algorithm,   // a hash algorithm name other than sha-256, sha-384, sha-512
  invalid_address,          // not a literal IPv4 or IPv6 address
  address_family_mismatch,  // source and destination of different address families
  payload_too_large,        // a UDP payload over 65535 bytes
  crypto_failure,           // OpenSSL failed to hash
};

const std::error_category& ambi_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), ambi_category()}; }

}  // namespace ambi

template <>
struct std::is_error_code_enum<ambi::errc> : std::true_type {};
