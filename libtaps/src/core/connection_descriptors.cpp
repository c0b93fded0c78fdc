// The _taps descriptor actions of a Connection (send_from, receive_into): core checks
// that the Connection is a plain byte stream and queues; the transport moves the bytes.
#include <fmt/format.h>

#include "core/connection_impl.hpp"

namespace taps::detail {

std::optional<Error> ConnectionImpl::descriptor_refusal(std::string_view action) const {
  // A received Connection has its transport (and may use these) in connection_received,
  // before it is established; an initiated one only once ready.
  if (!transport_ || state_ == ConnectionState::closing || state_ == ConnectionState::closed || close_requested_) {
    return make_error(errc::connection_closed, fmt::format("{}: the connection is not ready, or closing", action));
  }
  if (!byte_stream()) return make_error(errc::not_supported, fmt::format("{}: only on a byte stream without framers", action));
  return std::nullopt;
}

Result<MessageId> ConnectionImpl::send_from(int fd, MessageContext ctx) {
  if (auto refused = descriptor_refusal("send_from")) return *refused;
  if (final_queued_) return make_error(errc::connection_closed, "send_from: a final message was already sent");
  if (!transport_->can_send_from(fd)) {
    return make_error(errc::not_supported,
                      fmt::format("send_from: {} cannot send this descriptor without a copy (a pipe or a regular file "
                                  "over plain TCP can)",
                                  stack_));
  }
  ctx.id = next_id_++;
  final_queued_ = ctx.final;
  auto id = ctx.id;
  Outgoing out{Message{}, std::move(ctx)};
  out.source_fd = fd;
  if (state_ == ConnectionState::establishing) {
    held_descriptors_.push_back(std::move(out));
  } else {
    queue_descriptor(std::move(out));
  }
  return id;
}

void ConnectionImpl::queue_descriptor(Outgoing out) {
  // The descriptor's bytes follow every message sent before it, so those are framed now
  // (on a byte stream without framers, framing is appending) instead of when the
  // transport asks: messages sent later wait behind the descriptor in queue_.
  while (queue_.has_next(!is_stream_)) frame(queue_.next(!is_stream_));
  outgoing_.push_back(std::move(out));
  ++unsettled_;
  start_writing();
}

std::optional<Error> ConnectionImpl::receive_into(int fd) {
  if (auto refused = descriptor_refusal("receive_into")) return refused;
  if (receiving_into_ || end_delivered_) return make_error(errc::connection_closed, "receive_into: the stream's end is already taken");
  if (!receives_.empty()) return make_error(errc::invalid_configuration, "receive_into: receive() calls are pending");
  if (!transport_->can_receive_into(fd)) {
    return make_error(errc::not_supported,
                      fmt::format("receive_into: {} cannot write into this descriptor without a copy (a pipe over "
                                  "plain TCP can)",
                                  stack_));
  }
  receiving_into_ = true;
  std::vector<std::uint8_t> buffered;
  buffered.reserve(inbound_bytes_);
  for (const auto& in : inbound_) buffered.insert(buffered.end(), in.message.data(), in.message.data() + in.message.size());
  inbound_.clear();
  inbound_bytes_ = 0;
  transport_->receive_into(fd, std::move(buffered));
  return std::nullopt;
}

void ConnectionImpl::on_receive_into_failed(Error error) {
  post_event([error = std::move(error)](ConnectionHandlers& h) {
    if (h.receive_error) h.receive_error(error);
  });
}

}  // namespace taps::detail
