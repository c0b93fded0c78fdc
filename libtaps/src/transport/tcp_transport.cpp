#include "transport/tcp_transport.hpp"

#include <asio/write.hpp>

#include "transport/address.hpp"
#include "transport/socket_error.hpp"

namespace taps::detail {
namespace {

// Big enough that a bulk transfer costs few system calls (socat's default is 8 KiB,
// which is why it trails iperf); small enough to keep memory per connection low.
constexpr std::size_t read_chunk = 256 * 1024;
constexpr std::size_t max_batch_bytes = 4 * 1024 * 1024;
constexpr std::size_t max_batch_messages = 64;

}  // namespace

TcpTransport::TcpTransport(asio::ip::tcp::socket socket) : Transport("tcp"), socket_(std::move(socket)) {
  note_endpoints(socket_);
}

void TcpTransport::start_reading() {
  read_buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(read_chunk);
  read();
}

void TcpTransport::read() {
  auto sink = sink_.lock();
  if (!sink || reading_ || eof_ || !socket_.is_open() || sink->receive_buffer_full()) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_.get(), read_chunk), [self = shared_from_this(), sink](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (ec == asio::error::eof) {
      self->eof_ = true;
      sink->on_end_of_stream();
      return;
    }
    if (ec) {
      sink->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
      return;
    }
    const auto* begin = self->read_buffer_.get();
    sink->on_data(Message(std::vector<std::uint8_t>(begin, begin + n)), {});
    self->read();
  });
}

void TcpTransport::resume_reading() { read(); }

void TcpTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink || writing_ || !socket_.is_open()) return;
  sink->expire_outgoing();
  std::vector<asio::const_buffer> buffers;
  std::size_t bytes = 0;
  bool final = false;
  while (sink->has_outgoing() && !final && in_flight_.size() < max_batch_messages && bytes < max_batch_bytes) {
    in_flight_.push_back(sink->pop_outgoing());
    const auto& m = in_flight_.back().message;
    if (!m.empty()) buffers.emplace_back(m.data(), m.size());
    bytes += m.size();
    final = in_flight_.back().ctx.final;
  }
  if (in_flight_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, buffers, [self = shared_from_this(), sink, final](std::error_code ec, std::size_t) {
    self->writing_ = false;
    auto done = std::move(self->in_flight_);
    self->in_flight_.clear();
    // Shut down meanwhile (abort, or a framer refused this race's winner): report nothing.
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (ec) {
      auto error = socket_error(ec, "send to " + self->peer_name());
      for (auto& out : done) sink->on_send_failed(std::move(out), error);
      sink->on_transport_error(error);
      return;
    }
    for (auto& out : done) sink->on_sent(std::move(out));
    if (final) {
      std::error_code ignored;  // a peer that already reset us is reported by the reader
      self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      sink->on_final_sent();
      return;
    }
    if (sink->has_outgoing()) self->start_writing();
  });
}

void close_tcp_socket(asio::ip::tcp::socket& socket, bool graceful) {
  if (!socket.is_open()) return;
  std::error_code ignored;
  if (!graceful) socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

void TcpTransport::shutdown(bool graceful) { close_tcp_socket(socket_, graceful); }

void TcpTransport::apply_properties(const ConnectionProperties& props, bool keep_alive) {
  if (socket_.is_open()) apply_socket_options(socket_.native_handle(), wanted_options(props, keep_alive, true), options_);
}

}  // namespace taps::detail
