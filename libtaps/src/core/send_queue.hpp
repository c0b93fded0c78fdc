// The messages a Connection holds before they are framed, in the order they go out
// (RFC 9622 9.1.3.2): a numerically lower msgPriority first, equal priorities in send
// order, a final message after every other (9.1.3.5). Messages are framed only when
// the transport can take them, so a message sent while the transport is busy overtakes
// the less urgent ones queued before it.
//
// A message may arrive in pieces (partial sends, 9.2.3). On a stream, the pieces of a
// message go out as they come; once its first piece is out, nothing else may go until
// its last one, as bytes of two messages cannot interleave on one stream. On datagrams
// a message goes out whole, once its last piece is there; later complete messages pass it.
//
// Pure: no sockets, no clock of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "taps/message.hpp"

namespace taps::detail {

class SendQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Piece {
    Message bytes;
    MessageContext ctx;  // of the send() call that gave this piece
    bool end_of_message;
  };

  // A new message (or its first piece), ordered by ctx.msg_priority and ctx.final.
  void push(Message bytes, MessageContext ctx, bool end_of_message, TimePoint now);
  // The id of the message sent in part whose end has not been sent yet.
  std::optional<MessageId> open_message() const noexcept { return open_; }
  // Adds a piece to the open message; its properties are the first piece's.
  void append(Message bytes, MessageContext ctx, bool end_of_message);
  // InitiateWithSend: message `id` goes first, whatever is sent after it, and never
  // expires (its first bytes may be in a SYN already).
  void pin_front(MessageId id);
  // The first `n` bytes of the front message went out with the handshake.
  void drop_sent_bytes(std::size_t n);

  // Whether next() has something: on a stream, pieces of the message in progress or of
  // the next message; on datagrams, a whole message.
  bool has_next(bool datagram) const noexcept;
  // Takes what goes out next: on a stream, every piece there is of one message; on
  // datagrams, every piece of the first whole message.
  std::vector<Piece> next(bool datagram);

  // Drops messages not started whose msgLifetime has passed; returns the contexts of
  // their pieces, in queue order, for their expired events.
  std::vector<MessageContext> expire(TimePoint now);
  // Whether a queued message has a lifetime at all (expire() has work to do).
  bool may_expire() const noexcept { return next_deadline_.has_value(); }
  // Drops everything; returns the contexts of the dropped pieces.
  std::vector<MessageContext> clear();

  bool empty() const noexcept { return entries_.empty(); }
  // Pieces held: each owes the application one event.
  std::size_t pieces() const noexcept { return pieces_; }

 private:
  struct Entry {
    MessageId id;
    int priority;
    bool final;
    bool ended;
    bool started = false;  // pieces of it went out already
    TimePoint queued_at;
    std::optional<std::chrono::milliseconds> lifetime;
    std::vector<Piece> pieces;  // most messages are one piece: one allocation
  };
  static bool goes_before(const Entry& a, const Entry& b) noexcept;
  void note_deadline(const Entry& e);

  std::deque<Entry> entries_;  // in sending order; a started entry is the first
  std::size_t pieces_ = 0;
  // The message sent in parts whose last piece has not come: send() asks for it on
  // every call, so it is kept rather than searched for.
  std::optional<MessageId> open_;
  // The earliest time a message may expire: the transport asks before every write, and
  // a queue of thousands must not be walked each time.
  std::optional<TimePoint> next_deadline_;
};

}  // namespace taps::detail
