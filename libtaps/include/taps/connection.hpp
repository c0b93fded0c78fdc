// Connection (RFC 9622 sections 7-10) and the handlers that receive its events.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "taps/connection_properties.hpp"
#include "taps/error.hpp"
#include "taps/framer.hpp"
#include "taps/message.hpp"
#include "taps/properties.hpp"
#include "taps/security.hpp"

namespace taps {

namespace detail {
class ConnectionImpl;
}

// One step of establishment, for observers (taps-cat --json, tests, demos).
struct RaceEvent {
  enum class Kind { resolve, attempt, attempt_failed, ready, cancelled };
  Kind kind;
  std::chrono::steady_clock::time_point at;  // when it happened (not when delivered)
  int attempt_id = 0;                        // 1, 2, ... in start order; 0 for resolve
  std::string stack;                         // "tcp", "udp", "tls/tcp"
  std::string remote;                        // "ADDR:PORT", or for resolve the name
  std::string local;                         // "ADDR:PORT" once bound
  std::string interface_name;                // only when bound to an interface
  std::string detail;                        // error text, or the resolved addresses
  std::string query;                         // resolve: "A" or "AAAA"
};
std::string_view to_string(RaceEvent::Kind k) noexcept;  // "resolve", "attempt_failed", ...

// PathChange (RFC 9622 8.3.2): the path of an established Connection changed. The
// RFC's event has no parameters; these say what the kernel reported.
struct PathChange {
  std::string local;           // the Connection's local endpoint, "ADDR:PORT"
  std::string interface_name;  // the interface that held it; empty if unknown
  std::string reason;          // "local address removed", "interface down", "interface up"
};

// _taps extension: what the transport measured, for Connection::statistics(). QUIC
// fills it from its loss recovery (RFC 9002); the figures are the QUIC connection's,
// shared by every stream (Connection) of its group.
struct TransportStatistics {
  std::chrono::microseconds smoothed_rtt{0};
  std::chrono::microseconds min_rtt{0};
  std::uint64_t congestion_window = 0;  // bytes
  std::uint64_t bytes_in_flight = 0;    // sent, not yet acknowledged
  // Packets declared lost; QUIC counts those that carried stream data (ngtcp2 0.12
  // counts no others).
  std::uint64_t packets_lost = 0;
};

class Connection;

// Handlers for the RFC 9622 Connection events. Every event is posted to the
// Context's thread; none is called from inside the action that caused it. Unset
// handlers are skipped. After closed or connection_error (or establishment_error)
// no further event is delivered.
struct ConnectionHandlers {
  std::function<void()> ready;
  // RendezvousDone (RFC 9622 section 7.3): a Connection made by Preconnection::rendezvous
  // is established; it stands for ready, which such a Connection never delivers.
  std::function<void()> rendezvous_done;
  std::function<void(const Error&)> establishment_error;
  // One of sent / expired / send_error per send(), in the order the messages go out
  // (msgPriority may reorder them, see send()).
  std::function<void(const MessageContext&)> sent;
  std::function<void(const MessageContext&)> expired;
  std::function<void(const MessageContext&, const Error&)> send_error;
  // One of received / received_partial / receive_error per receive() call.
  std::function<void(Message, MessageContext)> received;
  std::function<void(Message, MessageContext, bool end_of_message)> received_partial;
  std::function<void(const Error&)> receive_error;
  std::function<void()> closed;
  std::function<void(const Error&)> connection_error;
  std::function<void(const Error&)> soft_error;
  // Only a Connection with this handler set watches its path (a netlink socket per
  // Context while any does).
  std::function<void(const PathChange&)> path_change;
  // CloneError (RFC 9622 section 7.4), on the Connection that clone() was called on.
  std::function<void(const Error&)> clone_error;
  // A Connection in this Connection's group that the peer opened (RFC 9622 section 7.4;
  // QUIC: a stream the server opens toward its client). RFC 9622 delivers such
  // Connections through a Listener; an initiated Connection has none, so the group
  // delivers it here. Like Listener's connection_received it returns the new
  // Connection's handlers, and the new Connection is ready (its ready is not called).
  // Called on the first Connection of the group, in the order they were made, that has
  // this handler and is not closed; with none, the stream is read and thrown away. On a
  // Listener's side every stream the peer opens is its connection_received instead.
  std::function<ConnectionHandlers(Connection)> stream_received;
  // _taps extension: establishment steps (resolution, each attempt, the winner).
  std::function<void(const RaceEvent&)> race;
};

// A handle to a Connection; copies refer to the same Connection. All actions must be
// called on the Context's thread. An empty handle (default-constructed) does nothing.
// A Connection lives until it has delivered closed, connection_error or
// establishment_error, also when no handle is left: handlers that capture their own
// Connection are fine, and are released then. Close or abort every Connection before
// its Context goes away.
class Connection {
 public:
  Connection() = default;
  explicit Connection(std::shared_ptr<detail::ConnectionImpl> impl) : impl_(std::move(impl)) {}

  // Queues a message; returns its id (also in the MessageContext of its event). Before
  // ready, messages wait and go out on the connection that wins the race. Emits
  // exactly one of sent, expired or send_error. On a byte stream without a framer the
  // message's bytes are appended to the stream; `ctx.final` half-closes after it.
  // Queued messages go out by ctx.msg_priority (RFC 9622 9.1.3.2: numerically lower
  // first; equal priorities in send order), a final message after all others. A
  // message is framed when the transport can take it, so priority decides among the
  // messages waiting before ready or while the transport is busy; what is already
  // written is not overtaken. A negative priority is a send_error.
  //
  // Partial sends (RFC 9622 9.2.3): end_of_message = false sends the first piece of a
  // message; its returned id names the message. Further pieces are sent with a context
  // whose `id` is that id, the last with end_of_message = true; their other properties
  // are the first piece's. One message may be open at a time (a second one sent in parts
  // meanwhile is a send_error); whole messages sent meanwhile are queued as usual, but
  // on a stream none can pass a message whose first piece went out. Each piece gets its
  // own event, all with the message's id. On a byte stream without framer the pieces
  // are appended as they come; a framer sees them as its frames_partial_messages()
  // says (framer.hpp); on UDP the message goes out as one datagram after its last piece.
  MessageId send(Message message, MessageContext ctx = {}, bool end_of_message = true);

  // Asks for one message, or for at least `min_incomplete` bytes of a partial one and
  // at most `max_length` bytes. Emits exactly one received, received_partial or
  // receive_error per call, when data is there: without calls, nothing is read past
  // the engine's bounded buffer (back-pressure).
  void receive(std::size_t min_incomplete = 1,
               std::size_t max_length = std::numeric_limits<std::size_t>::max());

  // Sends what is queued, then closes gracefully (TLS close_notify, TCP FIN); emits
  // closed once both directions are done. Received data that no receive() asked for
  // is discarded.
  void close();
  // Closes at once (TCP RST), dropping queued messages; emits connection_error
  // with errc::connection_aborted.
  void abort();

  // _taps extension (Linux), for bulk transfers on a byte stream without framers over
  // plain TCP: bytes move between the socket and a local descriptor inside the kernel
  // (splice(2), sendfile(2)) and never pass through the application. Refused at once
  // (errc::not_supported: another stack such as tls/tcp, framers, a descriptor of
  // another kind; errc::connection_closed: not ready, or closing), and nothing changes:
  // the application then sends and receives as usual. A received Connection may use
  // them from connection_received on. A write into a pipe whose reader is gone raises
  // SIGPIPE, as any write would: ignore it (the tools do).
  //
  // send_from queues everything `fd` (a pipe, or a regular file from its current
  // offset) gives until its end, in order with send(); one sent or send_error follows
  // once the end is out, and `ctx.final` half-closes after it. `fd` stays the caller's
  // and must stay open until that event.
  Result<MessageId> send_from(int fd, MessageContext ctx = {});
  // receive_into writes what arrives from now on to `fd` (a pipe), after what the engine
  // already holds. No receive() may be pending or follow (it gets receive_error). At the
  // peer's end one received_partial(empty message, ctx.final, end_of_message) follows;
  // a failure to write `fd` (EPIPE: its reader went away) is one receive_error. `fd`
  // stays the caller's and must stay open until one of those.
  std::optional<Error> receive_into(int fd);
  // Bytes that send_from has sent (counted as each send_from ends) and that
  // receive_into has written so far.
  std::uint64_t bytes_sent_from_descriptors() const;
  std::uint64_t bytes_received_into_descriptor() const;

  // "ADDR:PORT" of the connected peer and of the local side; empty before ready.
  std::string remote_endpoint() const;
  std::string local_endpoint() const;
  // "tcp", "udp", "tls/tcp" or "quic"; empty before ready.
  std::string stack() const;
  // On a TLS connection once ready: what was negotiated and the peer's certificate.
  std::optional<TlsInfo> tls_info() const;

  // Clone (RFC 9622 section 7.4): a new Connection in this Connection's group, made from
  // the same Preconnection with the group's current properties. Over QUIC, a new stream
  // of the same QUIC connection (also from a Connection a Listener accepted):
  // bidirectional, or unidirectional when `properties` says direction
  // unidirectional_send (the clone then only sends: receive() is a receive_error). Over
  // TCP and TLS, a new connection to the same remote endpoint, raced with `properties`
  // when given (else the Preconnection's), TLS resumed from a session ticket of the group
  // when one is there. `handlers` get its ready or establishment_error as after Initiate.
  // `framer`, when given, replaces the original's framers on the clone. Refused (an
  // empty handle, and clone_error posted to this Connection) when the group holds
  // groupConnLimit Connections not yet closed, when the QUIC connection allows no more
  // streams now or is closing, or when this Connection came from a Listener over TCP (a
  // clone would need the peer to listen).
  Connection clone(ConnectionHandlers handlers, std::optional<FramerSpec> framer = std::nullopt,
                   std::optional<TransportProperties> properties = std::nullopt);
  // close() and abort() of every Connection of the group not yet closed, this one included.
  // Over QUIC, close_group then closes the QUIC connection (CONNECTION_CLOSE) once every
  // stream is done, also on a Listener's side; abort_group closes it at once with an
  // application error (the peer's streams fail), where abort() resets only this stream
  // (RESET_STREAM and STOP_SENDING) and the group's other streams go on.
  void close_group();
  void abort_group();
  // A number per connection group, unique in the process (taps-cat --json "group").
  std::uint64_t group_id() const;
  // _taps extension: the stream's number in its QUIC connection (RFC 9000 section 2.1);
  // none on other stacks, and before ready.
  std::optional<std::int64_t> stream_id() const;
  // _taps extension: what the transport measured (see TransportStatistics), also after
  // closed; none on stacks that tell nothing (all but QUIC for now), and before ready.
  std::optional<TransportStatistics> statistics() const;

  // SetProperty (RFC 9622 section 8): sets one connection property by its RFC name (the
  // table is in connection_properties.hpp). Every property but connPriority is shared by
  // the connection group: set on one Connection, it changes for all of them, and the
  // socket options follow at once. Returns an error, and changes nothing, for an unknown
  // name, a read-only property or a bad value; the detail starts with the name.
  std::optional<Error> set_property(std::string_view name, PropertyValue value);
  // GetProperties: every connection property, settable and read-only, in RFC order.
  std::vector<Property> get_properties() const;

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  friend bool operator==(const Connection&, const Connection&) = default;

 private:
  std::shared_ptr<detail::ConnectionImpl> impl_;
};

}  // namespace taps
