// Message Framers (RFC 9622 section 9.1.2, RFC 9623 section 6): the one interface
// applications extend. A framer turns messages into bytes on the way out and bytes
// into messages on the way in, between the application and the transport.
//
// Every Connection gets fresh framer instances from the Preconnection's factories:
// every racing attempt, and every Connection a Listener spawns. A framer that needs
// state shared across connections must get it from its factory, explicitly.
//
// Framers stack: the one added last runs first on output and last on input. All
// callbacks run on the Context's thread; a framer does no I/O of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "taps/error.hpp"
#include "taps/message.hpp"

namespace taps {

// What the engine offers a framer (RFC 9623 section 6 names in brackets). Valid only
// during the callback it is passed to.
class FramerContext {
 public:
  virtual ~FramerContext() = default;

  // [Parse] The received bytes at the cursor: at least `min` and at most `max` of them,
  // or an empty span when fewer than `min` have arrived. Nothing is consumed.
  virtual std::span<const std::uint8_t> parse(std::size_t min, std::size_t max) = 0;
  // [AdvanceReceiveCursor] Skips `n` bytes, also bytes that have not arrived yet.
  virtual void advance(std::size_t n) = 0;
  // [DeliverAndAdvanceReceiveCursor] The next `n` bytes are a message (or its last part
  // when end_of_message): delivers them and moves the cursor past them. `n` may exceed
  // what has arrived; the engine collects the rest and delivers once it is complete,
  // without calling on_received_data meanwhile.
  virtual void deliver_and_advance(std::size_t n, MessageContext ctx, bool end_of_message) = 0;
  // [Deliver] A message the framer made itself.
  virtual void deliver(Message message, MessageContext ctx, bool end_of_message) = 0;

  // [Send] Bytes to the layer below. The Message overload takes the buffer without
  // copying it: it is written with scatter/gather next to the framer's header.
  virtual void send(Message bytes) = 0;
  void send(std::span<const std::uint8_t> bytes) { send(Message(std::vector<std::uint8_t>(bytes.begin(), bytes.end()))); }

  // [MakeConnectionReady] The framer's own handshake is done.
  virtual void make_ready() = 0;
  // [FailConnection] Before ready, the race tries the next candidate (with fresh
  // framer instances); after ready, the Connection ends with connection_error.
  virtual void fail(Error error) = 0;

  // True on a datagram transport: on_received_data sees one datagram at a time and
  // what the framer leaves of it is dropped.
  virtual bool datagram() const = 0;

  // _taps extension: what the transport knows of the bytes being parsed. In a datagram,
  // its source (remote_endpoint), destination (local_endpoint, "GROUP:PORT" for
  // multicast) and, for multicast, set("_taps.multicast", "interface", NAME); on a
  // stream, the Connection's endpoints. Valid during on_received_data.
  virtual const MessageContext& received_context() const = 0;

  // _taps extension (like nw_framer_async): a handle that runs `fn` later on the
  // Context's thread with this framer's context, valid during `fn`, so that a framer
  // can deliver messages whose cue came from elsewhere (another connection, a timer).
  // What `fn` delivers reaches the application as if parsed from received data. Once
  // the Connection has ended or its framers failed, `fn` is dropped without a call.
  // The handle may be kept and called any number of times, on the Context's thread.
  using Later = std::function<void(std::function<void(FramerContext&)> fn)>;
  virtual Later later() = 0;
};

class Framer {
 public:
  virtual ~Framer() = default;

  // A short name: the namespace of this framer's MessageContext metadata.
  virtual std::string_view name() const = 0;

  // [Start] The transport below is connected. May send a prefix and hold the
  // Connection's ready event until make_ready(). The default is ready at once.
  virtual void start(FramerContext& ctx) { ctx.make_ready(); }
  // [Stop] The Connection is closing: a last chance to send a trailer.
  virtual void stop(FramerContext&) {}
  // [NewSentMessage] A message from the application (or the framer above): send its
  // framed bytes with ctx.send(). An empty message with ctx.final never reaches a
  // framer: it only ends the stream.
  virtual void on_new_sent_message(FramerContext& ctx, Message message, const MessageContext& message_ctx) = 0;
  // Partial sends (RFC 9622 9.2.3): whether this framer can frame a message before its
  // end is known. When not (the default, and right for framers that must write the
  // length first, like lp), the engine holds the pieces of a message sent in parts and
  // calls on_new_sent_message once with the whole message. When it can, each piece
  // goes to on_new_sent_partial as it is sent, and the framed bytes of a piece may go
  // to the wire before the next piece exists. On datagrams messages are always whole.
  virtual bool frames_partial_messages() const { return false; }
  // One piece of a message sent in parts; end_of_message on its last piece. Called
  // only when frames_partial_messages() is true.
  virtual void on_new_sent_partial(FramerContext&, Message, const MessageContext&, bool /*end_of_message*/) {}
  // [HandleReceivedData] New bytes are there: parse and deliver as many messages as
  // they hold.
  virtual void on_received_data(FramerContext& ctx) = 0;
};

// Makes one framer instance per Connection (and per racing attempt).
using FramerFactory = std::function<std::unique_ptr<Framer>()>;

// A framer as a Preconnection holds it: a name for configuration and events, and
// the factory. Equal when the names are.
struct FramerSpec {
  std::string name;
  FramerFactory factory;
  friend bool operator==(const FramerSpec& a, const FramerSpec& b) { return a.name == b.name; }
};

// The largest message the shipped framers accept by default: 16 MiB.
inline constexpr std::size_t default_max_message_size = 16 * 1024 * 1024;

// "line": newline-delimited messages; the newline is added on send and stripped on
// receive. A line longer than max_message_size fails the connection. A message sent
// in parts goes out piece by piece, the newline after its last piece.
FramerSpec line_framer(std::size_t max_message_size = default_max_message_size);
// "lp": a 4-byte big-endian length before each message. A length above
// max_message_size fails the connection with a clear error. A message sent in parts
// is held until its last piece, as its length goes first: it costs its size in memory.
FramerSpec length_prefix_framer(std::size_t max_message_size = default_max_message_size);
// The shipped framer called `name` ("line", "lp"), or nullopt.
std::optional<FramerSpec> framer_by_name(std::string_view name,
                                         std::size_t max_message_size = default_max_message_size);

}  // namespace taps
