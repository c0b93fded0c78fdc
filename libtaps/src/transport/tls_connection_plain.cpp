// A TlsConnection whose race was won by plain TCP (opportunistic security): the
// bytes move as they are, with TCP's end of stream as the end.
#include <asio/write.hpp>

#include "transport/socket_error.hpp"
#include "transport/tls_connection.hpp"

namespace taps::detail {
namespace {

constexpr std::size_t read_chunk = 256 * 1024;
constexpr std::size_t max_batch_messages = 64;

}  // namespace

void TlsConnection::read_plain() {
  if (reading_ || ended_ || !socket_.is_open() || receive_buffer_full()) return;
  reading_ = true;
  read_buffer_.resize(read_chunk);
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = std::static_pointer_cast<TlsConnection>(shared_from_this()), generation = generation_](
          std::error_code ec, std::size_t n) {
        if (generation != self->generation_) return;
        self->reading_ = false;
        if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
        if (ec == asio::error::eof) {
          self->ended_ = true;
          self->on_end_of_stream();
          return;
        }
        if (ec) {
          self->ended_ = true;
          self->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
          return;
        }
        const auto* begin = self->read_buffer_.data();
        self->on_data(Message(std::vector<std::uint8_t>(begin, begin + n)), {});
        self->read_plain();
      });
}

void TlsConnection::write_plain() {
  if (writing_ || !socket_.is_open()) return;
  expire_outgoing();
  std::vector<asio::const_buffer> buffers;
  bool final = false;
  while (has_outgoing() && !final && in_flight_.size() < max_batch_messages) {
    in_flight_.push_back(pop_outgoing());
    const auto& m = in_flight_.back().message;
    if (!m.empty()) buffers.emplace_back(m.data(), m.size());
    final = in_flight_.back().ctx.final;
  }
  if (in_flight_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, buffers,
                    [self = std::static_pointer_cast<TlsConnection>(shared_from_this()), final,
                     generation = generation_](std::error_code ec, std::size_t) {
                      if (generation == self->generation_) self->written(ec, final);
                    });
}

}  // namespace taps::detail
