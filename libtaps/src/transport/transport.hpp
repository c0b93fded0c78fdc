// Where a Connection meets the protocol stack that carries it (DESIGN.md section 10).
// Core's Connection holds what every stack shares (state machine, events, queues,
// framers) and drives a Transport; the Transport moves the bytes and reports upward
// through the TransportSink that core implements. Neither side knows the other's type:
// a new stack is a new Transport, with no edit in core.
//
// These two are virtual although STYLE.md keeps virtual for user extension: the set of
// stacks is open by design (QUIC comes as one more Transport), and core must not name
// them, so a std::variant of transports would put every stack back into core.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taps/connection.hpp"
#include "taps/connection_properties.hpp"
#include "taps/error.hpp"
#include "taps/message.hpp"
#include "taps/security.hpp"
#include "transport/address.hpp"

namespace taps::detail {

class StreamSession;

// One buffer for the transport: a whole message without framers, or one piece of a
// framed message (id 0 in its ctx) with the message's ctx on its last piece. Or, from
// Connection::send_from, a descriptor whose bytes go out until its end (`message` empty).
struct Outgoing {
  Message message;
  MessageContext ctx;
  int source_fd = -1;
  std::uint64_t source_bytes = 0;  // set by the transport: what the descriptor gave
};

// The message sizes a stack allows (RFC 9622 section 8.1.11); nullopt: no limit (a
// stream), or for `singular`, not applicable.
struct MessageLimits {
  std::optional<std::size_t> singular, send, receive;
};

// What a Transport reports to, and the queues it serves. Implemented by core.
class TransportSink {
 public:
  // The send queue: the transport takes what it can write now, in order. Not const:
  // core frames the next message only when asked, so that the most urgent one goes next.
  virtual bool has_outgoing() = 0;
  virtual Outgoing pop_outgoing() = 0;
  // Drops queued messages whose msgLifetime passed, emitting expired.
  virtual void expire_outgoing() = 0;
  // The receive bound is reached: read no more until resume_reading().
  virtual bool receive_buffer_full() const noexcept = 0;

  virtual void on_data(Message data, MessageContext ctx) = 0;  // a chunk (stream) or a datagram
  virtual void on_end_of_stream() = 0;                         // the peer sent FIN (or close_notify)
  virtual void on_sent(Outgoing&& out) = 0;                    // one item fully handed to the kernel
  virtual void on_send_failed(Outgoing&& out, Error error) = 0;
  virtual void on_final_sent() = 0;                            // our FIN is out
  virtual void on_transport_error(Error error) = 0;            // the connection is lost
  virtual void on_soft_error(Error error) = 0;                 // e.g. ICMP unreachable on UDP
  virtual void on_receive_into_failed(Error error) = 0;        // the descriptor of receive_into

 protected:
  ~TransportSink() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Starts reading; from now on the transport reports to `sink`. The sink is held
  // strongly only by pending operations, as the Connection owns its transport.
  void start(std::weak_ptr<TransportSink> sink) {
    sink_ = std::move(sink);
    start_reading();
  }
  // The send queue gained items.
  virtual void start_writing() = 0;
  // The receive queue has room again after receive_buffer_full().
  virtual void resume_reading() = 0;
  // Closes gracefully (after the final message went out) or at once (abort: TCP RST).
  // Nothing is reported afterwards.
  virtual void shutdown(bool graceful) = 0;
  virtual std::optional<TlsInfo> tls_info() const { return std::nullopt; }
  // Puts the connection properties that live in the socket there (socket_options.hpp);
  // called at adoption and after every change. `keep_alive`: the keepAlive selection
  // property is require or prefer. Stacks without such options ignore it.
  virtual void apply_properties(const ConnectionProperties&, bool /*keep_alive*/) {}
  virtual MessageLimits message_limits() { return {}; }
  // How many bytes of AttemptOptions::early_data the establishment already sent (TCP
  // Fast Open: in the SYN, or right after the handshake when there was no cookie).
  virtual std::size_t early_data_sent() const { return 0; }
  // A multistreaming stack (QUIC): the connection that carries this stream, which core's
  // connection group drives, and the stream's number in it. Other stacks: none.
  virtual std::shared_ptr<StreamSession> session() const { return nullptr; }
  virtual std::optional<std::int64_t> stream_id() const { return std::nullopt; }
  // What the stack measured (Connection::statistics); none where it tells nothing.
  virtual std::optional<TransportStatistics> statistics() const { return std::nullopt; }

  // The _taps descriptor actions (Connection::send_from, receive_into): bytes between
  // the stream and a local descriptor that never pass through user space. A stack that
  // can move them for this kind of descriptor says so; the others keep these defaults.
  // A send_from item in the send queue has its source_fd set.
  virtual bool can_send_from(int /*fd*/) const { return false; }
  virtual bool can_receive_into(int /*fd*/) const { return false; }
  // From now on what arrives goes to `fd`, after `already_received` (what the sink had
  // buffered). The peer's end is reported by on_end_of_stream, as always.
  virtual void receive_into(int /*fd*/, std::vector<std::uint8_t> /*already_received*/) {}
  virtual std::uint64_t bytes_received_into() const { return 0; }

  // "tcp", "udp", "tls/tcp": the stack as the API names it.
  std::string_view stack() const noexcept { return stack_; }
  const std::string& remote_endpoint() const noexcept { return remote_; }
  const std::string& local_endpoint() const noexcept { return local_; }

 protected:
  explicit Transport(std::string_view stack) : stack_(stack) {}
  virtual void start_reading() = 0;
  // For error texts: the remote endpoint, or "the peer" when a reset came before we
  // could learn its address.
  std::string peer_name() const { return remote_.empty() ? std::string("the peer") : remote_; }
  // Notes both ends of a socket for remote_endpoint() and local_endpoint(); an end the
  // kernel no longer knows (a reset came first) stays empty.
  template <class Socket>
  void note_endpoints(const Socket& socket) {
    std::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (!ec) remote_ = endpoint_string(remote);
    auto local = socket.local_endpoint(ec);
    if (!ec) local_ = endpoint_string(local);
  }

  std::weak_ptr<TransportSink> sink_;
  std::string remote_, local_;

 private:
  std::string_view stack_;
};

}  // namespace taps::detail
