#include "ambi/digest_store.hpp"

#include <cstring>
#include <iterator>
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
    : limits_(limits), index_(KeyedDigestHash{random_key()}), window_(limits.replay_window),
      pending_index_(0, index_.hash_function()) {}

Verdict DigestStore::on_packet(const Digest& digest, std::span<const std::uint8_t> payload, TimePoint now,
                               std::uint64_t tag) {
  expire_digests(now);
  bool known = false;
  if (Arrival* held = index_.find_unconsumed(digest, known)) {
    held->consumed = true;
    return Delivered{held->seq};
  }
  if (known) return Dropped{DropReason::replay};
  if (limits_.data_hold_time <= std::chrono::milliseconds::zero()) return Dropped{DropReason::no_digest};

  const std::size_t charge = payload.size() + pending_overhead;
  if (pending_.size() >= limits_.max_pending_packets || pending_bytes_ + charge > limits_.max_pending_bytes) {
    return Dropped{DropReason::overflow};
  }
  pending_.push_back(PendingPacket{digest, std::vector<std::uint8_t>(payload.begin(), payload.end()), now, tag});
  pending_index_.emplace(digest, std::prev(pending_.end()));
  pending_bytes_ += charge;
  return Held{};
}

std::optional<DeliveredPacket> DigestStore::on_digest(std::uint32_t packet_seq, const Digest& digest, TimePoint now) {
  expire_digests(now);
  if (auto held = held_seqs_.find(packet_seq); held != held_seqs_.end()) {
    refresh(*held->second, digest, now);
    return std::nullopt;
  }
  switch (window_.check(packet_seq)) {
    case ReplayWindow::Slot::fresh: break;
    case ReplayWindow::Slot::retired: return std::nullopt;
    case ReplayWindow::Slot::too_old: ++too_old_digests_; return std::nullopt;
  }
  while (arrival_order_.size() >= limits_.max_held_digests && !arrival_order_.empty()) forget_oldest_digest();
  if (held_seqs_.size() >= limits_.max_held_digests) return std::nullopt;
  window_.learn(packet_seq);

  // Of the packets waiting with this digest, the oldest still within its hold time.
  auto waiting = pending_.end();
  for (auto [it, end] = pending_index_.equal_range(digest); it != end; ++it) {
    const auto& packet = *it->second;
    const bool in_time = packet.arrived + limits_.data_hold_time > now;
    if (in_time && (waiting == pending_.end() || packet.arrived < waiting->arrived)) waiting = it->second;
  }

  arrival_order_.push_back(Arrival{digest, packet_seq, now + limits_.digest_hold_time, waiting != pending_.end()});
  index_.insert(&arrival_order_.back());
  held_seqs_.emplace(packet_seq, &arrival_order_.back());
  if (waiting == pending_.end()) return std::nullopt;
  return DeliveredPacket{packet_seq, take_pending(waiting)};
}

std::vector<PendingPacket> DigestStore::expire(TimePoint now) {
  expire_digests(now);
  std::vector<PendingPacket> timed_out;
  while (!pending_.empty() && pending_.front().arrived + limits_.data_hold_time <= now) {
    timed_out.push_back(take_pending(pending_.begin()));
  }
  return timed_out;
}

std::optional<TimePoint> DigestStore::next_deadline() const {
  std::optional<TimePoint> deadline;
  if (!pending_.empty()) deadline = pending_.front().arrived + limits_.data_hold_time;
  if (!arrival_order_.empty() && (!deadline || arrival_order_.front().expires < *deadline)) {
    deadline = arrival_order_.front().expires;
  }
  return deadline;
}

void DigestStore::expire_digests(TimePoint now) {
  while (!arrival_order_.empty() && arrival_order_.front().expires <= now) forget_oldest_digest();
}

void DigestStore::forget_oldest_digest() {
  const Arrival& oldest = arrival_order_.front();
  if (!oldest.live) {
    arrival_order_.pop_front();
    return;
  }
  index_.erase(&oldest);
  held_seqs_.erase(oldest.seq);
  window_.retire(oldest.seq);
  arrival_order_.pop_front();
}

// draft-ietf-mboned-ambi-05 section 3.2: a digest received again restarts its hold
// time. The old entry stays in arrival order, dead, until it reaches the front.
void DigestStore::refresh(Arrival& held, const Digest& digest, TimePoint now) {
  if (held.consumed || !(held.digest == digest)) return;
  held.live = false;
  index_.erase(&held);
  arrival_order_.push_back(Arrival{digest, held.seq, now + limits_.digest_hold_time, false});
  index_.insert(&arrival_order_.back());
  held_seqs_[held.seq] = &arrival_order_.back();
}

void DigestStore::Index::insert(Arrival* held) {
  if (2 * (size_ + 1) > table_.size()) grow();
  const std::size_t hash = hash_(held->digest);
  std::size_t i = home(hash);
  while (table_[i].held) i = (i + 1) & (table_.size() - 1);
  table_[i] = Entry{hash, held};
  ++size_;
}

void DigestStore::Index::erase(const Arrival* held) {
  const std::size_t mask = table_.size() - 1;
  std::size_t i = home(hash_(held->digest));
  while (table_[i].held != held) i = (i + 1) & mask;
  // Backward shift: pull later entries of the probe run into the hole, unless the hole
  // lies before their home, so that no lookup stops early at a free entry.
  for (std::size_t j = (i + 1) & mask; table_[j].held; j = (j + 1) & mask) {
    const std::size_t h = home(table_[j].hash);
    const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
    if (!stays) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i] = Entry{};
  --size_;
}

DigestStore::Arrival* DigestStore::Index::find_unconsumed(const Digest& digest, bool& known) const {
  known = false;
  if (table_.empty()) return nullptr;
  const std::size_t hash = hash_(digest);
  for (std::size_t i = home(hash); table_[i].held; i = (i + 1) & (table_.size() - 1)) {
    const Entry& e = table_[i];
    if (e.hash != hash || !(e.held->digest == digest)) continue;
    known = true;
    if (!e.held->consumed) return e.held;
  }
  return nullptr;
}

void DigestStore::Index::grow() {
  std::vector<Entry> old(std::max<std::size_t>(64, 2 * table_.size()));
  old.swap(table_);
  for (const Entry& e : old) {
    if (!e.held) continue;
    std::size_t i = home(e.hash);
    while (table_[i].held) i = (i + 1) & (table_.size() - 1);
    table_[i] = e;
  }
}

PendingPacket DigestStore::take_pending(PendingList::iterator it) {
  for (auto [entry, end] = pending_index_.equal_range(it->digest); entry != end; ++entry) {
    if (entry->second == it) {
      pending_index_.erase(entry);
      break;
    }
  }
  pending_bytes_ -= it->payload.size() + pending_overhead;
  PendingPacket packet = std::move(*it);
  pending_.erase(it);
  return packet;
}

}  // namespace ambi
