// The state a Connection has whatever its stack: handlers, event posting, the
// framers, the send queue and the bounded receive queue. A Transport moves the bytes
// (TCP, UDP, TLS) and reports back through the TransportSink this implements.
//
//   establishing --transport up, framers ready--> established --close() or final
//        |                                            |       both ways--> closing --> closed
//        +--all candidates failed--> closed           +--error/abort--> closed (connection_error)
#pragma once

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taps/connection.hpp"
#include "core/connection_group.hpp"
#include "core/send_queue.hpp"
#include "taps/framer.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

class FramerHost;

enum class ConnectionState { establishing, established, closing, closed };

// How much received data may wait for receive() before reading pauses: bytes, and
// messages (many tiny messages cost more than their bytes).
inline constexpr std::size_t receive_buffer_limit = 1 << 20;
inline constexpr std::size_t receive_message_limit = 16384;
// Unfinished received messages (a framer waiting for the rest of a 16 MiB message, say)
// may hold this much per Connection freely; beyond it, bytes count against one budget
// for the whole process, and the Connection that would exceed it fails.
inline constexpr std::size_t unfinished_free_per_connection = 1 << 20;
inline constexpr std::size_t unfinished_budget = 256u << 20;
// How long close() waits for the peer to finish its side before it aborts.
inline constexpr std::chrono::seconds close_linger_limit{30};

class ConnectionImpl final : public TransportSink, public std::enable_shared_from_this<ConnectionImpl> {
 public:
  // `stack` names the stack until a transport is adopted ("tls/tcp" while racing).
  ConnectionImpl(asio::io_context& io, ConnectionHandlers handlers, bool is_stream, std::string_view stack);
  ~ConnectionImpl();
  ConnectionImpl(const ConnectionImpl&) = delete;
  ConnectionImpl& operator=(const ConnectionImpl&) = delete;

  // The API actions (see connection.hpp).
  MessageId send(Message message, MessageContext ctx, bool end_of_message);
  // InitiateWithSend's message: sent before anything sent later.
  MessageId send_first(Message message, MessageContext ctx);
  void receive(std::size_t min_incomplete, std::size_t max_length);
  void close();
  void abort();
  Result<MessageId> send_from(int fd, MessageContext ctx);
  std::optional<Error> receive_into(int fd);
  std::uint64_t bytes_sent_from_descriptors() const noexcept { return bytes_sent_from_; }
  std::uint64_t bytes_received_into_descriptor() const noexcept {
    return transport_ ? transport_->bytes_received_into() : 0;
  }

  const std::string& remote_endpoint() const noexcept { return remote_; }
  const std::string& local_endpoint() const noexcept { return local_; }
  const std::string& stack() const noexcept { return stack_; }
  std::optional<TlsInfo> tls_info() const { return transport_ ? transport_->tls_info() : std::nullopt; }
  std::optional<std::int64_t> stream_id() const { return transport_ ? transport_->stream_id() : std::nullopt; }
  std::optional<TransportStatistics> statistics() const {
    return transport_ ? transport_->statistics() : std::nullopt;
  }

  // Takes the transport that carries this Connection (the race's winner, or what a
  // Listener accepted) and starts it. Called again when the race resumes after a
  // framer refused the first winner: the old transport is shut down by then.
  void adopt(std::shared_ptr<Transport> transport);

  // The framers every transport this Connection gets will run (fresh instances each).
  void set_framers(std::vector<FramerSpec> framers) { framer_specs_ = std::move(framers); }

  // A send-only Connection (multicast send) answers every receive() with this
  // receive_error instead of waiting for data that will never come.
  void set_send_only(std::string reason) { send_only_reason_ = std::move(reason); }

  // The group and the properties (connection_impl_properties.cpp). Whoever makes a
  // ConnectionImpl has it join a group at once, before anything else.
  void join(std::shared_ptr<ConnectionGroup> group);
  const std::shared_ptr<ConnectionGroup>& group() const noexcept { return group_; }
  std::optional<Error> set_property(std::string_view name, const PropertyValue& value);
  // Clone (connection.hpp): the new Connection, or an empty one and clone_error posted.
  Connection clone(ConnectionHandlers handlers, std::optional<FramerSpec> framer,
                   std::optional<TransportProperties> properties);
  // A new member of this group on another stream of this Connection's QUIC connection,
  // with this one's framers unless `framer` replaces them; not started for the
  // application yet (establishment_succeeded or established_by_listener does that).
  std::shared_ptr<ConnectionImpl> sibling(std::shared_ptr<Transport> stream, ConnectionHandlers handlers,
                                          std::optional<FramerSpec> framer);
  // A stream the peer opened in this group, offered to this Connection's stream_received:
  // false when it has none or is closed (the group then asks the next member).
  bool take_peer_stream(const std::shared_ptr<Transport>& stream);
  std::vector<Property> properties() const;
  // Puts the group's properties into the transport's socket (after a change).
  void apply_properties();
  bool closed() const noexcept { return state_ == ConnectionState::closed; }

  // For Listeners: the transport arrived connected; events start now (ready is not
  // delivered: connection_received stands for it).
  void established_by_listener(ConnectionHandlers handlers);

  // For the racer, once the winner's transport is adopted: starts the framers,
  // then delivers ready.
  void establishment_succeeded();
  void establishment_failed(Error error);
  void post_race_event(RaceEvent event);
  // Set while a race runs: abort() calls it to cancel every attempt.
  std::function<void()> cancel_establishment;
  // Set while a race runs: a framer failed before ready on the adopted transport; the
  // racer goes on with the next candidate or reports the establishment error.
  std::function<void(Error)> continue_race;
  // Set while a race runs: the winner is ready for the application (its framers too);
  // the racer reports its `ready` event only then.
  std::function<void()> confirm_race;
  // Established by Rendezvous: the application hears rendezvous_done, not ready.
  bool rendezvous = false;

 private:
  // TransportSink: the transport's view of this Connection.
  bool has_outgoing() override;
  Outgoing pop_outgoing() override;
  void expire_outgoing() override;
  bool receive_buffer_full() const noexcept override {
    return inbound_bytes_ >= receive_buffer_limit || inbound_.size() >= receive_message_limit;
  }
  void on_data(Message data, MessageContext ctx) override;
  void on_end_of_stream() override;
  void on_sent(Outgoing&& out) override;
  void on_send_failed(Outgoing&& out, Error error) override;
  // Posts the events of the pieces that rode on `out`, then `event` for `out` itself.
  template <class Fn>
  void settle(Outgoing&& out, Fn event);
  void on_final_sent() override;
  void on_transport_error(Error error) override;
  void on_soft_error(Error error) override;
  void on_receive_into_failed(Error error) override;

  struct Inbound {
    Message message;
    MessageContext ctx;
    bool end_of_message;
  };
  struct ReceiveRequest {
    std::size_t min_incomplete, max_length;
  };

  template <class Fn>
  void post_event(Fn fn);
  void transport_up(bool deliver_ready);
  void watch_path();
  void application_ready(bool deliver_ready);
  void fill();
  void frame(std::vector<SendQueue::Piece> pieces);
  void frame_piece(Message bytes, MessageContext ctx, bool end_of_message);
  void queue_wire(Message bytes, MessageContext ctx);
  void framer_delivered(Message&& message, MessageContext&& ctx, bool end);
  void framer_failed(Error error);
  bool byte_stream() const noexcept { return is_stream_ && framer_specs_.empty(); }
  // Why the descriptor actions cannot run now (see Connection::send_from).
  std::optional<Error> descriptor_refusal(std::string_view action) const;
  MessageContext stream_context() const;
  void queue_descriptor(Outgoing out);
  void deliver_received();
  void deliver_byte_stream(const ReceiveRequest& req, MessageContext ctx);
  void maybe_finish();
  void finish(std::optional<Error> error);
  void start_writing();
  void resume_reading();
  void shutdown_transport(bool graceful);
  // Charges what the framers hold beyond the free allowance to the process budget;
  // false when the budget is used up.
  bool charge_unfinished();

  asio::io_context& io_;
  std::shared_ptr<ConnectionGroup> group_;
  std::int64_t conn_priority_ = 100;
  ConnectionHandlers handlers_;
  ConnectionState state_ = ConnectionState::establishing;
  std::string remote_, local_, stack_;
  std::shared_ptr<Transport> transport_;
  const bool is_stream_;
  std::vector<FramerSpec> framer_specs_;
  std::unique_ptr<FramerHost> framers_;
  MessageId next_id_ = 1;
  SendQueue queue_;                   // sent, not framed yet (also before ready)
  std::deque<Outgoing> held_descriptors_;  // send_from before ready
  bool stop_pending_ = false;         // close(): stop the framers and end the stream once the queue is empty
  // Partial sends: contexts of pieces a framer holds (their bytes are not out yet),
  // and, on datagrams, of pieces joined into a later datagram, by the message id
  // whose last piece carries them.
  std::vector<MessageContext> held_events_;
  std::map<MessageId, std::vector<MessageContext>> riders_;
  std::vector<std::pair<Message, MessageContext>> early_data_;  // arrived before the framers were started
  bool submitting_ = false;          // framing one message: its pieces are not complete yet
  std::deque<Outgoing> outgoing_;     // framed: the bytes the transport takes next
  std::size_t unsettled_ = 0;  // in outgoing_ or in flight: not yet sent, expired or failed
  bool final_queued_ = false;
  bool final_sent_ = false;
  bool close_requested_ = false;
  std::optional<std::string> send_only_reason_;
  std::deque<Inbound> inbound_;
  std::size_t inbound_bytes_ = 0;
  bool peer_ended_ = false;      // FIN read from the transport
  bool end_delivered_ = false;   // the application has seen the end of the stream
  std::optional<Error> deferred_error_;  // delivered once what arrived before it was received
  std::deque<ReceiveRequest> receives_;
  bool receiving_into_ = false;  // receive_into: the transport writes to a descriptor
  std::uint64_t bytes_sent_from_ = 0;
  bool terminal_posted_ = false;
  bool terminal_delivered_ = false;
  asio::steady_timer linger_timer_;
  std::shared_ptr<void> path_watch_;  // while established, if path_change is handled
  std::size_t charged_ = 0;  // bytes of the process budget this Connection holds
};

template <class Fn>
void ConnectionImpl::post_event(Fn fn) {
  asio::post(io_, [self = shared_from_this(), fn = std::move(fn)]() mutable {
    if (!self->terminal_delivered_) fn(self->handlers_);
  });
}

}  // namespace taps::detail
