#include "ambi-manifest-send/manifest_builder.hpp"

#include <algorithm>

namespace ambi_manifest_send {
namespace {

// What fits the 15-bit count and a verifier's manifest size bound (a header with a
// Refresh Deadline TLV is 21 bytes).
std::size_t max_digests(std::size_t digest_length) {
  return std::min(ambi::max_digest_count, (ambi::max_manifest_size - 64) / digest_length);
}

}  // namespace

ManifestBuilder::ManifestBuilder(std::uint32_t stream_id, ambi::HashAlgorithm hash, std::size_t digests_per_manifest,
                                 std::optional<std::uint16_t> refresh_deadline_s)
    : stream_id_(stream_id), digest_length_(ambi::digest_length(hash)),
      per_manifest_(std::clamp<std::size_t>(digests_per_manifest, 1, max_digests(digest_length_))),
      refresh_deadline_s_(refresh_deadline_s) {}

std::uint32_t ManifestBuilder::add(const ambi::Digest& digest) {
  if (digests_.empty()) first_packet_seq_ = next_packet_seq_;
  digests_.push_back(digest);
  return next_packet_seq_++;
}

std::vector<std::uint8_t> ManifestBuilder::take(ambi::ManifestHeader* header) {
  std::vector<std::uint8_t> out;
  if (digests_.empty()) return out;
  ambi::Manifest m;
  m.stream_id = stream_id_;
  m.manifest_seq = next_manifest_seq_++;
  m.first_packet_seq = first_packet_seq_;
  m.tlvs.refresh_deadline_s = refresh_deadline_s_;
  m.digests = std::move(digests_);
  digests_.clear();
  // Cannot fail: the count is clamped to what fits, and every digest has the stream's length.
  (void)ambi::encode(m, digest_length_, out);
  if (header) {
    *header = {m.stream_id, m.manifest_seq, m.first_packet_seq, static_cast<std::uint16_t>(m.digests.size()), m.tlvs};
  }
  return out;
}

}  // namespace ambi_manifest_send
