// The verifier's digest store, driven by a simulated clock.
#include <doctest/doctest.h>

#include "ambi/digest_store.hpp"
#include "hex.hpp"

using namespace ambi;
using namespace std::chrono_literals;
using ambi_test::bytes;
using ambi_test::digest_of;

namespace {

const TimePoint t0{};

bool delivered(const Verdict& v) { return std::holds_alternative<Delivered>(v); }
bool held(const Verdict& v) { return std::holds_alternative<Held>(v); }
std::optional<DropReason> dropped(const Verdict& v) {
  if (auto* d = std::get_if<Dropped>(&v)) return d->reason;
  return std::nullopt;
}

const std::vector<std::uint8_t> payload = bytes("payload");

}  // namespace

TEST_CASE("manifest before packet: delivered at once and once only") {
  DigestStore store;
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0));
  auto v = store.on_packet(digest_of(5), payload, t0 + 10ms);
  REQUIRE(delivered(v));
  CHECK(std::get<Delivered>(v).packet_seq == 5);
  CHECK(store.pending_packets() == 0);
}

TEST_CASE("replay within hold-down is dropped and after it is never delivered") {
  DigestStore store;
  store.on_digest(5, digest_of(5), t0);
  REQUIRE(delivered(store.on_packet(digest_of(5), payload, t0)));
  CHECK(dropped(store.on_packet(digest_of(5), payload, t0 + 9999ms)) == DropReason::replay);
  // A re-sent manifest does not re-arm the consumed slot.
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0 + 5s));
  CHECK(dropped(store.on_packet(digest_of(5), payload, t0 + 6s)) == DropReason::replay);

  // After the digest hold time the digest is gone: the replay waits and times out.
  CHECK(held(store.on_packet(digest_of(5), payload, t0 + 10s)));
  CHECK(store.held_digests() == 0);
  auto timed_out = store.expire(t0 + 12s);
  REQUIRE(timed_out.size() == 1);
  CHECK(timed_out[0].payload == payload);
}

TEST_CASE("packet before manifest: delivered within data-hold-time") {
  DigestStore store;
  CHECK(held(store.on_packet(digest_of(5), payload, t0)));
  CHECK(store.pending_packets() == 1);
  CHECK(store.next_deadline() == t0 + 2000ms);
  auto d = store.on_digest(5, digest_of(5), t0 + 1999ms);
  REQUIRE(d);
  CHECK(d->packet_seq == 5);
  CHECK(d->packet.payload == payload);
  CHECK(d->packet.arrived == t0);
  CHECK(store.pending_packets() == 0);
  CHECK(store.pending_bytes() == 0);
  // The slot is consumed: the same packet again is a replay.
  CHECK(dropped(store.on_packet(digest_of(5), payload, t0 + 2100ms)) == DropReason::replay);
}

TEST_CASE("packet before manifest: dropped as timeout after data-hold-time") {
  DigestStore store;
  CHECK(held(store.on_packet(digest_of(5), payload, t0)));
  CHECK(store.expire(t0 + 1999ms).empty());
  // Its digest comes exactly at the deadline: too late.
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0 + 2000ms));
  auto timed_out = store.expire(t0 + 2000ms);
  REQUIRE(timed_out.size() == 1);
  CHECK(timed_out[0].digest == digest_of(5));
  CHECK(store.pending_packets() == 0);
  CHECK(store.pending_bytes() == 0);
}

TEST_CASE("a digest that expired no longer matches") {
  DigestStore store;
  store.on_digest(5, digest_of(5), t0);
  CHECK(store.next_deadline() == t0 + 10s);
  CHECK(store.held_digests() == 1);
  CHECK(held(store.on_packet(digest_of(5), payload, t0 + 10s)));
  CHECK(store.held_digests() == 0);
  CHECK(store.expire(t0 + 12s).size() == 1);
}

TEST_CASE("custom hold times") {
  DigestStore store({.data_hold_time = 50ms, .digest_hold_time = 100ms});
  store.on_digest(1, digest_of(1), t0);
  CHECK(delivered(store.on_packet(digest_of(1), payload, t0 + 99ms)));
  store.on_digest(2, digest_of(2), t0);
  CHECK(held(store.on_packet(digest_of(2), payload, t0 + 100ms)));
  CHECK(store.expire(t0 + 150ms).size() == 1);
}

TEST_CASE("no data hold time: a packet without digest is dropped as no-digest") {
  DigestStore store({.data_hold_time = 0ms});
  CHECK(dropped(store.on_packet(digest_of(5), payload, t0)) == DropReason::no_digest);
  CHECK(store.pending_packets() == 0);
}

TEST_CASE("identical payloads in different slots deliver once per slot") {
  DigestStore store;
  store.on_digest(5, digest_of(9), t0);
  store.on_digest(6, digest_of(9), t0);
  auto first = store.on_packet(digest_of(9), payload, t0);
  auto second = store.on_packet(digest_of(9), payload, t0);
  REQUIRE(delivered(first));
  REQUIRE(delivered(second));
  CHECK(std::get<Delivered>(first).packet_seq != std::get<Delivered>(second).packet_seq);
  CHECK(dropped(store.on_packet(digest_of(9), payload, t0)) == DropReason::replay);
}

TEST_CASE("pending packets come back with their tag") {
  DigestStore store;
  CHECK(held(store.on_packet(digest_of(1), payload, t0, 11)));
  CHECK(held(store.on_packet(digest_of(2), payload, t0, 22)));
  auto d = store.on_digest(2, digest_of(2), t0 + 1ms);
  REQUIRE(d);
  CHECK(d->packet.tag == 22);
  auto timed_out = store.expire(t0 + 2s);
  REQUIRE(timed_out.size() == 1);
  CHECK(timed_out[0].tag == 11);
}

TEST_CASE("identical payloads waiting: each digest delivers one of them") {
  DigestStore store;
  CHECK(held(store.on_packet(digest_of(9), payload, t0)));
  CHECK(held(store.on_packet(digest_of(9), payload, t0 + 1ms)));
  CHECK(held(store.on_packet(digest_of(9), payload, t0 + 2ms)));
  auto a = store.on_digest(5, digest_of(9), t0 + 10ms);
  REQUIRE(a);
  CHECK(a->packet.arrived == t0);
  auto b = store.on_digest(6, digest_of(9), t0 + 10ms);
  REQUIRE(b);
  CHECK(b->packet.arrived == t0 + 1ms);
  CHECK(store.pending_packets() == 1);
  CHECK(store.expire(t0 + 3s).size() == 1);
}

TEST_CASE("a slot keeps its first digest") {
  DigestStore store;
  store.on_digest(5, digest_of(5), t0);
  store.on_digest(5, digest_of(6), t0);
  CHECK(held(store.on_packet(digest_of(6), payload, t0)));
  CHECK(delivered(store.on_packet(digest_of(5), payload, t0)));
}

TEST_CASE("packet sequence numbers wrap") {
  DigestStore store;
  const std::uint32_t seqs[] = {0xfffffffe, 0xffffffff, 0, 1};
  for (auto seq : seqs) CHECK_FALSE(store.on_digest(seq, digest_of(seq), t0));
  for (auto seq : seqs) {
    auto v = store.on_packet(digest_of(seq), payload, t0);
    REQUIRE(delivered(v));
    CHECK(std::get<Delivered>(v).packet_seq == seq);
  }
}

TEST_CASE("pending count bound: overflow drops the new packet") {
  DigestStore store({.max_pending_packets = 3});
  for (std::uint32_t i = 0; i < 3; ++i) CHECK(held(store.on_packet(digest_of(100 + i), payload, t0)));
  CHECK(dropped(store.on_packet(digest_of(200), payload, t0)) == DropReason::overflow);
  CHECK(store.pending_packets() == 3);
  // Space again once the old ones time out.
  CHECK(store.expire(t0 + 2s).size() == 3);
  CHECK(held(store.on_packet(digest_of(200), payload, t0 + 2s)));
}

TEST_CASE("pending byte bound counts payload and overhead") {
  const std::size_t bound = 3 * (1000 + pending_overhead);
  DigestStore store({.max_pending_bytes = bound});
  std::vector<std::uint8_t> big(1000);
  for (std::uint32_t i = 0; i < 3; ++i) CHECK(held(store.on_packet(digest_of(i), big, t0)));
  CHECK(store.pending_bytes() == bound);
  CHECK(dropped(store.on_packet(digest_of(9), std::vector<std::uint8_t>(1), t0)) == DropReason::overflow);
  CHECK(store.pending_bytes() == bound);
  // Even empty datagrams are charged: a flood of them is bounded.
  DigestStore tiny({.max_pending_bytes = 10 * pending_overhead});
  std::size_t accepted = 0;
  for (std::uint32_t i = 0; i < 100; ++i) accepted += held(tiny.on_packet(digest_of(i), {}, t0));
  CHECK(accepted == 10);
}

TEST_CASE("a junk flood keeps legitimate packets flowing and memory bounded") {
  DigestStoreLimits limits{.max_pending_packets = 64, .max_pending_bytes = 64 * (1200 + pending_overhead)};
  DigestStore store(limits);
  std::vector<std::uint8_t> packet(1200);
  std::size_t legit = 0;
  TimePoint now = t0;
  for (std::uint32_t seq = 0; seq < 1000; ++seq) {
    now += 1ms;
    // The manifest comes first (originate mode), then ten junk packets per real one.
    store.on_digest(seq, digest_of(seq), now);
    for (std::uint32_t j = 0; j < 10; ++j) {
      auto v = store.on_packet(digest_of(1000000 + seq * 10 + j, 32, 0x55), packet, now);
      CHECK_FALSE(delivered(v));
    }
    legit += delivered(store.on_packet(digest_of(seq), packet, now));
    CHECK(store.pending_packets() <= limits.max_pending_packets);
    CHECK(store.pending_bytes() <= limits.max_pending_bytes);
    store.expire(now);
  }
  CHECK(legit == 1000);
}

TEST_CASE("a junk flood does not keep a packet from its late digest when there is room") {
  DigestStore store({.max_pending_packets = 8});
  CHECK(held(store.on_packet(digest_of(1), payload, t0)));
  for (std::uint32_t j = 0; j < 100; ++j) store.on_packet(digest_of(5000 + j, 32, 0x55), payload, t0 + 1ms);
  CHECK(store.pending_packets() == 8);
  auto d = store.on_digest(1, digest_of(1), t0 + 10ms);
  REQUIRE(d);
  CHECK(d->packet_seq == 1);
}

TEST_CASE("held digest bound: the oldest go and are never learned again") {
  DigestStore store({.max_held_digests = 4});
  for (std::uint32_t seq = 0; seq < 6; ++seq) store.on_digest(seq, digest_of(seq), t0 + std::chrono::milliseconds(seq));
  CHECK(store.held_digests() == 4);
  // Slots 0 and 1 were evicted: their packets wait, and a re-sent manifest cannot bring them back.
  CHECK(held(store.on_packet(digest_of(0), payload, t0 + 10ms)));
  CHECK_FALSE(store.on_digest(0, digest_of(0), t0 + 20ms));
  CHECK(store.pending_packets() == 1);
  CHECK(delivered(store.on_packet(digest_of(5), payload, t0 + 10ms)));
  // Not after the hold time either: the slot is retired in the anti-replay window.
  store.expire(t0 + 11s);
  CHECK_FALSE(store.on_digest(0, digest_of(0), t0 + 11s));
  CHECK(store.held_digests() == 0);
  CHECK(store.on_digest(6, digest_of(6), t0 + 11s) == std::nullopt);
  CHECK(store.held_digests() == 1);
}

// The reconnect replay of DESIGN.md 6.5: a verifier holds digests 1 s; its manifest
// server re-sends 10 s of history to every (re)connecting verifier. Before the window,
// the history re-armed every slot whose digest the verifier had already forgotten.
TEST_CASE("a re-sent digest never re-arms a consumed or expired slot, whatever the hold times") {
  DigestStore store({.data_hold_time = 300ms, .digest_hold_time = 1000ms});
  TimePoint now = t0;
  for (std::uint32_t seq = 0; seq < 40; ++seq) {
    now += 25ms;
    store.on_digest(seq, digest_of(seq), now);
    if (seq % 10 != 9) REQUIRE(delivered(store.on_packet(digest_of(seq), payload, now)));
  }
  // Slots 9, 19, 29 and 39 were never used: they expire unconsumed.
  now = t0 + 2500ms;
  CHECK(store.expire(now).empty());
  CHECK(store.held_digests() == 0);
  // The connection was lost and is back: the server re-sends its history.
  for (std::uint32_t seq = 0; seq < 40; ++seq) CHECK_FALSE(store.on_digest(seq, digest_of(seq), now));
  CHECK(store.held_digests() == 0);
  // The 40 captured packets injected again: not one is delivered; they time out.
  for (std::uint32_t seq = 0; seq < 40; ++seq) CHECK(held(store.on_packet(digest_of(seq), payload, now)));
  CHECK(store.expire(now + 300ms).size() == 40);
  // The stream goes on.
  store.on_digest(40, digest_of(40), now + 300ms);
  CHECK(delivered(store.on_packet(digest_of(40), payload, now + 300ms)));
  CHECK(store.too_old_digests() == 0);
}

TEST_CASE("the anti-replay window holds across the 32-bit wrap") {
  DigestStore store({.digest_hold_time = 100ms});
  std::vector<std::uint32_t> seqs;
  for (std::uint32_t i = 0; i < 32; ++i) seqs.push_back(0xfffffff0u + i);  // ..., 0xffffffff, 0, ..., 15
  for (auto seq : seqs) store.on_digest(seq, digest_of(seq), t0);
  for (std::size_t i = 0; i < seqs.size(); i += 2) REQUIRE(delivered(store.on_packet(digest_of(seqs[i]), payload, t0)));
  store.expire(t0 + 1s);
  for (auto seq : seqs) CHECK_FALSE(store.on_digest(seq, digest_of(seq), t0 + 1s));
  CHECK(store.held_digests() == 0);
  CHECK(store.on_digest(16, digest_of(16), t0 + 1s) == std::nullopt);
  CHECK(delivered(store.on_packet(digest_of(16), payload, t0 + 1s)));
  CHECK(dropped(store.on_packet(digest_of(16), payload, t0 + 1s)) == DropReason::replay);
}

TEST_CASE("a digest behind the anti-replay window is refused and counted") {
  DigestStore store({.replay_window = 64});
  store.on_digest(1000, digest_of(1000), t0);
  CHECK_FALSE(store.on_digest(936, digest_of(936), t0));
  CHECK(store.too_old_digests() == 1);
  CHECK(held(store.on_packet(digest_of(936), payload, t0)));
  // Just inside: learned, out of order.
  store.on_digest(937, digest_of(937), t0);
  CHECK(store.too_old_digests() == 1);
  CHECK(delivered(store.on_packet(digest_of(937), payload, t0)));
}

TEST_CASE("digests coming and going keep every held one findable") {
  // Evictions (bound 500) and expiries (hold 300 ms at one digest per ms) remove entries
  // from the middle of the index's probe runs.
  struct Case {
    std::chrono::milliseconds hold;
    std::uint32_t window;
  };
  for (auto c : {Case{700ms, 500}, Case{300ms, 300}}) {
    DigestStore store({.data_hold_time = 0ms, .digest_hold_time = c.hold, .max_held_digests = 500});
    TimePoint now = t0;
    for (std::uint32_t seq = 0; seq < 5000; ++seq) {
      now += 1ms;
      store.on_digest(seq, digest_of(seq), now);
      CHECK(store.held_digests() <= c.window);
      if (seq % 97 != 0) continue;
      for (std::uint32_t back = 0; back <= seq && back < 800; back += 13) {
        CAPTURE(seq);
        CAPTURE(back);
        auto v = store.on_packet(digest_of(seq - back), payload, now);
        if (back < c.window) {
          CHECK((delivered(v) || dropped(v) == DropReason::replay));
        } else {
          CHECK(dropped(v) == DropReason::no_digest);
        }
      }
    }
  }
}

TEST_CASE("a moved store keeps its digests and pending packets") {
  DigestStore first;
  first.on_digest(1, digest_of(1), t0);
  CHECK(held(first.on_packet(digest_of(2), payload, t0)));
  DigestStore second = std::move(first);
  CHECK(delivered(second.on_packet(digest_of(1), payload, t0)));
  CHECK(second.on_digest(2, digest_of(2), t0));
}

TEST_CASE("next deadline is the earliest of pending timeout and digest expiry") {
  DigestStore store;
  CHECK_FALSE(store.next_deadline());
  store.on_digest(1, digest_of(1), t0);
  store.on_packet(digest_of(2), payload, t0 + 9s);
  CHECK(store.next_deadline() == t0 + 10s);
  store.expire(t0 + 10s);
  CHECK(store.next_deadline() == t0 + 11s);
  store.expire(t0 + 11s);
  CHECK_FALSE(store.next_deadline());
}

TEST_CASE("drop reason names") {
  CHECK(drop_reason_name(DropReason::timeout) == "timeout");
  CHECK(drop_reason_name(DropReason::no_digest) == "no-digest");
  CHECK(drop_reason_name(DropReason::replay) == "replay");
  CHECK(drop_reason_name(DropReason::overflow) == "overflow");
  CHECK(drop_reason_name(DropReason::truncated) == "truncated");
}

TEST_CASE("a digest re-sent while held starts its hold time again (draft section 3.2)") {
  DigestStore store({.digest_hold_time = 1000ms});
  store.on_digest(5, digest_of(5), t0);
  store.on_digest(6, digest_of(6), t0);
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0 + 900ms));
  CHECK_FALSE(store.on_digest(6, digest_of(7), t0 + 900ms));  // another digest for the slot: no refresh
  CHECK(store.held_digests() == 2);
  store.expire(t0 + 1500ms);
  CHECK(store.held_digests() == 1);
  CHECK(delivered(store.on_packet(digest_of(5), payload, t0 + 1500ms)));
  CHECK(held(store.on_packet(digest_of(6), payload, t0 + 1500ms)));
  // Used: re-sending it changes nothing, and it expires on time.
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0 + 1800ms));
  store.expire(t0 + 1900ms);
  CHECK(store.held_digests() == 0);
  CHECK_FALSE(store.on_digest(5, digest_of(5), t0 + 2000ms));
  CHECK(store.held_digests() == 0);
}

TEST_CASE("pending slots are reused: many packets, some with equal digests, delivered oldest first, bounds exact") {
  DigestStoreLimits limits;
  limits.max_pending_packets = 64;
  DigestStore store(limits);
  for (int round = 0; round < 3; ++round) {
    const TimePoint at = t0 + std::chrono::seconds(3 * round);
    // 60 packets: digests 0..29, each twice; the second copy one millisecond later.
    for (int i = 0; i < 60; ++i) {
      auto v = store.on_packet(digest_of(static_cast<std::uint32_t>(round * 100 + i % 30)), bytes(std::to_string(i)), at + std::chrono::milliseconds(i / 30),
                               static_cast<std::uint64_t>(i));
      REQUIRE(held(v));
    }
    CHECK(store.pending_packets() == 60);
    for (int i = 0; i < 30; ++i) {
      const auto seq = static_cast<std::uint32_t>(round * 100 + i);
      auto d = store.on_digest(seq, digest_of(seq), at + 10ms);
      REQUIRE(d);
      CHECK(d->packet.tag == static_cast<std::uint64_t>(i));  // the older copy
      CHECK(d->packet.payload == bytes(std::to_string(i)));
    }
    // The second copies have no slot left: they time out, in arrival order.
    auto timed_out = store.expire(at + 2001ms);
    REQUIRE(timed_out.size() == 30);
    for (int i = 0; i < 30; ++i) CHECK(timed_out[static_cast<std::size_t>(i)].tag == static_cast<std::uint64_t>(30 + i));
    CHECK(store.pending_packets() == 0);
    CHECK(store.pending_bytes() == 0);
  }
}
