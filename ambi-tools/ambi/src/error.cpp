#include "ambi/error.hpp"

#include <string>

namespace ambi {
namespace {

class AmbiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ambi"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::manifest_truncated: return "manifest truncated";
      case errc::trailing_bytes: return "bytes after the manifest";
      case errc::manifest_too_large: return "manifest too large";
      case errc::wrong_stream_id: return "wrong manifest stream identifier";
      case errc::tlv_overrun: return "TLV runs past TLV Space";
      case errc::tlv_underrun: return "TLV Space ends inside a TLV header";
      case errc::tlv_bad_length: return "TLV length not allowed for its type";
      case errc::tlv_space_too_large: return "TLVs exceed 65535 bytes";
      case errc::too_many_digests: return "more than 32767 digests in a manifest";
      case errc::digest_length_mismatch: return "digest length does not match the hash algorithm";
      case errc::invalid_digest_length: return "invalid digest length";
      case errc::unknown_hash_algorithm: return "unknown hash algorithm";
      case errc::invalid_address: return "not an IP address";
      case errc::address_family_mismatch: return "source and destination address families differ";
      case errc::payload_too_large: return "payload over 65535 bytes";
      case errc::crypto_failure: return "OpenSSL failed to hash";
    }
    return "unknown ambi error";
  }
};

}  // namespace

const std::error_category& ambi_category() noexcept {
  static const AmbiCategory category;
  return category;
}

}  // namespace ambi
