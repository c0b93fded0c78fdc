// libFuzzer target for the AMBI digest store. The input is a list of 4-byte operations
// on one store with small bounds: a digest from a manifest, a packet (its digest one of
// a few, so matches, replays and duplicates happen), time passing, expire. Checks,
// beyond the sanitizers: the bounds hold after every operation, and every packet the
// store held comes back exactly once (delivered by a digest or timed out) or is still
// pending at the end, and no packet sequence number delivers twice, however digests are
// re-sent (DESIGN.md 6.5).
#include <cstdint>
#include <cstdlib>
#include <unordered_set>
#include <vector>

#include "ambi/digest_store.hpp"

namespace {

ambi::Digest digest_of(std::uint8_t id) {
  std::uint8_t bytes[32] = {};
  bytes[0] = id;
  bytes[9] = 0x5a;
  return ambi::Digest(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono_literals;
  const ambi::DigestStoreLimits limits{.data_hold_time = 200ms,
                                       .digest_hold_time = 1000ms,
                                       .max_pending_packets = 16,
                                       .max_pending_bytes = 16 * 1024,
                                       .max_held_digests = 32};
  ambi::DigestStore store(limits);
  ambi::TimePoint now{};
  std::vector<std::uint8_t> payload(1500);
  std::size_t held = 0, returned = 0;
  std::unordered_set<std::uint32_t> delivered;
  auto once = [&](std::uint32_t seq) {
    if (!delivered.insert(seq).second) std::abort();
  };

  for (std::size_t at = 0; at + 4 <= size; at += 4) {
    const std::uint8_t op = data[at] % 4, a = data[at + 1];
    const std::uint16_t b = static_cast<std::uint16_t>(data[at + 2] | data[at + 3] << 8);
    switch (op) {
      case 0: {
        // Sequence numbers near the wrap.
        auto d = store.on_digest(0xffffff00u + b, digest_of(a % 8), now);
        if (d) {
          ++returned;
          once(d->packet_seq);
        }
        break;
      }
      case 1: {
        auto verdict = store.on_packet(digest_of(a % 8), std::span(payload).first(b % payload.size()), now, b);
        held += std::holds_alternative<ambi::Held>(verdict);
        if (auto* d = std::get_if<ambi::Delivered>(&verdict)) once(d->packet_seq);
        break;
      }
      case 2:
        now += std::chrono::milliseconds(b % 2048);
        break;
      case 3:
        returned += store.expire(now).size();
        break;
    }
    if (store.pending_packets() > limits.max_pending_packets || store.pending_bytes() > limits.max_pending_bytes ||
        store.held_digests() > limits.max_held_digests) {
      std::abort();
    }
  }
  if (held != returned + store.pending_packets()) std::abort();
  return 0;
}
