// Collects packet digests and cuts them into manifests (draft-ietf-mboned-ambi-05
// section 3.3): consecutive packet sequence numbers, a manifest sequence number per
// manifest, both wrapping. Pure: digests in, manifest bytes out.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ambi/manifest.hpp"

namespace ambi_manifest_send {

class ManifestBuilder {
 public:
  // `digests_per_manifest` is clamped to 1.. what fits in 1 MiB and 15 bits.
  // `refresh_deadline_s`, when set, goes into every manifest as a Refresh Deadline TLV.
  ManifestBuilder(std::uint32_t stream_id, ambi::HashAlgorithm hash, std::size_t digests_per_manifest,
                  std::optional<std::uint16_t> refresh_deadline_s = std::nullopt);

  // Adds the digest of the next packet; returns that packet's sequence number.
  std::uint32_t add(const ambi::Digest& digest);
  bool full() const { return digests_.size() >= per_manifest_; }
  bool empty() const { return digests_.empty(); }

  // The manifest of the digests added since the last take(), in wire form; empty when
  // there are none. `header` (optional) gets what it holds, for events.
  std::vector<std::uint8_t> take(ambi::ManifestHeader* header = nullptr);

 private:
  std::uint32_t stream_id_;
  std::size_t digest_length_;
  std::size_t per_manifest_;
  std::optional<std::uint16_t> refresh_deadline_s_;
  std::uint32_t next_packet_seq_ = 0;
  std::uint32_t next_manifest_seq_ = 0;
  std::uint32_t first_packet_seq_ = 0;  // of the digests in digests_
  std::vector<ambi::Digest> digests_;
};

}  // namespace ambi_manifest_send
