// The verifier's anti-replay window by packet sequence number (DESIGN.md 6.5), as IPsec
// keeps one (RFC 4303 section 3.4.3): behind the highest sequence number learned, one
// bit per sequence number says whether that slot is retired (its digest consumed,
// expired or evicted). A retired slot is never learned again while it lies in the
// window, and anything behind the window is too old to learn: so a digest that comes
// again (a manifest re-sent after a reconnect, a redundant manifest) re-arms nothing,
// whatever the hold times of the sender and the verifier.
//
// Serial number arithmetic (RFC 1982) on 32 bits: the window slides across the wrap.
// Pure and bounded: `size` bits, fixed at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ambi {

class ReplayWindow {
 public:
  enum class Slot {
    fresh,    // ahead of the window, or in it and not retired: may be learned
    retired,  // in the window and retired
    too_old,  // behind the window
  };

  // `size`: sequence numbers the window spans, rounded up to a power of two (at least 64).
  explicit ReplayWindow(std::size_t size);

  Slot check(std::uint32_t seq) const;
  // A digest for `seq` is held from now on: a sequence number ahead of the window moves
  // it forward (the slots it uncovers are fresh).
  void learn(std::uint32_t seq);
  // The slot of `seq` has served (consumed, expired or evicted). Nothing to do when it
  // is already behind the window.
  void retire(std::uint32_t seq);

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return bits_.size() * sizeof(std::uint64_t); }

 private:
  bool test(std::uint32_t seq) const;
  void set(std::uint32_t seq, bool retired);

  std::size_t size_;
  std::vector<std::uint64_t> bits_;  // bit (seq mod size_): retired
  std::optional<std::uint32_t> top_;  // the highest sequence number learned
};

}  // namespace ambi
