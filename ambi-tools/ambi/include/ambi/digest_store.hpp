// The verifier's state (draft-ietf-mboned-ambi-05 section 3.2; DESIGN.md 6.3): digests
// from manifests, keyed by packet sequence number, and packets that arrived before
// their digest. It decides, for each packet, deliver now, hold, or drop.
//
//  - A packet whose digest is held and not yet consumed is delivered at once and
//    consumes that digest's slot (its packet sequence number). Each slot authenticates
//    at most one packet: identical payloads under two slots deliver twice, a third copy
//    is a replay. A consumed slot stays, so repeats (and re-sent manifests) are ignored,
//    until the digest expires.
//  - A packet with no held digest waits up to data_hold_time for it, then is dropped as
//    timeout. A digest that arrives in time delivers the oldest such packet.
//  - Digests expire digest_hold_time after they last arrived: a digest re-sent while
//    held (and not yet used) starts its hold time again (draft section 3.2).
//  - Once only, across reconnects (DESIGN.md 6.5): a slot whose digest was consumed,
//    expired or evicted is retired in a ReplayWindow and never learned again while it
//    lies in the window; a digest behind the window is refused (and counted). So a
//    manifest re-sent after a reconnect re-arms nothing, whatever the hold times.
//  - Bounds: pending packets (count and bytes: a full buffer drops the new packet as
//    overflow, so a flood never touches held digests nor delays a packet whose digest is
//    known), held digests (the oldest go first, retired) and the window (fixed bits).
//
// Time is a parameter of every call: the store reads no clock and does no I/O, so tests
// drive it with simulated time. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "ambi/digest.hpp"
#include "ambi/flat_index.hpp"
#include "ambi/replay_window.hpp"

namespace ambi {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class DropReason {
  timeout,    // no digest arrived within data_hold_time
  no_digest,  // no digest held and the store holds no packets (data_hold_time 0)
  replay,     // every slot with this digest is already consumed
  overflow,   // the pending buffer is full
  truncated,  // the datagram was cut (reported by the receiver; the store never sees it)
};
// "timeout", "no-digest", "replay", "overflow", "truncated": the names in events.
std::string_view drop_reason_name(DropReason reason);

struct DigestStoreLimits {
  std::chrono::milliseconds data_hold_time{2000};
  std::chrono::milliseconds digest_hold_time{10000};
  std::size_t max_pending_packets = 4096;
  // Payload bytes of pending packets; each also counts pending_overhead bytes.
  std::size_t max_pending_bytes = 8u << 20;
  // Each held digest (consumed or not, or refreshed and waiting to be dropped) costs
  // about 150 bytes: 19 MiB at this bound, which holds digest_hold_time of a 13000
  // packets/s stream.
  std::size_t max_held_digests = 1u << 17;
  // Sequence numbers the anti-replay window spans (one bit each: 32 KiB). Twice the held
  // digest bound, so that every slot that can be held at all lies in it: only a digest
  // that comes that far behind the newest one is refused as too old.
  std::size_t replay_window = 1u << 18;
};

// The bookkeeping bytes each pending packet is charged besides its payload (its pool
// slot, index entries and the payload's allocation header: about 170 bytes; kept at
// what list and map nodes once cost), so that a flood of tiny datagrams is bounded in
// memory too.
inline constexpr std::size_t pending_overhead = 320;

struct Delivered {
  std::uint32_t packet_seq = 0;  // the slot the packet consumed
};
struct Held {};
struct Dropped {
  DropReason reason;
};
using Verdict = std::variant<Delivered, Held, Dropped>;

// A packet that waited for its digest, handed back when it is delivered or dropped.
struct PendingPacket {
  Digest digest;
  std::vector<std::uint8_t> payload;
  TimePoint arrived;
  std::uint64_t tag = 0;  // the caller's, from on_packet(): whose packet this is
};

// A pending packet that a new digest made deliverable.
struct DeliveredPacket {
  std::uint32_t packet_seq = 0;
  PendingPacket packet;
};

class DigestStore {
 public:
  explicit DigestStore(DigestStoreLimits limits = {});
  // Its indexes point into its own containers: movable, not copyable.
  DigestStore(const DigestStore&) = delete;
  DigestStore& operator=(const DigestStore&) = delete;
  DigestStore(DigestStore&&) = default;
  DigestStore& operator=(DigestStore&&) = default;

  // A packet arrived whose digest (see PacketHasher) is `digest`. Delivered: the caller
  // delivers its own payload now. Held: the store copied the payload; it comes back,
  // with `tag` (say, which connection it arrived on), from on_digest() or expire().
  // Dropped: replay, overflow or no_digest.
  Verdict on_packet(const Digest& digest, std::span<const std::uint8_t> payload, TimePoint now,
                    std::uint64_t tag = 0);

  // A digest from a manifest, for packet sequence number `packet_seq`. Returns the
  // pending packet it delivers, if one waits for it (within data_hold_time). A digest
  // for a slot already held or retired, or behind the window, changes nothing.
  std::optional<DeliveredPacket> on_digest(std::uint32_t packet_seq, const Digest& digest, TimePoint now);

  // Drops pending packets that waited data_hold_time (reason timeout: each one returned)
  // and forgets expired digests. Call it at next_deadline(): only here do pending
  // packets time out, so that every drop is reported, and until then they still count
  // against the pending bounds.
  std::vector<PendingPacket> expire(TimePoint now);

  // When expire() next has work: the earliest pending timeout or digest expiry.
  std::optional<TimePoint> next_deadline() const;

  std::size_t held_digests() const { return by_seq_.size(); }
  // Digests refused because their slot lay behind the anti-replay window.
  std::uint64_t too_old_digests() const { return too_old_digests_; }
  std::size_t pending_packets() const { return pending_count_; }
  // Charged bytes: payloads plus pending_overhead each.
  std::size_t pending_bytes() const { return pending_bytes_; }
  const DigestStoreLimits& limits() const { return limits_; }

 private:
  // Digests are outputs of a cryptographic hash, but pending ones come from an
  // attacker's packets: a secret key keeps the attacker from filling one probe run.
  struct KeyedDigestHash {
    std::uint64_t key;
    std::size_t operator()(const Digest& d) const noexcept;
  };
  struct Arrival {
    Digest digest;
    std::uint32_t seq;
    TimePoint expires;
    bool consumed = false;
    bool live = true;  // false: refreshed, a newer entry for the slot follows
  };
  // A pool of pending packets, linked oldest first by index: holding a packet reuses a
  // free slot instead of allocating list and map nodes.
  static constexpr std::uint32_t no_slot = 0xffffffff;
  struct PendingSlot {
    PendingPacket packet;
    std::uint32_t older = no_slot, newer = no_slot;
  };

  void expire_digests(TimePoint now);
  void forget_oldest_digest();
  void refresh(Arrival& held, const Digest& digest, TimePoint now);
  static std::size_t seq_hash(std::uint32_t seq);
  Arrival* held_slot(std::uint32_t seq) const;
  void hold(const Digest& digest, std::span<const std::uint8_t> payload, TimePoint now, std::uint64_t tag);
  PendingPacket take_pending(std::uint32_t slot);

  DigestStoreLimits limits_;
  KeyedDigestHash hash_;
  // The held digests, oldest first: push_back and pop_front leave other elements in
  // place, so the indexes point into it.
  std::deque<Arrival> arrival_order_;
  FlatIndex<Arrival*> by_digest_;  // every held entry, live or refreshed
  FlatIndex<Arrival*> by_seq_;     // the live entry of each held slot
  ReplayWindow window_;
  std::uint64_t too_old_digests_ = 0;

  std::vector<PendingSlot> slots_;  // grows to at most max_pending_packets
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t oldest_ = no_slot, newest_ = no_slot;
  std::size_t pending_count_ = 0;
  FlatIndex<std::uint32_t> pending_index_;  // slot + 1, by digest
  std::size_t pending_bytes_ = 0;
};

}  // namespace ambi
