#include "verifier/verifier_session.hpp"

#include <random>

namespace ambi_verifier {
namespace {

// Packets per batch for the hash threads: enough that handing a batch over costs little
// per packet, few enough that a batch of 1200-byte packets stays in a worker's cache.
constexpr std::size_t batch_packets = 64;
constexpr std::size_t max_spare_batches = 8;
constexpr std::size_t max_batches_per_thread = 4;
constexpr std::size_t max_hashing_bytes = 8u << 20;

}  // namespace

VerifierSession::VerifierSession(taps::Context& ctx, VerifierConfig config, VerifierEvents events)
    : ctx_(ctx), config_(std::move(config)), events_(std::move(events)),
      expiry_timer_(ctx), refresh_timer_(ctx), hasher_(config_.hash), store_(config_.limits) {
  if (config_.hash_threads > 0) start_pool();
}

// The pool's callback runs on a worker thread: it only posts, once until it has run.
void VerifierSession::start_pool() {
  pool_ = std::make_unique<HashPool>(config_.hash_threads, [this] {
    if (take_posted_.exchange(true)) return;
    ctx_.post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->on_hashed();
    });
  });
}

VerifierSession::~VerifierSession() = default;

std::optional<taps::Error> VerifierSession::start() {
  if (started_) return std::nullopt;
  started_ = true;
  return open_channel();
}

std::optional<taps::Error> VerifierSession::open_channel() {
  ChannelConfig channel{config_.manifest_uris, config_.ca_file, config_.stream_id, ambi::digest_length(config_.hash),
                        ambi::max_manifest_size, config_.limits.data_hold_time};
  std::weak_ptr<VerifierSession> weak = shared_from_this();
  ChannelHandlers h;
  h.header = [weak](const ambi::ManifestHeader& header) {
    if (auto self = weak.lock()) self->on_header(header);
  };
  h.digest = [weak](const ambi::PacketDigest& digest) {
    if (auto self = weak.lock()) self->on_digest(digest);
  };
  h.packets_waiting = [weak] {
    auto self = weak.lock();
    return self && self->store_.pending_packets() > 0;
  };
  h.status = [weak](const ChannelStatus& status) {
    auto self = weak.lock();
    if (!self) return;
    self->last_manifest_seq_.reset();
    if (self->events_.channel) self->events_.channel(status);
  };
  channel_ = std::make_shared<ManifestChannel>(ctx_, std::move(channel), std::move(h));
  return channel_->start();
}

void VerifierSession::switch_stream(VerifierConfig config) {
  if (stopped_) return;
  const auto& l = config.limits;
  if (config.stream_id == config_.stream_id && config.hash == config_.hash &&
      l.data_hold_time == config_.limits.data_hold_time && l.digest_hold_time == config_.limits.digest_hold_time) {
    set_manifest_uris(std::move(config.manifest_uris));
    return;
  }
  for (auto& packet : store_.expire(ambi::TimePoint::max())) {
    auto waiter = take_waiter(packet.tag);
    dropped(ambi::DropReason::timeout, packet.payload.size(), waiter ? waiter->ctx.remote_endpoint : std::string());
  }
  config_ = std::move(config);
  hasher_ = ambi::PacketHasher(config_.hash);
  store_ = ambi::DigestStore(config_.limits);
  last_manifest_seq_.reset();
  if (channel_) channel_->stop();
  if (auto error = open_channel(); error && events_.channel) {
    events_.channel({ChannelStatus::Kind::disconnected, {}, error->message(), false, false, false, {}});
  }
}

void VerifierSession::stop() {
  stopped_ = true;
  if (channel_) channel_->stop();
  expiry_timer_.cancel();
  refresh_timer_.cancel();
  owners_.clear();
}

void VerifierSession::set_manifest_uris(std::vector<ambi_metadata::ManifestUri> uris) {
  config_.manifest_uris = uris;
  if (channel_) channel_->set_uris(std::move(uris));
}

std::uint64_t VerifierSession::attach(taps::FramerContext::Later later) {
  auto owner = next_owner_++;
  owners_.emplace(owner, std::move(later));
  return owner;
}

void VerifierSession::detach(std::uint64_t owner) {
  owners_.erase(owner);
  ready_.erase(owner);
}

bool VerifierSession::on_packet(std::uint64_t owner, const ambi::PacketEndpoints& endpoints,
                                std::span<const std::uint8_t> payload, const taps::MessageContext& ctx) {
  if (stopped_) return false;
  if (pool_) {
    // However long the hash threads get no CPU, datagrams waiting for them are bounded
    // like pending ones: beyond the bound they are dropped as overflow.
    if (bytes_hashing_ + payload.size() > max_hashing_bytes) {
      dropped(ambi::DropReason::overflow, payload.size(), ctx.remote_endpoint);
      return false;
    }
    bytes_hashing_ += payload.size();
    if (!filling_) {
      if (spare_.empty()) {
        filling_ = std::make_unique<HashBatch>();
      } else {
        filling_ = std::move(spare_.back());
        spare_.pop_back();
      }
      filling_->algorithm = config_.hash;
      filling_->stream_id = config_.stream_id;
    }
    auto& item = filling_->items.emplace_back();
    item.endpoints = endpoints;
    item.payload.assign(payload.begin(), payload.end());
    item.owner = owner;
    item.sender = ctx.remote_endpoint;
    item.received_at_ns = ctx.received_at_ns;
    if (filling_->items.size() >= batch_packets) {
      submit_batch();
    } else if (!submit_posted_ && batches_hashing_ < config_.hash_threads) {
      // A thread is idle: the rest of this burst of datagrams joins the batch first.
      // With every thread busy, the batch grows until one comes back (on_hashed), so
      // that a busy pool gets fewer, fuller batches and fewer wake-ups.
      submit_posted_ = true;
      ctx_.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
          self->submit_posted_ = false;
          self->submit_batch();
        }
      });
    }
    return false;
  }
  ambi::Digest digest;
  if (hasher_.digest(endpoints, config_.stream_id, payload, digest)) {
    dropped(ambi::DropReason::no_digest, payload.size(), ctx.remote_endpoint);
    return false;
  }
  auto now = ambi::Clock::now();
  auto tag = next_tag_;
  auto verdict = store_.on_packet(digest, payload, now, tag);
  if (auto* delivered = std::get_if<ambi::Delivered>(&verdict)) {
    ++stats_.verified;
    if (events_.verified) events_.verified(delivered->packet_seq, payload.size(), ctx.remote_endpoint);
    return true;
  }
  if (auto* drop = std::get_if<ambi::Dropped>(&verdict)) {
    dropped(drop->reason, payload.size(), ctx.remote_endpoint);
    return false;
  }
  ++next_tag_;
  ++stats_.held;
  waiters_.emplace(tag, Waiter{owner, ctx});
  arm_expiry();
  return false;
}

// Memory stays bounded when the hash threads fall behind (or get no CPU): with
// max_batches_per_thread queued for each, this thread hashes the batch itself, which
// also slows its receiving down to what the threads take.
void VerifierSession::submit_batch() {
  if (!filling_ || filling_->items.empty()) return;
  ++batches_hashing_;
  if (batches_hashing_ <= max_batches_per_thread * config_.hash_threads) {
    pool_->submit(std::move(filling_));
    return;
  }
  if (filling_->algorithm == hasher_.algorithm()) {
    for (auto& item : filling_->items) {
      item.failed = static_cast<bool>(hasher_.digest(item.endpoints, filling_->stream_id, item.payload, item.digest));
    }
  }
  // Batches are still out (this one is over the bound): their return takes it too.
  pool_->submit_hashed(std::move(filling_));
}

// Judges hashed packets in arrival order, as on_packet() would have. A batch hashed for
// the stream before a switch_stream() matches no digest of the new one: its packets go
// as the old stream's pending ones went, timed out.
void VerifierSession::on_hashed() {
  take_posted_ = false;
  for (auto& batch : pool_->take_ready()) {
    --batches_hashing_;
    const bool current = batch->algorithm == config_.hash && batch->stream_id == config_.stream_id;
    for (auto& item : batch->items) {
      bytes_hashing_ -= item.payload.size();
      if (stopped_) continue;
      if (current) {
        judge_hashed(item);
      } else {
        dropped(ambi::DropReason::timeout, item.payload.size(), item.sender);
      }
    }
    batch->items.clear();
    if (spare_.size() < max_spare_batches) spare_.push_back(std::move(batch));
  }
  if (!stopped_ && batches_hashing_ < config_.hash_threads) submit_batch();
  arm_expiry();
}

void VerifierSession::judge_hashed(HashItem& item) {
  if (item.failed) {
    dropped(ambi::DropReason::no_digest, item.payload.size(), item.sender);
    return;
  }
  auto tag = next_tag_;
  auto verdict = store_.on_packet(item.digest, item.payload, ambi::Clock::now(), tag);
  taps::MessageContext ctx;
  ctx.received_at_ns = item.received_at_ns;
  if (auto* delivered = std::get_if<ambi::Delivered>(&verdict)) {
    queue_ready(item.owner, delivered->packet_seq, std::move(item.payload), std::move(ctx));
    return;
  }
  if (auto* drop = std::get_if<ambi::Dropped>(&verdict)) {
    dropped(drop->reason, item.payload.size(), item.sender);
    return;
  }
  ++next_tag_;
  ++stats_.held;
  ctx.remote_endpoint = std::move(item.sender);
  waiters_.emplace(tag, Waiter{item.owner, std::move(ctx)});
}

void VerifierSession::on_truncated(const std::string& sender) { dropped(ambi::DropReason::truncated, 0, sender); }

void VerifierSession::on_header(const ambi::ManifestHeader& header) {
  ++stats_.manifests;
  if (last_manifest_seq_) {
    auto ahead = static_cast<std::int32_t>(header.manifest_seq - *last_manifest_seq_);
    if (ahead > 1) {
      stats_.manifests_missed += static_cast<std::uint64_t>(ahead - 1);
      if (events_.manifest_gap) events_.manifest_gap(*last_manifest_seq_ + 1, header.manifest_seq);
    }
  }
  if (!last_manifest_seq_ || static_cast<std::int32_t>(header.manifest_seq - *last_manifest_seq_) > 0) {
    last_manifest_seq_ = header.manifest_seq;
  }
  if (events_.manifest) events_.manifest(header);
  // Refresh Deadline 0: the metadata is stable, nothing to re-read.
  if (header.tlvs.refresh_deadline_s.value_or(0) > 0) schedule_refresh(*header.tlvs.refresh_deadline_s);
}

void VerifierSession::on_digest(const ambi::PacketDigest& digest) {
  ++stats_.digests;
  auto delivered = store_.on_digest(digest.packet_seq, digest.digest, ambi::Clock::now());
  stats_.digests_too_old = store_.too_old_digests();
  if (delivered) deliver_later(delivered->packet_seq, std::move(delivered->packet));
  arm_expiry();
}

// One later() per owner for all its packets that a chunk of manifest (or a hashed
// batch) made deliverable.
void VerifierSession::deliver_later(std::uint32_t packet_seq, ambi::PendingPacket packet) {
  auto waiter = take_waiter(packet.tag);
  if (waiter) queue_ready(waiter->owner, packet_seq, std::move(packet.payload), std::move(waiter->ctx));
}

void VerifierSession::queue_ready(std::uint64_t owner, std::uint32_t packet_seq, std::vector<std::uint8_t> payload,
                                  taps::MessageContext ctx) {
  auto it = owners_.find(owner);
  if (it == owners_.end()) return;  // its Connection has ended
  auto& ready = ready_[owner];
  ready.push_back({packet_seq, std::move(payload), std::move(ctx)});
  if (ready.size() > 1) return;
  std::weak_ptr<VerifierSession> weak = shared_from_this();
  it->second([weak, owner](taps::FramerContext& framer) {
    if (auto self = weak.lock()) self->flush(owner, framer);
  });
}

void VerifierSession::flush(std::uint64_t owner, taps::FramerContext& framer) {
  if (ready_.empty() || stopped_) return;
  auto it = ready_.find(owner);
  if (it == ready_.end()) return;
  auto ready = std::move(it->second);
  ready_.erase(it);
  for (auto& r : ready) {
    ++stats_.verified;
    if (events_.verified) events_.verified(r.packet_seq, r.payload.size(), r.ctx.remote_endpoint);
    framer.deliver(taps::Message(std::move(r.payload)), std::move(r.ctx), true);
  }
}

std::optional<VerifierSession::Waiter> VerifierSession::take_waiter(std::uint64_t tag) {
  auto it = waiters_.find(tag);
  if (it == waiters_.end()) return std::nullopt;
  Waiter waiter = std::move(it->second);
  waiters_.erase(it);
  return waiter;
}

void VerifierSession::dropped(ambi::DropReason reason, std::size_t size, const std::string& sender) {
  ++stats_.dropped[static_cast<std::size_t>(reason)];
  if (events_.dropped) events_.dropped(reason, size, sender);
}

// The timer is re-armed only when the store's next deadline is earlier than the one
// it waits for: new pending packets expire after the ones already there, so on the
// packet path this is one comparison.
void VerifierSession::arm_expiry() {
  if (stopped_) return;
  auto next = store_.next_deadline();
  if (!next || (expiry_armed_ && *expiry_armed_ <= *next)) return;
  expiry_armed_ = *next;
  std::weak_ptr<VerifierSession> weak = shared_from_this();
  expiry_timer_.start_at(*next, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->expiry_armed_.reset();
    self->expire();
  });
}

void VerifierSession::expire() {
  for (auto& packet : store_.expire(ambi::Clock::now())) {
    auto waiter = take_waiter(packet.tag);
    dropped(ambi::DropReason::timeout, packet.payload.size(), waiter ? waiter->ctx.remote_endpoint : std::string());
  }
  arm_expiry();
}

// draft-ietf-mboned-ambi-05 section 3.3.1: a random delay spreads the verifiers'
// metadata requests over the first half of the deadline.
void VerifierSession::schedule_refresh(std::uint16_t deadline_s) {
  if (refresh_scheduled_ || stopped_) return;
  refresh_scheduled_ = true;
  std::uniform_int_distribution<std::int64_t> pick(0, std::int64_t{deadline_s} * 500);
  std::random_device rd;
  std::weak_ptr<VerifierSession> weak = shared_from_this();
  refresh_timer_.start(std::chrono::milliseconds(pick(rd)), [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->refresh_scheduled_ = false;
    if (self->events_.refresh_metadata) self->events_.refresh_metadata();
  });
}

}  // namespace ambi_verifier
