#include "core/connection_impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "core/path_monitor.hpp"
#include "framing/framer_host.hpp"

namespace taps::detail {

ConnectionImpl::ConnectionImpl(asio::io_context& io, ConnectionHandlers handlers, bool is_stream,
                               std::string_view stack)
    : io_(io), handlers_(std::move(handlers)), stack_(stack), is_stream_(is_stream), linger_timer_(io) {}

namespace {
// One budget for every Connection of the process (Contexts may run on several threads).
std::atomic<std::size_t> unfinished_charged{0};
}  // namespace

ConnectionImpl::~ConnectionImpl() { unfinished_charged -= charged_; }

MessageId ConnectionImpl::send(Message message, MessageContext ctx, bool end_of_message) {
  auto open = queue_.open_message();
  bool continues = open && ctx.id == *open;
  if (!continues) ctx.id = next_id_++;
  auto refuse = [this](MessageContext ctx, Error error) {
    post_event([ctx = std::move(ctx), error = std::move(error)](ConnectionHandlers& h) {
      if (h.send_error) h.send_error(ctx, error);
    });
    return ctx.id;
  };
  // The rest of a message sent in parts may still come after close() or a final piece.
  if (state_ == ConnectionState::closed || (!continues && (final_queued_ || close_requested_))) {
    auto why = final_queued_ ? "a final message was already sent" : "the connection is closing";
    return refuse(std::move(ctx), make_error(errc::connection_closed, why));
  }
  if (!continues && ctx.msg_priority < 0) {
    auto why = "msgPriority " + std::to_string(ctx.msg_priority) + " is negative (RFC 9622 9.1.3.2: a non-negative integer)";
    return refuse(std::move(ctx), make_error(errc::invalid_configuration, std::move(why)));
  }
  if (!continues && open && !end_of_message) {
    auto why = fmt::format("message {} sent in parts is still open: send its last piece (end_of_message) first", *open);
    return refuse(std::move(ctx), make_error(errc::invalid_configuration, std::move(why)));
  }
  final_queued_ = final_queued_ || ctx.final;
  auto id = ctx.id;
  if (continues) {
    queue_.append(std::move(message), std::move(ctx), end_of_message);
  } else {
    // The clock is read only for a message that can expire: a per-message cost otherwise.
    auto now = ctx.msg_lifetime ? std::chrono::steady_clock::now() : SendQueue::TimePoint{};
    queue_.push(std::move(message), std::move(ctx), end_of_message, now);
  }
  if (state_ == ConnectionState::established || state_ == ConnectionState::closing) start_writing();
  return id;
}

MessageId ConnectionImpl::send_first(Message message, MessageContext ctx) {
  auto id = send(std::move(message), std::move(ctx), true);
  queue_.pin_front(id);
  return id;
}

bool ConnectionImpl::has_outgoing() {
  fill();
  return !outgoing_.empty();
}

// Frames queued messages when the transport has taken every framed byte: framing
// happens in the order messages go out, just before the transport takes them, so
// msgPriority decides among everything sent while the transport was busy.
void ConnectionImpl::fill() {
  if (!outgoing_.empty() || submitting_) return;
  if (state_ != ConnectionState::established && state_ != ConnectionState::closing) return;
  submitting_ = true;
  while (outgoing_.empty() && queue_.has_next(!is_stream_) && !(framers_ && framers_->failed())) {
    frame(queue_.next(!is_stream_));
  }
  if (outgoing_.empty() && queue_.empty() && stop_pending_) {
    // close(): the framers' trailers and the end of the stream follow every queued message.
    stop_pending_ = false;
    if (framers_) framers_->stop();
    if (is_stream_ && !final_queued_) {
      final_queued_ = true;
      MessageContext internal;  // id 0: no sent event for the FIN that close() adds
      internal.final = true;
      queue_wire(Message{}, std::move(internal));
    }
  }
  submitting_ = false;
}

void ConnectionImpl::frame(std::vector<SendQueue::Piece> pieces) {
  if (!is_stream_ && pieces.size() > 1) {
    // A message sent in parts is one datagram: the earlier pieces' events ride on it.
    Message joined;
    for (auto& p : pieces) joined.bytes().insert(joined.bytes().end(), p.bytes.bytes().begin(), p.bytes.bytes().end());
    auto& last = pieces.back();
    auto& riders = riders_[last.ctx.id];
    for (std::size_t i = 0; i + 1 < pieces.size(); ++i) riders.push_back(std::move(pieces[i].ctx));
    frame_piece(std::move(joined), std::move(last.ctx), true);
    return;
  }
  for (auto& p : pieces) frame_piece(std::move(p.bytes), std::move(p.ctx), p.end_of_message);
}

// Frames one message (or piece) into transport buffers. Its context rides on its last
// buffer, so that sent fires when its last byte is out. Lifetimes end here: a framed
// message cannot expire halfway through without corrupting the stream.
void ConnectionImpl::frame_piece(Message bytes, MessageContext ctx, bool end_of_message) {
  ctx.msg_lifetime.reset();
  bool only_ends_stream = bytes.empty() && ctx.final;
  if (!framers_ || only_ends_stream) {
    queue_wire(std::move(bytes), std::move(ctx));
    return;
  }
  auto before = outgoing_.size();
  framers_->send(std::move(bytes), ctx, end_of_message);
  if (framers_->failed()) return;
  if (outgoing_.size() == before && !end_of_message) {
    // The framer holds this piece (lp needs the whole length first): it is sent when
    // the bytes that hold it are.
    held_events_.push_back(std::move(ctx));
    return;
  }
  if (outgoing_.size() == before) queue_wire(Message{}, {});
  if (held_events_.empty()) {
    outgoing_.back().ctx = std::move(ctx);
    return;
  }
  auto held = std::move(held_events_);
  held_events_.clear();
  for (auto& h : held) queue_wire(Message{}, std::move(h));
  queue_wire(Message{}, std::move(ctx));
}

void ConnectionImpl::queue_wire(Message bytes, MessageContext ctx) {
  outgoing_.push_back({std::move(bytes), std::move(ctx)});
  ++unsettled_;
  if (!submitting_) start_writing();
}

void ConnectionImpl::receive(std::size_t min_incomplete, std::size_t max_length) {
  if (state_ == ConnectionState::closed || close_requested_) {
    post_event([](ConnectionHandlers& h) {
      if (h.receive_error) h.receive_error(make_error(errc::connection_closed, "receive on a closed connection"));
    });
    return;
  }
  if (send_only_reason_) {
    post_event([reason = *send_only_reason_](ConnectionHandlers& h) {
      if (h.receive_error) h.receive_error(make_error(errc::send_only, reason));
    });
    return;
  }
  if (receiving_into_) {
    post_event([](ConnectionHandlers& h) {
      if (h.receive_error) h.receive_error(make_error(errc::invalid_configuration, "receive_into has taken this stream"));
    });
    return;
  }
  receives_.push_back({std::max<std::size_t>(min_incomplete, 1), std::max<std::size_t>(max_length, 1)});
  deliver_received();
}

void ConnectionImpl::close() {
  if (state_ == ConnectionState::closed || close_requested_) return;
  close_requested_ = true;
  // Nobody will ask for what is buffered; dropping it lets reading run to the peer's FIN.
  bool was_full = receive_buffer_full();
  inbound_.clear();
  inbound_bytes_ = 0;
  if (state_ == ConnectionState::establishing) return;  // finished once the race is decided
  state_ = ConnectionState::closing;
  stop_pending_ = true;
  if (was_full) resume_reading();
  if (has_outgoing()) start_writing();
  maybe_finish();
  if (state_ == ConnectionState::closed) return;
  // A peer that never sends its FIN (or never reads our last bytes) would keep this
  // Connection, its socket and its buffers for ever.
  linger_timer_.expires_after(close_linger_limit);
  linger_timer_.async_wait([weak = std::weak_ptr<ConnectionImpl>(shared_from_this())](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ == ConnectionState::closed) return;
    self->outgoing_.clear();
    self->shutdown_transport(false);
    self->finish(Error{std::make_error_code(std::errc::timed_out),
                       fmt::format("the peer did not finish closing within {} s; connection aborted",
                                   close_linger_limit.count())});
  });
}

void ConnectionImpl::abort() {
  if (state_ == ConnectionState::closed) return;
  if (cancel_establishment) cancel_establishment();
  outgoing_.clear();
  queue_.clear();
  held_events_.clear();
  riders_.clear();
  shutdown_transport(false);
  finish(make_error(errc::connection_aborted, "connection aborted by the application"));
}

void ConnectionImpl::adopt(std::shared_ptr<Transport> transport) {
  transport_ = std::move(transport);
  // A socket reset at once cannot tell its endpoints: keep what an earlier one told.
  if (!transport_->remote_endpoint().empty()) remote_ = transport_->remote_endpoint();
  if (!transport_->local_endpoint().empty()) local_ = transport_->local_endpoint();
  stack_ = transport_->stack();
  // TCP Fast Open took the first bytes of InitiateWithSend's message (pinned first).
  if (auto sent = transport_->early_data_sent()) queue_.drop_sent_bytes(sent);
  if (auto session = transport_->session(); session && group_) group_->attach(session);
  apply_properties();
  transport_->start(weak_from_this());
}

void ConnectionImpl::start_writing() {
  if (transport_) transport_->start_writing();
}

void ConnectionImpl::resume_reading() {
  if (transport_) transport_->resume_reading();
}

void ConnectionImpl::shutdown_transport(bool graceful) {
  if (transport_) transport_->shutdown(graceful);
}

void ConnectionImpl::establishment_succeeded() { transport_up(true); }

void ConnectionImpl::established_by_listener(ConnectionHandlers handlers) {
  handlers_ = std::move(handlers);
  transport_up(false);
}

// The transport is connected. Framers (fresh instances) get their start; the
// application hears ready once the last of them is ready.
void ConnectionImpl::transport_up(bool deliver_ready) {
  if (framer_specs_.empty()) {
    application_ready(deliver_ready);
    return;
  }
  std::vector<std::unique_ptr<Framer>> instances;
  for (const auto& spec : framer_specs_) instances.push_back(spec.factory());
  std::weak_ptr<ConnectionImpl> weak = shared_from_this();
  FramerHost::Callbacks callbacks;
  callbacks.send = [weak](Message bytes) {
    if (auto self = weak.lock()) self->queue_wire(std::move(bytes), {});
  };
  callbacks.deliver = [weak](Message&& m, MessageContext&& ctx, bool end) {
    if (auto self = weak.lock()) self->framer_delivered(std::move(m), std::move(ctx), end);
  };
  callbacks.ready = [weak, deliver_ready] {
    if (auto self = weak.lock()) self->application_ready(deliver_ready);
  };
  callbacks.failed = [weak](Error e) {
    if (auto self = weak.lock()) self->framer_failed(std::move(e));
  };
  callbacks.schedule = [weak, &io = io_](std::function<void(FramerHost&)> fn) {
    asio::post(io, [weak, fn = std::move(fn)] {
      auto self = weak.lock();
      if (!self || !self->framers_ || self->state_ == ConnectionState::closed || self->close_requested_) return;
      fn(*self->framers_);
      self->deliver_received();
    });
  };
  framers_ = std::make_unique<FramerHost>(std::move(instances), std::move(callbacks), !is_stream_);
  framers_->start();
  auto early = std::move(early_data_);
  early_data_.clear();
  for (auto& [data, ctx] : early) {
    if (framers_ && !framers_->failed()) framers_->received(data.data(), data.size(), ctx);
  }
  if (peer_ended_) {
    on_end_of_stream();
  } else {
    deliver_received();
  }
}

void ConnectionImpl::application_ready(bool deliver_ready) {
  if (state_ != ConnectionState::establishing) return;
  state_ = ConnectionState::established;
  watch_path();
  if (confirm_race) confirm_race();
  cancel_establishment = nullptr;
  continue_race = nullptr;
  confirm_race = nullptr;
  if (deliver_ready) {
    post_event([rendezvous = rendezvous](ConnectionHandlers& h) {
      auto& handler = rendezvous ? h.rendezvous_done : h.ready;
      if (handler) handler();
    });
  }
  // Descriptor sends (send_from) made before ready, in order; messages wait in queue_.
  auto held = std::move(held_descriptors_);
  held_descriptors_.clear();
  for (auto& out : held) queue_descriptor(std::move(out));
  if (close_requested_) {
    close_requested_ = false;
    close();
    return;
  }
  start_writing();
  deliver_received();
}

void ConnectionImpl::watch_path() {
  if (!handlers_.path_change) return;
  std::error_code ec;
  auto colon = local_.rfind(':');
  if (colon == std::string::npos) return;
  auto host = local_.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto address = asio::ip::make_address(host, ec);
  if (ec) return;
  std::weak_ptr<ConnectionImpl> weak = shared_from_this();
  path_watch_ = asio::use_service<PathMonitor>(io_).watch(address, local_, [weak](const PathChange& change) {
    if (auto self = weak.lock()) {
      self->post_event([change](ConnectionHandlers& h) {
        if (h.path_change) h.path_change(change);
      });
    }
  });
}

void ConnectionImpl::establishment_failed(Error error) {
  cancel_establishment = nullptr;
  continue_race = nullptr;
  confirm_race = nullptr;
  if (terminal_posted_) return;
  terminal_posted_ = true;
  state_ = ConnectionState::closed;
  asio::post(io_, [self = shared_from_this(), error = std::move(error)] {
    if (self->terminal_delivered_) return;
    self->terminal_delivered_ = true;
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (h.establishment_error) h.establishment_error(error);
  });
}

void ConnectionImpl::post_race_event(RaceEvent event) {
  post_event([event = std::move(event)](ConnectionHandlers& h) {
    if (h.race) h.race(event);
  });
}

void ConnectionImpl::on_data(Message data, MessageContext ctx) {
  if (close_requested_ || deferred_error_) return;
  if (ctx.remote_endpoint.empty()) ctx.remote_endpoint = remote_;
  if (ctx.local_endpoint.empty()) ctx.local_endpoint = local_;
  if (!framer_specs_.empty()) {
    if (!framers_) {
      early_data_.emplace_back(std::move(data), std::move(ctx));
    } else {
      framers_->received(std::move(data), ctx);
      if (framers_ && !framers_->failed() && !charge_unfinished()) {
        framer_failed(make_error(errc::message_too_large,
                                 fmt::format("unfinished messages of all connections would exceed the memory budget of "
                                             "{} MiB; this one holds {} bytes",
                                             unfinished_budget >> 20, framers_->buffered())));
        return;
      }
      deliver_received();
    }
    return;
  }
  inbound_bytes_ += data.size();
  inbound_.push_back({std::move(data), std::move(ctx), true});
  deliver_received();
}

void ConnectionImpl::framer_delivered(Message&& message, MessageContext&& ctx, bool end) {
  if (ctx.remote_endpoint.empty()) ctx.remote_endpoint = remote_;
  if (ctx.local_endpoint.empty()) ctx.local_endpoint = local_;
  inbound_bytes_ += message.size();
  inbound_.push_back({std::move(message), std::move(ctx), end});
}

// Before ready, a failing framer costs only this candidate; after, the Connection
// ends, but only once the application has received what arrived before the error.
void ConnectionImpl::framer_failed(Error error) {
  // The host is on the call stack: it is released later, not here.
  asio::post(io_, [host = std::shared_ptr<FramerHost>(std::move(framers_))] {});
  if (state_ == ConnectionState::establishing && continue_race) {
    shutdown_transport(false);
    unsettled_ -= outgoing_.size();
    outgoing_.clear();
    inbound_.clear();
    inbound_bytes_ = 0;
    early_data_.clear();
    peer_ended_ = false;
    auto next = continue_race;
    next(std::move(error));
    return;
  }
  if (state_ == ConnectionState::establishing) {
    on_transport_error(std::move(error));
    return;
  }
  deferred_error_ = std::move(error);
  deliver_received();
}

void ConnectionImpl::on_end_of_stream() {
  peer_ended_ = true;
  if (receiving_into_) {
    // Every byte is in the descriptor: the application hears of the end only now.
    if (!end_delivered_) {
      end_delivered_ = true;
      auto ctx = stream_context();
      ctx.final = true;
      post_event([ctx = std::move(ctx)](ConnectionHandlers& h) mutable {
        if (h.received_partial) h.received_partial(Message{}, std::move(ctx), true);
      });
    }
    maybe_finish();
    return;
  }
  if (framers_ && !deferred_error_) {
    if (auto left = framers_->end_of_stream()) {
      deferred_error_ = make_error(errc::framing_error, "the peer ended the stream inside a message (" +
                                                            std::to_string(left) + " bytes unfinished)");
    }
  }
  deliver_received();
  maybe_finish();
}

template <class Fn>
void ConnectionImpl::settle(Outgoing&& out, Fn event) {
  --unsettled_;
  bytes_sent_from_ += out.source_bytes;
  if (out.ctx.id != 0) {
    // Only a datagram joined from pieces has riders: the common case skips the lookup.
    if (auto it = riders_.empty() ? riders_.end() : riders_.find(out.ctx.id); it != riders_.end()) {
      for (auto& ctx : it->second) event(std::move(ctx));
      riders_.erase(it);
    }
    event(std::move(out.ctx));
  }
  if (close_requested_) maybe_finish();
}

void ConnectionImpl::on_sent(Outgoing&& out) {
  settle(std::move(out), [this](MessageContext ctx) {
    post_event([ctx = std::move(ctx)](ConnectionHandlers& h) {
      if (h.sent) h.sent(ctx);
    });
  });
}

void ConnectionImpl::on_send_failed(Outgoing&& out, Error error) {
  settle(std::move(out), [this, &error](MessageContext ctx) {
    post_event([ctx = std::move(ctx), error](ConnectionHandlers& h) {
      if (h.send_error) h.send_error(ctx, error);
    });
  });
}

void ConnectionImpl::on_final_sent() {
  final_sent_ = true;
  maybe_finish();
}

void ConnectionImpl::on_transport_error(Error error) {
  if (state_ == ConnectionState::closed) return;
  outgoing_.clear();
  shutdown_transport(false);
  finish(std::move(error));
}

void ConnectionImpl::on_soft_error(Error error) {
  post_event([error = std::move(error)](ConnectionHandlers& h) {
    if (h.soft_error) h.soft_error(error);
  });
}

Outgoing ConnectionImpl::pop_outgoing() {
  Outgoing out = std::move(outgoing_.front());
  outgoing_.pop_front();
  return out;
}

void ConnectionImpl::expire_outgoing() {
  if (!queue_.may_expire()) return;
  for (auto& ctx : queue_.expire(std::chrono::steady_clock::now())) {
    post_event([ctx = std::move(ctx)](ConnectionHandlers& h) {
      if (h.expired) h.expired(ctx);
    });
  }
}

// Serves queued receive() calls from the inbound queue, in order.
void ConnectionImpl::deliver_received() {
  if (state_ == ConnectionState::establishing) return;
  bool was_full = receive_buffer_full();
  while (!receives_.empty()) {
    auto req = receives_.front();
    if (inbound_.empty()) {
      if (!peer_ended_ || deferred_error_) break;
      receives_.pop_front();
      if (end_delivered_ || !is_stream_) {
        post_event([](ConnectionHandlers& h) {
          if (h.receive_error) h.receive_error(make_error(errc::connection_closed, "the peer has ended the stream"));
        });
        continue;
      }
      // The end of a stream: an empty final message, also after framed messages.
      end_delivered_ = true;
      auto ctx = stream_context();
      ctx.final = true;
      post_event([ctx = std::move(ctx)](ConnectionHandlers& h) mutable {
        if (h.received_partial) h.received_partial(Message{}, std::move(ctx), true);
      });
      continue;
    }
    if (byte_stream()) {
      if (inbound_bytes_ < req.min_incomplete && !peer_ended_) break;
      receives_.pop_front();
      deliver_byte_stream(req, stream_context());
      continue;
    }
    receives_.pop_front();
    auto& front = inbound_.front();
    if (front.message.size() > req.max_length) {
      // A message larger than the application asked for arrives in parts.
      auto& bytes = front.message.bytes();
      Message part(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(req.max_length)));
      bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(req.max_length));
      inbound_bytes_ -= part.size();
      post_event([part = std::move(part), ctx = front.ctx](ConnectionHandlers& h) mutable {
        if (h.received_partial) h.received_partial(std::move(part), std::move(ctx), false);
      });
      continue;
    }
    inbound_bytes_ -= front.message.size();
    if (front.end_of_message) {
      post_event([m = std::move(front.message), ctx = std::move(front.ctx)](ConnectionHandlers& h) mutable {
        if (h.received) h.received(std::move(m), std::move(ctx));
      });
    } else {
      post_event([m = std::move(front.message), ctx = std::move(front.ctx)](ConnectionHandlers& h) mutable {
        if (h.received_partial) h.received_partial(std::move(m), std::move(ctx), false);
      });
    }
    inbound_.pop_front();
  }
  if (deferred_error_ && inbound_.empty()) {
    auto error = std::move(*deferred_error_);
    deferred_error_.reset();
    on_transport_error(std::move(error));
    return;
  }
  if (was_full && !receive_buffer_full()) resume_reading();
  maybe_finish();
}

MessageContext ConnectionImpl::stream_context() const {
  MessageContext ctx;
  ctx.remote_endpoint = remote_;
  ctx.local_endpoint = local_;
  return ctx;
}

// A byte stream without framers is one message per direction: chunks arrive as
// received_partial, the last one with end_of_message once the peer's FIN is read.
void ConnectionImpl::deliver_byte_stream(const ReceiveRequest& req, MessageContext ctx) {
  auto& front = inbound_.front().message;
  Message out;
  if (front.size() <= req.max_length && (front.size() >= req.min_incomplete || inbound_.size() == 1)) {
    out = std::move(front);
    inbound_.pop_front();
  } else {
    // Gather up to max_length bytes across chunks; split the last one.
    auto& bytes = out.bytes();
    while (!inbound_.empty() && bytes.size() < req.max_length) {
      auto& chunk = inbound_.front().message.bytes();
      std::size_t take = std::min(chunk.size(), req.max_length - bytes.size());
      bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
      if (take == chunk.size()) {
        inbound_.pop_front();
      } else {
        chunk.erase(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
      }
    }
  }
  inbound_bytes_ -= out.size();
  bool end = peer_ended_ && inbound_.empty();
  if (end) {
    end_delivered_ = true;
    ctx.final = true;
  }
  post_event([out = std::move(out), ctx = std::move(ctx), end](ConnectionHandlers& h) mutable {
    if (h.received_partial) h.received_partial(std::move(out), std::move(ctx), end);
  });
}

// A stream is done when our FIN is out and the peer's end has reached the
// application (or, after close() or on a send-only stream, when the peer's FIN arrived). A datagram flow is
// done when close() was called and every queued datagram went out.
void ConnectionImpl::maybe_finish() {
  if (state_ == ConnectionState::closed || state_ == ConnectionState::establishing) return;
  bool done = is_stream_ ? final_sent_ && (end_delivered_ || (peer_ended_ && (close_requested_ || send_only_reason_)))
                         : close_requested_ && unsettled_ == 0 && queue_.empty();
  if (!done) return;
  shutdown_transport(true);
  finish(std::nullopt);
}

bool ConnectionImpl::charge_unfinished() {
  std::size_t held = framers_ ? framers_->buffered() : 0;
  std::size_t want = held > unfinished_free_per_connection ? held - unfinished_free_per_connection : 0;
  if (want <= charged_) {
    unfinished_charged -= charged_ - want;
    charged_ = want;
    return true;
  }
  std::size_t more = want - charged_;
  if (unfinished_charged.fetch_add(more) + more > unfinished_budget) {
    unfinished_charged -= more;
    return false;
  }
  charged_ = want;
  return true;
}

void ConnectionImpl::finish(std::optional<Error> error) {
  if (charged_ > 0) {
    unfinished_charged -= charged_;
    charged_ = 0;
  }
  if (terminal_posted_) return;
  terminal_posted_ = true;
  cancel_establishment = nullptr;
  continue_race = nullptr;  // it holds the racer, which holds this Connection
  confirm_race = nullptr;
  state_ = ConnectionState::closed;
  linger_timer_.cancel();
  path_watch_.reset();
  asio::post(io_, [self = shared_from_this(), error = std::move(error)] {
    if (self->terminal_delivered_) return;
    self->terminal_delivered_ = true;
    // Handlers often hold the Connection: dropping them here breaks that cycle.
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (error) {
      if (h.connection_error) h.connection_error(*error);
    } else if (h.closed) {
      h.closed();
    }
  });
}

}  // namespace taps::detail
