#include "ambi/manifest_stream_parser.hpp"

#include <algorithm>

#include "ambi/error.hpp"
#include "wire.hpp"

namespace ambi {
namespace {

constexpr std::size_t tlv_space_field = 2;

}  // namespace

ManifestStreamParser::ManifestStreamParser(std::size_t digest_length,
                                           std::optional<std::uint32_t> expected_stream_id, std::size_t max_size)
    : digest_length_(digest_length), expected_stream_id_(expected_stream_id), max_size_(max_size) {
  if (digest_length_ == 0 || digest_length_ > Digest::max_size) error_ = errc::invalid_digest_length;
}

ManifestEvent ManifestStreamParser::next(std::span<const std::uint8_t>& input) {
  if (error_) return error_;
  for (;;) {
    switch (state_) {
      case State::fixed_header: {
        // The stream identifier is checked on its own first, so a verifier connected to
        // the wrong stream learns it from 4 bytes.
        if (expected_stream_id_ && buffer_.size() < 4) {
          if (!fill(input, 4)) return std::monostate();
          if (detail::get32(buffer_.data()) != *expected_stream_id_) return fail(errc::wrong_stream_id);
        }
        if (!fill(input, manifest_fixed_size)) return std::monostate();
        const std::uint8_t* p = buffer_.data();
        header_ = ManifestHeader();
        header_.stream_id = detail::get32(p);
        header_.manifest_seq = detail::get32(p + 4);
        header_.first_packet_seq = detail::get32(p + 8);
        const std::uint16_t flag_count = detail::get16(p + 12);
        header_.digest_count = static_cast<std::uint16_t>(flag_count & 0x7fff);
        header_.tlvs.present = flag_count & 0x8000;
        tlv_space_ = 0;
        if (header_.tlvs.present) {
          state_ = State::tlv_space_length;
          break;
        }
        if (manifest_size() > max_size_) return fail(errc::manifest_too_large);
        return header_complete();
      }
      case State::tlv_space_length:
        if (!fill(input, manifest_fixed_size + tlv_space_field)) return std::monostate();
        tlv_space_ = detail::get16(buffer_.data() + manifest_fixed_size);
        if (manifest_size() > max_size_) return fail(errc::manifest_too_large);
        state_ = State::tlvs;
        break;
      case State::tlvs:
        if (!fill(input, manifest_fixed_size + tlv_space_field + tlv_space_)) return std::monostate();
        return header_complete();
      case State::digests:
        if (digests_done_ == header_.digest_count) {
          state_ = State::fixed_header;
          ++manifests_;
          return ManifestEnd{header_.manifest_seq};
        }
        if (!fill(input, digest_length_)) return std::monostate();
        return digest_complete();
    }
  }
}

std::size_t ManifestStreamParser::manifest_size() const {
  return manifest_fixed_size + (header_.tlvs.present ? tlv_space_field + tlv_space_ : 0) +
         std::size_t{header_.digest_count} * digest_length_;
}

bool ManifestStreamParser::fill(std::span<const std::uint8_t>& input, std::size_t want) {
  if (buffer_.size() < want) {
    const std::size_t n = std::min(want - buffer_.size(), input.size());
    buffer_.insert(buffer_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n));
    input = input.subspan(n);
  }
  return buffer_.size() == want;
}

ManifestEvent ManifestStreamParser::fail(std::error_code error) {
  error_ = error;
  buffer_.clear();
  return error_;
}

ManifestEvent ManifestStreamParser::header_complete() {
  const std::span<const std::uint8_t> tlvs =
      std::span(buffer_).subspan(header_.tlvs.present ? manifest_fixed_size + tlv_space_field : manifest_fixed_size);
  std::size_t at = 0;
  while (at < tlvs.size()) {
    const std::uint8_t type = tlvs[at];
    const std::size_t length_field = type < 128 ? 1 : 2;
    if (tlvs.size() - at < 1 + length_field) return fail(errc::tlv_underrun);
    const std::size_t length = length_field == 1 ? tlvs[at + 1] : detail::get16(&tlvs[at + 1]);
    at += 1 + length_field;
    if (tlvs.size() - at < length) return fail(errc::tlv_overrun);
    if (type == tlv_pad) {
      header_.tlvs.pad_bytes += length;
    } else if (type == tlv_refresh_deadline) {
      if (length != 2) return fail(errc::tlv_bad_length);
      header_.tlvs.refresh_deadline_s = detail::get16(&tlvs[at]);
    }
    at += length;
  }
  buffer_.clear();
  digests_done_ = 0;
  state_ = State::digests;
  return header_;
}

ManifestEvent ManifestStreamParser::digest_complete() {
  PacketDigest d;
  d.manifest_seq = header_.manifest_seq;
  d.packet_seq = header_.first_packet_seq + digests_done_;  // unsigned: wraps mod 2^32
  d.digest = Digest(buffer_);
  buffer_.clear();
  ++digests_done_;
  return d;
}

}  // namespace ambi
