// The AMBI manifest (draft-ietf-mboned-ambi-05 section 3.3), network byte order:
//
//   Manifest Stream Identifier   32
//   Manifest Sequence Number     32 (wraps)
//   First Packet Sequence Number 32 (wraps)
//   T flag, Packet Digest Count  1, 15
//   TLV Space                    16, only when T = 1
//   TLVs                         TLV Space bytes
//   Packet Digests               count x digest length
//
// A TLV is a type byte, then a length: 8 bits for types 0-127, 16 bits for 128-255, then
// Length value bytes. So a TLV takes 2 + Length or 1 + 2 + Length bytes (the draft's
// figure says otherwise for 16-bit lengths; the field widths decide). The TLVs must fill
// TLV Space exactly. Type 0 is Pad, type 128 is Refresh Deadline (2 bytes, seconds);
// other types are skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "ambi/digest.hpp"

namespace ambi {

// A verifier refuses larger manifests (draft section 3.3 leaves the bound to us).
inline constexpr std::size_t max_manifest_size = std::size_t{1} << 20;
// Stream Identifier, both sequence numbers and the T flag with the count.
inline constexpr std::size_t manifest_fixed_size = 14;
inline constexpr std::size_t max_digest_count = 0x7fff;

inline constexpr std::uint8_t tlv_pad = 0;
inline constexpr std::uint8_t tlv_refresh_deadline = 128;

struct ManifestTlvs {
  // The T flag. encode() writes TLV Space when this is set or any TLV below is; decode()
  // sets it from the wire (T = 1 with TLV Space 0 is valid).
  bool present = false;
  // Refresh Deadline: the verifier re-reads the stream's metadata within this many seconds.
  std::optional<std::uint16_t> refresh_deadline_s;
  // Value bytes of Pad TLVs: encode() writes as many Pad TLVs as it takes (255 bytes of
  // value each at most); decode() adds up every Pad it meets.
  std::size_t pad_bytes = 0;

  friend bool operator==(const ManifestTlvs&, const ManifestTlvs&) = default;
};

// Everything before the digests, with the count the wire gives.
struct ManifestHeader {
  std::uint32_t stream_id = 0;
  std::uint32_t manifest_seq = 0;
  std::uint32_t first_packet_seq = 0;
  std::uint16_t digest_count = 0;
  ManifestTlvs tlvs;

  friend bool operator==(const ManifestHeader&, const ManifestHeader&) = default;
};

struct Manifest {
  std::uint32_t stream_id = 0;
  std::uint32_t manifest_seq = 0;
  // Digest i is for packet sequence number first_packet_seq + i (mod 2^32).
  std::uint32_t first_packet_seq = 0;
  ManifestTlvs tlvs;
  std::vector<Digest> digests;

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// Appends the wire form of `manifest` to `out`; on error `out` is left as it was.
// Errors: too_many_digests, digest_length_mismatch (every digest must be digest_length
// bytes), invalid_digest_length, tlv_space_too_large, manifest_too_large (over `max_size`).
std::error_code encode(const Manifest& manifest, std::size_t digest_length, std::vector<std::uint8_t>& out,
                       std::size_t max_size = max_manifest_size);

// Parses exactly one complete manifest. Errors: manifest_truncated, trailing_bytes,
// manifest_too_large, tlv_overrun, tlv_underrun, tlv_bad_length, invalid_digest_length.
// The stream identifier is not checked here (see ManifestStreamParser).
std::error_code decode(std::span<const std::uint8_t> bytes, std::size_t digest_length, Manifest& out,
                       std::size_t max_size = max_manifest_size);

}  // namespace ambi
