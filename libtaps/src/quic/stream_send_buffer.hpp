// The send side of one QUIC stream: what the application queued, what went into packets,
// and what the peer acknowledged. ngtcp2 does not copy stream data: every byte handed
// to it stays here until acknowledged (a lost packet is rebuilt from it). Pure
// bookkeeping, no I/O: unit-tested with tables of writes and acks.
//
//   queued ---written(n)---> in packets ---acked(offset, n)---> freed
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "transport/transport.hpp"

namespace taps::detail {

class StreamSendBuffer {
 public:
  // Takes one item of the Connection's send queue; its `final` queues the FIN after it.
  void push(Outgoing out);

  // Unwritten bytes, in order, as at most `max` spans (the FIN is not a byte: see fin_pending).
  std::vector<std::span<const std::uint8_t>> unwritten(std::size_t max) const;
  std::uint64_t unwritten_bytes() const noexcept { return queued_end_ - written_; }
  // The FIN is queued and not written, and every byte before it is in `unwritten`.
  bool fin_pending() const noexcept { return fin_queued_ && !fin_written_; }
  bool fin_written() const noexcept { return fin_written_; }
  // Nothing left to write (bytes or FIN).
  bool idle() const noexcept { return unwritten_bytes() == 0 && !fin_pending(); }

  // ngtcp2 took `n` more bytes (and the FIN when `fin`): the items now wholly written, in
  // order, for their `sent` events. Their bytes stay until acked; the items carry only
  // their context.
  std::vector<Outgoing> written(std::uint64_t n, bool fin);
  // The peer acknowledged [offset, offset + n): items wholly below are freed. ngtcp2
  // reports the acknowledgement of a FIN without bytes as n = 0 at the end.
  void acked(std::uint64_t offset, std::uint64_t n);
  // Every byte and the FIN are acknowledged: the peer has all of it, and we may go.
  bool fin_acked() const noexcept {
    return fin_written_ && freed_ == queued_end_ && pieces_.empty() && (fin_with_data_ || fin_alone_acked_);
  }

  // Bytes held (written or not, not acknowledged): what bounds pulling more from the queue.
  std::uint64_t held_bytes() const noexcept { return queued_end_ - freed_; }

 private:
  struct Piece {
    Message bytes;
    MessageContext ctx;
    std::uint64_t start;  // stream offset of its first byte
    bool reported = false;
  };
  std::deque<Piece> pieces_;
  std::uint64_t queued_end_ = 0;  // stream offset after the last queued byte
  std::uint64_t written_ = 0;     // bytes handed to ngtcp2
  std::uint64_t freed_ = 0;       // offset of the first byte still held
  bool fin_queued_ = false;
  bool fin_written_ = false;
  // The FIN went with the last bytes, which only frames with the FIN ever carried: their
  // acknowledgement is the FIN's. Otherwise it went alone, and is acknowledged alone.
  bool fin_with_data_ = false;
  bool fin_alone_acked_ = false;
};

}  // namespace taps::detail
