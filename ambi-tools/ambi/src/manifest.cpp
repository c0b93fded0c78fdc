#include "ambi/manifest.hpp"

#include "ambi/error.hpp"
#include "ambi/manifest_stream_parser.hpp"
#include "wire.hpp"

namespace ambi {
namespace {

constexpr std::size_t max_pad_value = 255;  // Pad has an 8-bit length

std::size_t tlv_space_of(const ManifestTlvs& tlvs) {
  std::size_t space = tlvs.refresh_deadline_s ? 1 + 2 + 2 : 0;
  const std::size_t pads = (tlvs.pad_bytes + max_pad_value - 1) / max_pad_value;
  return space + 2 * pads + tlvs.pad_bytes;
}

}  // namespace

std::error_code encode(const Manifest& manifest, std::size_t digest_length, std::vector<std::uint8_t>& out,
                       std::size_t max_size) {
  if (digest_length == 0 || digest_length > Digest::max_size) return errc::invalid_digest_length;
  if (manifest.digests.size() > max_digest_count) return errc::too_many_digests;
  for (const auto& d : manifest.digests) {
    if (d.size != digest_length) return errc::digest_length_mismatch;
  }
  const std::size_t tlv_space = tlv_space_of(manifest.tlvs);
  if (tlv_space > 0xffff) return errc::tlv_space_too_large;
  const bool t_flag = manifest.tlvs.present || tlv_space > 0;
  const std::size_t size = manifest_fixed_size + (t_flag ? 2 + tlv_space : 0) + manifest.digests.size() * digest_length;
  if (size > max_size) return errc::manifest_too_large;

  out.reserve(out.size() + size);
  detail::put32(out, manifest.stream_id);
  detail::put32(out, manifest.manifest_seq);
  detail::put32(out, manifest.first_packet_seq);
  detail::put16(out, static_cast<std::uint16_t>((t_flag ? 0x8000 : 0) | manifest.digests.size()));
  if (t_flag) {
    detail::put16(out, static_cast<std::uint16_t>(tlv_space));
    if (manifest.tlvs.refresh_deadline_s) {
      out.push_back(tlv_refresh_deadline);
      detail::put16(out, 2);
      detail::put16(out, *manifest.tlvs.refresh_deadline_s);
    }
    for (std::size_t left = manifest.tlvs.pad_bytes; left > 0;) {
      const std::size_t n = std::min(left, max_pad_value);
      out.push_back(tlv_pad);
      out.push_back(static_cast<std::uint8_t>(n));
      out.insert(out.end(), n, 0);
      left -= n;
    }
  }
  for (const auto& d : manifest.digests) out.insert(out.end(), d.bytes.begin(), d.bytes.begin() + d.size);
  return {};
}

// One parser for both paths, so a manifest read whole and one read from the stream
// obey the same rules.
std::error_code decode(std::span<const std::uint8_t> bytes, std::size_t digest_length, Manifest& out,
                       std::size_t max_size) {
  out = Manifest();
  ManifestStreamParser parser(digest_length, std::nullopt, max_size);
  for (;;) {
    auto event = parser.next(bytes);
    if (std::holds_alternative<std::monostate>(event)) return errc::manifest_truncated;
    if (auto* error = std::get_if<std::error_code>(&event)) return *error;
    if (auto* header = std::get_if<ManifestHeader>(&event)) {
      out.stream_id = header->stream_id;
      out.manifest_seq = header->manifest_seq;
      out.first_packet_seq = header->first_packet_seq;
      out.tlvs = header->tlvs;
      out.digests.reserve(header->digest_count);
    } else if (auto* digest = std::get_if<PacketDigest>(&event)) {
      out.digests.push_back(digest->digest);
    } else {
      return bytes.empty() ? std::error_code() : make_error_code(errc::trailing_bytes);
    }
  }
}

}  // namespace ambi
