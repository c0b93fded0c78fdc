// Runs a stack of framers for one Connection: the receive buffers and cursors of
// RFC 9623 section 6, claims of bytes not yet arrived, and the hand-over between
// stacked framers. Pure: bytes in, messages and bytes out; no sockets, no clock.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "taps/framer.hpp"

namespace taps::detail {

class FramerHost {
 public:
  struct Callbacks {
    std::function<void(Message)> send;                              // bytes for the transport
    std::function<void(Message&&, MessageContext&&, bool end)> deliver;  // a message for the application
    std::function<void()> ready;                                     // every framer is ready
    std::function<void(Error)> failed;                               // a framer failed the connection
    // Runs `fn` later on the engine's thread while this host lives and has not failed
    // (FramerContext::later); unset: later() handles do nothing.
    std::function<void(std::function<void(FramerHost&)> fn)> schedule;
  };

  // `framers[0]` is the first added: nearest the transport. In datagram mode every
  // call of received() is one datagram, and the bytes of one message go out as one.
  FramerHost(std::vector<std::unique_ptr<Framer>> framers, Callbacks callbacks, bool datagram);
  ~FramerHost();
  FramerHost(const FramerHost&) = delete;
  FramerHost& operator=(const FramerHost&) = delete;

  // Starts every framer, nearest the transport first.
  void start();
  // Gives an application message, or one piece of it (end_of_message false: more
  // pieces follow), to the top framer; its bytes come out of `send`. A level whose
  // framer cannot frame partial messages holds the pieces until the last one. Pieces
  // are for streams: in datagram mode every message must be whole.
  void send(Message message, const MessageContext& ctx, bool end_of_message = true);
  // Bytes from the transport; `ctx` is what the transport knows of them (a datagram's
  // source and destination), offered to framers as received_context().
  void received(const std::uint8_t* data, std::size_t size, const MessageContext& ctx = MessageContext{});
  // The same for a Message the caller gives up: in datagram mode its buffer is what the
  // framers parse and, when one delivers the whole datagram, what it delivers (no copy).
  void received(Message bytes, const MessageContext& ctx);
  // The peer ended the stream. Returns the number of bytes that were left inside an
  // unfinished message at some level (0 when the stream ended cleanly).
  std::size_t end_of_stream() const;
  // Bytes held for messages not complete yet, at every level.
  std::size_t buffered() const;
  // The connection is closing: framers may send trailers.
  void stop();
  bool failed() const noexcept { return failed_; }

 private:
  class Level;
  void send_from(std::size_t level, Message message, const MessageContext& ctx, bool end_of_message);
  void send_below(std::size_t level, Message bytes);
  void deliver_above(std::size_t level, Message&& message, MessageContext&& ctx, bool end);
  void level_ready();
  void fail(Error error);

  std::vector<std::unique_ptr<Level>> levels_;
  Callbacks callbacks_;
  bool datagram_;
  std::size_t ready_count_ = 0;
  bool failed_ = false;
  const MessageContext* received_context_ = nullptr;  // set during received()
};

}  // namespace taps::detail
