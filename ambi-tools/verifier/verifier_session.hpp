// What every verifier framer of one multicast Listener shares (DESIGN.md 3, Framers):
// the manifest channel, the digest store and the packet hasher. The application makes
// one session, hands it to ambi_verifier_framer(), and every Connection the Listener
// spawns (one per sender) gets a framer that judges its packets against the same
// digests. Shared by design: a packet's digest does not depend on which Connection it
// arrived on, and one manifest stream covers them all.
//
// A packet whose digest is held is delivered at once. Otherwise it waits (bounded) for
// a digest; when one arrives, the packet is delivered through its own framer, later,
// via FramerContext::later(). Pending packets expire after data-hold-time (dropped as
// timeout) on a timer of the session's own.
//
// Everything runs on the taps::Context's thread, except hashing with hash_threads: the
// worker threads see only the batches of datagrams they hash (HashPool).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ambi/digest.hpp"
#include "ambi/digest_store.hpp"
#include "taps/context.hpp"
#include "taps/framer.hpp"
#include "taps/timer.hpp"
#include "verifier/hash_pool.hpp"
#include "verifier/manifest_channel.hpp"

namespace ambi_verifier {

struct VerifierConfig {
  std::uint32_t stream_id = 0;
  ambi::HashAlgorithm hash = ambi::HashAlgorithm::sha256;
  std::vector<ambi_metadata::ManifestUri> manifest_uris;  // at least one
  std::string ca_file;                                    // empty: the system trust store
  ambi::DigestStoreLimits limits;
  // Threads that hash packets besides the Context's; 0: the Context's thread hashes each
  // packet as it arrives. With hash threads, packets are hashed in batches and every
  // verified one is delivered later, in arrival order.
  std::size_t hash_threads = 0;
};

// What the session observed, for events and statistics (on the Context's thread).
struct VerifierEvents {
  std::function<void(const ambi::ManifestHeader&)> manifest;
  // Manifest sequence numbers skipped on one connection: `expected` came as `got`.
  std::function<void(std::uint32_t expected, std::uint32_t got)> manifest_gap;
  // A packet was delivered: its slot, payload size and sender ("ADDR:PORT").
  std::function<void(std::uint32_t packet_seq, std::size_t size, const std::string& sender)> verified;
  // A packet was dropped (sender empty when it is not known, e.g. truncated).
  std::function<void(ambi::DropReason reason, std::size_t size, const std::string& sender)> dropped;
  std::function<void(const ChannelStatus&)> channel;
  // A manifest carried Refresh Deadline: its random delay in [0, D/2] has passed, so
  // the metadata should be read again now (and set_manifest_uris called if it changed).
  std::function<void()> refresh_metadata;
};

struct VerifierStats {
  std::uint64_t verified = 0;
  std::uint64_t held = 0;                  // packets that arrived before their digest
  std::array<std::uint64_t, 5> dropped{};  // by ambi::DropReason
  std::uint64_t manifests = 0;             // headers received
  std::uint64_t digests = 0;
  std::uint64_t digests_too_old = 0;       // behind the anti-replay window: refused
  std::uint64_t manifests_missed = 0;      // skipped manifest sequence numbers (manifest_gap)
};

class VerifierSession : public std::enable_shared_from_this<VerifierSession> {
 public:
  VerifierSession(taps::Context& ctx, VerifierConfig config, VerifierEvents events);
  ~VerifierSession();
  VerifierSession(const VerifierSession&) = delete;
  VerifierSession& operator=(const VerifierSession&) = delete;

  // Opens the manifest channel once (later calls do nothing). A configuration error
  // (bad CA file) comes back at once.
  std::optional<taps::Error> start();
  // Closes the channel and stops the timers; framers deliver nothing more.
  void stop();
  void set_manifest_uris(std::vector<ambi_metadata::ManifestUri> uris);
  // A refresh moved the verifier to another manifest stream of the same (S, G, port).
  // Another identifier, hash or hold times make other digests: a fresh store and
  // manifest channel, and the packets that waited for the old stream's digests are
  // dropped as timeout now. Only the URIs changed: set_manifest_uris().
  void switch_stream(VerifierConfig config);

  // For the framers. attach() registers a framer, with the handle that delivers to it
  // later; detach() forgets it (its pending packets are then dropped silently).
  std::uint64_t attach(taps::FramerContext::Later later);
  void detach(std::uint64_t owner);
  // Judges one datagram. True: deliver it now, after calling flush(). False: held or
  // being hashed (delivered later through the owner's handle) or dropped (reported).
  // `ctx` is copied only when held.
  bool on_packet(std::uint64_t owner, const ambi::PacketEndpoints& endpoints, std::span<const std::uint8_t> payload,
                 const taps::MessageContext& ctx);
  // Delivers, through `framer`, the owner's packets whose digest has arrived since, so
  // that a packet authenticated now does not overtake those authenticated before it.
  void flush(std::uint64_t owner, taps::FramerContext& framer);
  // A datagram the receiver had to cut: counted and reported as truncated.
  void on_truncated(const std::string& sender);

  const VerifierStats& stats() const { return stats_; }

 private:
  struct Waiter {
    std::uint64_t owner;
    taps::MessageContext ctx;
  };
  struct Ready {
    std::uint32_t packet_seq;
    std::vector<std::uint8_t> payload;
    taps::MessageContext ctx;
  };

  std::optional<taps::Error> open_channel();
  void start_pool();
  void submit_batch();
  void on_hashed();
  void judge_hashed(HashItem& item);
  void queue_ready(std::uint64_t owner, std::uint32_t packet_seq, std::vector<std::uint8_t> payload,
                   taps::MessageContext ctx);
  void on_digest(const ambi::PacketDigest& digest);
  void on_header(const ambi::ManifestHeader& header);
  void deliver_later(std::uint32_t packet_seq, ambi::PendingPacket packet);
  std::optional<Waiter> take_waiter(std::uint64_t tag);
  void dropped(ambi::DropReason reason, std::size_t size, const std::string& sender);
  void arm_expiry();
  void expire();
  void schedule_refresh(std::uint16_t deadline_s);

  taps::Context& ctx_;
  VerifierConfig config_;
  VerifierEvents events_;
  taps::Timer expiry_timer_;
  taps::Timer refresh_timer_;
  std::shared_ptr<ManifestChannel> channel_;
  ambi::PacketHasher hasher_;
  ambi::DigestStore store_;
  // Whose each pending packet is, by the tag the store hands back with it.
  std::unordered_map<std::uint64_t, Waiter> waiters_;
  std::uint64_t next_tag_ = 1;
  std::map<std::uint64_t, taps::FramerContext::Later> owners_;
  // Held packets whose digest arrived, per owner, in order, until its framer runs.
  std::map<std::uint64_t, std::vector<Ready>> ready_;
  std::uint64_t next_owner_ = 1;
  std::optional<ambi::TimePoint> expiry_armed_;
  // The last manifest sequence number of the current connection (the server may re-send
  // older ones after a reconnect: only a step forward by more than one is a gap).
  std::optional<std::uint32_t> last_manifest_seq_;
  bool refresh_scheduled_ = false;
  bool started_ = false;
  bool stopped_ = false;
  VerifierStats stats_;

  // With hash threads: the batch being filled, spare batches (their item vectors keep
  // their capacity), and whether a submit or a take is already posted to the Context.
  std::unique_ptr<HashBatch> filling_;
  std::vector<std::unique_ptr<HashBatch>> spare_;
  std::size_t batches_hashing_ = 0;  // submitted, not yet taken back
  std::size_t bytes_hashing_ = 0;    // payload bytes received, not yet judged
  bool submit_posted_ = false;
  std::atomic<bool> take_posted_{false};
  // Last: destroyed (its threads joined) before anything its callback touches.
  std::unique_ptr<HashPool> pool_;
};

}  // namespace ambi_verifier
