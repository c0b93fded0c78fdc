#include "core/connection_impl.hpp"

#include <algorithm>
#include <cstring>

namespace taps::detail {

ConnectionImpl::ConnectionImpl(asio::io_context& io, ConnectionHandlers handlers, bool is_stream)
    : io_(io), handlers_(std::move(handlers)), is_stream_(is_stream) {}

MessageId ConnectionImpl::send(Message message, MessageContext ctx) {
  ctx.id = next_id_++;
  if (state_ == ConnectionState::closed || final_queued_ || close_requested_) {
    auto why = final_queued_ ? "a final message was already sent" : "the connection is closing";
    post_event([ctx, error = make_error(errc::connection_closed, why)](ConnectionHandlers& h) {
      if (h.send_error) h.send_error(ctx, error);
    });
    return ctx.id;
  }
  final_queued_ = ctx.final;
  auto id = ctx.id;
  outgoing_.push_back({std::move(message), std::move(ctx), std::chrono::steady_clock::now()});
  ++unsettled_;
  if (state_ == ConnectionState::established) start_writing();
  return id;
}

void ConnectionImpl::receive(std::size_t min_incomplete, std::size_t max_length) {
  if (state_ == ConnectionState::closed || close_requested_) {
    post_event([](ConnectionHandlers& h) {
      if (h.receive_error) h.receive_error(make_error(errc::connection_closed, "receive on a closed connection"));
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
  if (is_stream_ && !final_queued_) {
    final_queued_ = true;
    MessageContext internal;  // id 0: no sent event for the FIN that close() adds
    internal.final = true;
    outgoing_.push_back({Message{}, std::move(internal), std::chrono::steady_clock::now()});
    ++unsettled_;
  }
  if (was_full) resume_reading();
  if (has_outgoing()) start_writing();
  maybe_finish();
}

void ConnectionImpl::abort() {
  if (state_ == ConnectionState::closed) return;
  if (cancel_establishment) cancel_establishment();
  outgoing_.clear();
  shutdown_transport(false);
  finish(make_error(errc::connection_aborted, "connection aborted by the application"));
}

void ConnectionImpl::establishment_succeeded() {
  state_ = ConnectionState::established;
  cancel_establishment = nullptr;
  post_event([](ConnectionHandlers& h) {
    if (h.ready) h.ready();
  });
  if (close_requested_) {
    close_requested_ = false;
    close();
    return;
  }
  if (has_outgoing()) start_writing();
}

void ConnectionImpl::established_by_listener(ConnectionHandlers handlers) {
  handlers_ = std::move(handlers);
  state_ = ConnectionState::established;
  if (close_requested_) {
    close_requested_ = false;
    close();
    return;
  }
  deliver_received();
  if (has_outgoing()) start_writing();
}

void ConnectionImpl::establishment_failed(Error error) {
  cancel_establishment = nullptr;
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
  if (close_requested_) return;
  if (ctx.remote_endpoint.empty()) ctx.remote_endpoint = remote_;
  if (ctx.local_endpoint.empty()) ctx.local_endpoint = local_;
  inbound_bytes_ += data.size();
  inbound_.emplace_back(std::move(data), std::move(ctx));
  deliver_received();
}

void ConnectionImpl::on_end_of_stream() {
  peer_ended_ = true;
  deliver_received();
  maybe_finish();
}

void ConnectionImpl::on_sent(Outgoing&& out) {
  --unsettled_;
  if (out.ctx.id != 0) {
    post_event([ctx = std::move(out.ctx)](ConnectionHandlers& h) {
      if (h.sent) h.sent(ctx);
    });
  }
  if (close_requested_) maybe_finish();
}

void ConnectionImpl::on_send_failed(Outgoing&& out, Error error) {
  --unsettled_;
  if (out.ctx.id != 0) {
    post_event([ctx = std::move(out.ctx), error = std::move(error)](ConnectionHandlers& h) {
      if (h.send_error) h.send_error(ctx, error);
    });
  }
  if (close_requested_) maybe_finish();
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

void ConnectionImpl::on_transport_closed() { finish(std::nullopt); }

void ConnectionImpl::on_soft_error(Error error) {
  post_event([error = std::move(error)](ConnectionHandlers& h) {
    if (h.soft_error) h.soft_error(error);
  });
}

ConnectionImpl::Outgoing ConnectionImpl::pop_outgoing() {
  Outgoing out = std::move(outgoing_.front());
  outgoing_.pop_front();
  return out;
}

void ConnectionImpl::expire_outgoing() {
  auto now = std::chrono::steady_clock::now();
  while (!outgoing_.empty()) {
    auto& front = outgoing_.front();
    if (!front.ctx.msg_lifetime || front.queued_at + *front.ctx.msg_lifetime >= now) return;
    post_event([ctx = std::move(front.ctx)](ConnectionHandlers& h) {
      if (h.expired) h.expired(ctx);
    });
    outgoing_.pop_front();
    --unsettled_;
  }
}

// Serves queued receive() calls from the inbound queue, in order. A byte stream
// without a framer is one message per direction: chunks arrive as received_partial,
// the last one with end_of_message once the peer's FIN has been read.
void ConnectionImpl::deliver_received() {
  if (state_ == ConnectionState::establishing) return;
  bool was_full = receive_buffer_full();
  while (!receives_.empty()) {
    auto req = receives_.front();
    MessageContext ctx;
    ctx.remote_endpoint = remote_;
    ctx.local_endpoint = local_;
    if (inbound_.empty()) {
      if (!peer_ended_) break;
      receives_.pop_front();
      if (end_delivered_ || !is_stream_) {
        post_event([](ConnectionHandlers& h) {
          if (h.receive_error) h.receive_error(make_error(errc::connection_closed, "the peer has ended the stream"));
        });
        continue;
      }
      end_delivered_ = true;
      ctx.final = true;
      post_event([ctx = std::move(ctx)](ConnectionHandlers& h) mutable {
        if (h.received_partial) h.received_partial(Message{}, std::move(ctx), true);
      });
      continue;
    }
    if (is_stream_ && inbound_bytes_ < req.min_incomplete && !peer_ended_) break;
    receives_.pop_front();

    auto& [front, front_ctx] = inbound_.front();
    Message out;
    bool whole_datagram = !is_stream_ && front.size() <= req.max_length;
    if (front.size() <= req.max_length && (!is_stream_ || front.size() >= req.min_incomplete || inbound_.size() == 1)) {
      out = std::move(front);
      if (!is_stream_) ctx = std::move(front_ctx);
      inbound_.pop_front();
    } else {
      // Gather up to max_length bytes across chunks; split the last one.
      auto& bytes = out.bytes();
      while (!inbound_.empty() && bytes.size() < req.max_length) {
        auto& chunk = inbound_.front().first.bytes();
        std::size_t take = std::min(chunk.size(), req.max_length - bytes.size());
        bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
        if (!is_stream_) ctx = inbound_.front().second;
        if (take == chunk.size()) {
          inbound_.pop_front();
        } else {
          chunk.erase(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
        }
        if (!is_stream_) break;
      }
    }
    inbound_bytes_ -= out.size();
    if (whole_datagram) {
      post_event([out = std::move(out), ctx = std::move(ctx)](ConnectionHandlers& h) mutable {
        if (h.received) h.received(std::move(out), std::move(ctx));
      });
      continue;
    }
    bool end = is_stream_ && peer_ended_ && inbound_.empty();
    if (end) {
      end_delivered_ = true;
      ctx.final = true;
    }
    post_event([out = std::move(out), ctx = std::move(ctx), end](ConnectionHandlers& h) mutable {
      if (h.received_partial) h.received_partial(std::move(out), std::move(ctx), end);
    });
  }
  if (was_full && !receive_buffer_full()) resume_reading();
  maybe_finish();
}

// A stream is done when our FIN is out and the peer's end has reached the
// application (or, after close(), when the peer's FIN arrived). A datagram flow is
// done when close() was called and every queued datagram went out.
void ConnectionImpl::maybe_finish() {
  if (state_ == ConnectionState::closed || state_ == ConnectionState::establishing) return;
  bool done = is_stream_ ? final_sent_ && (end_delivered_ || (close_requested_ && peer_ended_))
                         : close_requested_ && unsettled_ == 0;
  if (!done) return;
  shutdown_transport(true);
  finish(std::nullopt);
}

void ConnectionImpl::finish(std::optional<Error> error) {
  if (terminal_posted_) return;
  terminal_posted_ = true;
  state_ = ConnectionState::closed;
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
