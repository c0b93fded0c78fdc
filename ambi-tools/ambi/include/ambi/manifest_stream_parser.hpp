// Incremental parser of an `ambi+tls` byte stream: manifests back to back, arriving in
// chunks cut anywhere. It hands out each digest as soon as its last byte is in, so a
// verifier can match packets before the rest of a large manifest arrives, and it never
// holds more than one header with its TLV Space (at most 65551 bytes) and one digest.
//
// Usage: feed each chunk through next() until it returns std::monostate:
//
//   std::span<const std::uint8_t> in = chunk;
//   for (;;) {
//     auto event = parser.next(in);
//     if (std::holds_alternative<std::monostate>(event)) break;   // chunk used up
//     if (auto* d = std::get_if<ambi::PacketDigest>(&event)) ...
//     if (auto* e = std::get_if<std::error_code>(&event)) { disconnect; break; }
//   }
//
// No I/O, no callbacks, no allocation after the first header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <variant>
#include <vector>

#include "ambi/digest.hpp"
#include "ambi/manifest.hpp"

namespace ambi {

// One complete digest of the manifest being parsed.
struct PacketDigest {
  std::uint32_t manifest_seq = 0;
  std::uint32_t packet_seq = 0;  // first_packet_seq + index, mod 2^32
  Digest digest;
};

// The manifest's last digest has been handed out (or it had none).
struct ManifestEnd {
  std::uint32_t manifest_seq = 0;
};

// std::monostate: the input is used up, feed more. ManifestHeader: the header and its
// TLVs are parsed and valid; its digests follow. std::error_code: the stream is broken
// and the caller should disconnect; every later call returns the same error.
using ManifestEvent = std::variant<std::monostate, ManifestHeader, PacketDigest, ManifestEnd, std::error_code>;

class ManifestStreamParser {
 public:
  // digest_length: from the stream's hash algorithm (see ambi::digest_length); outside
  // 1..Digest::max_size the parser fails with invalid_digest_length. expected_stream_id:
  // when set, any other Manifest Stream Identifier is errc::wrong_stream_id, reported as
  // soon as its 4 bytes are in. max_size bounds each whole manifest (manifest_too_large,
  // reported as soon as the header gives the size).
  explicit ManifestStreamParser(std::size_t digest_length,
                                std::optional<std::uint32_t> expected_stream_id = std::nullopt,
                                std::size_t max_size = max_manifest_size);

  // Consumes bytes from the front of `input` up to the next event and returns it;
  // `input` is advanced past what was consumed. Errors: wrong_stream_id,
  // manifest_too_large, tlv_overrun, tlv_underrun, tlv_bad_length, invalid_digest_length.
  ManifestEvent next(std::span<const std::uint8_t>& input);

  // True between manifests: the stream may end here without cutting one.
  bool at_boundary() const { return state_ == State::fixed_header && buffer_.empty() && !error_; }
  // Manifests completed so far.
  std::uint64_t manifests() const { return manifests_; }

 private:
  //   fixed_header --14 bytes--> tlv_space_length (T=1) --2--> tlvs --TLV Space--> digests
  //        ^                 \--(T=0)--------------------------------------------/    |
  //        +---------------------------------- count digests --------------------------+
  enum class State { fixed_header, tlv_space_length, tlvs, digests };

  ManifestEvent fail(std::error_code error);
  ManifestEvent header_complete();
  ManifestEvent digest_complete();
  // The whole manifest's size, once the header (with TLV Space when T = 1) is read.
  std::size_t manifest_size() const;
  // Moves bytes from input to buffer_ until it holds `want`; true when it does.
  bool fill(std::span<const std::uint8_t>& input, std::size_t want);

  std::size_t digest_length_;
  std::optional<std::uint32_t> expected_stream_id_;
  std::size_t max_size_;

  State state_ = State::fixed_header;
  std::vector<std::uint8_t> buffer_;
  ManifestHeader header_;
  std::uint16_t tlv_space_ = 0;
  std::uint16_t digests_done_ = 0;
  std::uint64_t manifests_ = 0;
  std::error_code error_;
};

}  // namespace ambi
