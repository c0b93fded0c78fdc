#include "ambi/digest_store.hpp"

#include <cstring>
#include <random>

namespace ambi {
namespace {

std::uint64_t random_key() {
  std::random_device device;
  return std::uint64_t{device()} << 32 | device();
}

}  // namespace

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::timeout: return "timeout";
    case DropReason::no_digest: return "no-digest";
    case DropReason::replay: return "replay";
    case DropReason::overflow: return "overflow";
    case DropReason::truncated: return "truncated";
  }
  return "timeout";
}

std::size_t DigestStore::KeyedDigestHash::operator()(const Digest& d) const noexcept {
  std::uint64_t x;
  std::memcpy(&x, d.bytes.data(), sizeof x);
  x ^= key;
  x *= 0x9e3779b97f4a7c15;  // 2^64 / golden ratio: spreads the key into every bit
  return static_cast<std::size_t>(x ^ (x >> 29));
}

DigestStore::DigestStore(DigestStoreLimits limits)
    : limits_(limits), hash_{random_key()}, window_(limits.replay_window) {}

std::size_t DigestStore::seq_hash(std::uint32_t seq) {
  // Sequence numbers come in runs: spread them over the table.
  return static_cast<std::size_t>(seq * 0x9e3779b97f4a7c15);
}

DigestStore::Arrival* DigestStore::held_slot(std::uint32_t seq) const {
  return by_seq_.find(seq_hash(seq), [seq](const Arrival* a) { return a->seq == seq; });
}

Verdict DigestStore::on_packet(const Digest& digest, std::span<const std::uint8_t> payload, TimePoint now,
                               std::uint64_t tag) {
  expire_digests(now);
  bool known = false;
  Arrival* held = by_digest_.find(hash_(digest), [&](const Arrival* a) {
    if (!(a->digest == digest)) return false;
    known = true;
    return !a->consumed;
  });
  if (held) {
    held->consumed = true;
    return Delivered{held->seq};
  }
  if (known) return Dropped{DropReason::replay};
  if (limits_.data_hold_time <= std::chrono::milliseconds::zero()) return Dropped{DropReason::no_digest};

  const std::size_t charge = payload.size() + pending_overhead;
  if (pending_count_ >= limits_.max_pending_packets || pending_bytes_ + charge > limits_.max_pending_bytes) {
    return Dropped{DropReason::overflow};
  }
  hold(digest, payload, now, tag);
  pending_bytes_ += charge;
  return Held{};
}

// Into a free slot, at the new end of the age list.
void DigestStore::hold(const Digest& digest, std::span<const std::uint8_t> payload, TimePoint now, std::uint64_t tag) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  PendingSlot& s = slots_[slot];
  s.packet.digest = digest;
  s.packet.payload.assign(payload.begin(), payload.end());
  s.packet.arrived = now;
  s.packet.tag = tag;
  s.older = newest_;
  s.newer = no_slot;
  if (newest_ != no_slot) slots_[newest_].newer = slot;
  else oldest_ = slot;
  newest_ = slot;
  ++pending_count_;
  pending_index_.insert(hash_(digest), slot + 1);
}

std::optional<DeliveredPacket> DigestStore::on_digest(std::uint32_t packet_seq, const Digest& digest, TimePoint now) {
  expire_digests(now);
  if (Arrival* held = held_slot(packet_seq)) {
    refresh(*held, digest, now);
    return std::nullopt;
  }
  switch (window_.check(packet_seq)) {
    case ReplayWindow::Slot::fresh: break;
    case ReplayWindow::Slot::retired: return std::nullopt;
    case ReplayWindow::Slot::too_old: ++too_old_digests_; return std::nullopt;
  }
  while (arrival_order_.size() >= limits_.max_held_digests && !arrival_order_.empty()) forget_oldest_digest();
  if (by_seq_.size() >= limits_.max_held_digests) return std::nullopt;
  window_.learn(packet_seq);

  // Of the packets waiting with this digest, the oldest still within its hold time.
  const std::size_t hash = hash_(digest);
  std::uint32_t waiting = no_slot;
  if (pending_count_ > 0) {
    pending_index_.find(hash, [&](std::uint32_t ref) {
      const PendingPacket& packet = slots_[ref - 1].packet;
      const bool in_time = packet.arrived + limits_.data_hold_time > now;
      if (in_time && packet.digest == digest &&
          (waiting == no_slot || packet.arrived < slots_[waiting].packet.arrived)) {
        waiting = ref - 1;
      }
      return false;
    });
  }

  arrival_order_.push_back(Arrival{digest, packet_seq, now + limits_.digest_hold_time, waiting != no_slot});
  by_digest_.insert(hash, &arrival_order_.back());
  by_seq_.insert(seq_hash(packet_seq), &arrival_order_.back());
  if (waiting == no_slot) return std::nullopt;
  return DeliveredPacket{packet_seq, take_pending(waiting)};
}

std::vector<PendingPacket> DigestStore::expire(TimePoint now) {
  expire_digests(now);
  std::vector<PendingPacket> timed_out;
  while (oldest_ != no_slot && slots_[oldest_].packet.arrived + limits_.data_hold_time <= now) {
    timed_out.push_back(take_pending(oldest_));
  }
  return timed_out;
}

std::optional<TimePoint> DigestStore::next_deadline() const {
  std::optional<TimePoint> deadline;
  if (oldest_ != no_slot) deadline = slots_[oldest_].packet.arrived + limits_.data_hold_time;
  if (!arrival_order_.empty() && (!deadline || arrival_order_.front().expires < *deadline)) {
    deadline = arrival_order_.front().expires;
  }
  return deadline;
}

void DigestStore::expire_digests(TimePoint now) {
  while (!arrival_order_.empty() && arrival_order_.front().expires <= now) forget_oldest_digest();
}

void DigestStore::forget_oldest_digest() {
  Arrival* oldest = &arrival_order_.front();
  if (oldest->live) {
    by_digest_.erase(hash_(oldest->digest), oldest);
    by_seq_.erase(seq_hash(oldest->seq), oldest);
    window_.retire(oldest->seq);
  }
  arrival_order_.pop_front();
}

// draft-ietf-mboned-ambi-05 section 3.2: a digest received again restarts its hold
// time. The old entry stays in arrival order, dead and in no index, until it reaches
// the front.
void DigestStore::refresh(Arrival& held, const Digest& digest, TimePoint now) {
  if (held.consumed || !(held.digest == digest)) return;
  held.live = false;
  by_digest_.erase(hash_(digest), &held);
  by_seq_.erase(seq_hash(held.seq), &held);
  arrival_order_.push_back(Arrival{digest, held.seq, now + limits_.digest_hold_time, false});
  by_digest_.insert(hash_(digest), &arrival_order_.back());
  by_seq_.insert(seq_hash(held.seq), &arrival_order_.back());
}

PendingPacket DigestStore::take_pending(std::uint32_t slot) {
  PendingSlot& s = slots_[slot];
  pending_index_.erase(hash_(s.packet.digest), slot + 1);
  if (s.older != no_slot) slots_[s.older].newer = s.newer;
  else oldest_ = s.newer;
  if (s.newer != no_slot) slots_[s.newer].older = s.older;
  else newest_ = s.older;
  --pending_count_;
  free_slots_.push_back(slot);
  pending_bytes_ -= s.packet.payload.size() + pending_overhead;
  // The payload leaves with the packet: it becomes the delivered Message.
  return std::move(s.packet);
}

}  // namespace ambi
