#include "transport/tcp_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

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

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, std::size_t early_data_sent)
    : Transport("tcp"), socket_(std::move(socket)), early_data_sent_(early_data_sent) {
  note_endpoints(socket_);
}

void TcpTransport::start_reading() {
  read_buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(read_chunk);
  read();
}

void TcpTransport::read() {
  auto sink = sink_.lock();
  if (!sink || reading_ || into_ || !socket_.is_open()) return;
  if (into_fd_ != -1) return start_receive_into(sink, std::move(into_already_));
  if (eof_ || sink->receive_buffer_full()) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_.get(), read_chunk), [self = shared_from_this(), sink](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (self->into_fd_ != -1 && (!ec || ec == asio::error::eof)) {
      // receive_into came while this read was under way: its bytes go first.
      const auto* begin = self->read_buffer_.get();
      self->into_already_.insert(self->into_already_.end(), begin, begin + n);
      self->read();
      return;
    }
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

bool TcpTransport::can_send_from(int fd) const { return descriptor_kind(fd) != DescriptorKind::other; }

bool TcpTransport::can_receive_into(int fd) const { return descriptor_kind(fd) == DescriptorKind::pipe; }

void TcpTransport::receive_into(int fd, std::vector<std::uint8_t> already_received) {
  into_fd_ = fd;
  into_already_ = std::move(already_received);
  read();  // starts now, or once the read under way has ended
}

// The socket's end (FIN, also one read before the transfer began) ends the transfer:
// a socket at its end reads 0 again.
void TcpTransport::start_receive_into(const std::shared_ptr<TransportSink>& sink, std::vector<std::uint8_t> already_read) {
  int fd = std::exchange(into_fd_, -1);
  into_ = SocketToPipe::start(socket_, fd, std::move(already_read), [self = shared_from_this(), sink](std::error_code ec, bool pipe_failed) {
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (!ec) {
      self->eof_ = true;
      sink->on_end_of_stream();
    } else if (pipe_failed) {
      sink->on_receive_into_failed(Error{ec, "cannot write what was received: " + ec.message()});
    } else {
      sink->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
    }
  });
}

void TcpTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink || writing_ || !socket_.is_open()) return;
  if (from_descriptor_) return send_from_descriptor(sink);
  sink->expire_outgoing();
  std::vector<asio::const_buffer> buffers;
  std::size_t bytes = 0;
  bool final = false;
  while (sink->has_outgoing() && !final && in_flight_.size() < max_batch_messages && bytes < max_batch_bytes) {
    auto out = sink->pop_outgoing();
    if (out.source_fd != -1) {
      from_descriptor_ = std::move(out);  // after the messages before it
      break;
    }
    in_flight_.push_back(std::move(out));
    const auto& m = in_flight_.back().message;
    if (!m.empty()) buffers.emplace_back(m.data(), m.size());
    bytes += m.size();
    final = in_flight_.back().ctx.final;
  }
  if (in_flight_.empty()) {
    if (from_descriptor_) send_from_descriptor(sink);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, buffers, [self = shared_from_this(), sink, final](std::error_code ec, std::size_t) {
    self->written(sink, ec, final);
  });
}

void TcpTransport::written(const std::shared_ptr<TransportSink>& sink, std::error_code ec, bool final) {
  writing_ = false;
  auto done = std::move(in_flight_);
  in_flight_.clear();
  // Shut down meanwhile (abort, or a framer refused this race's winner): report nothing.
  if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
  if (ec) {
    auto error = socket_error(ec, "send to " + peer_name());
    for (auto& out : done) sink->on_send_failed(std::move(out), error);
    if (from_descriptor_) sink->on_send_failed(*std::exchange(from_descriptor_, std::nullopt), error);
    sink->on_transport_error(error);
    return;
  }
  for (auto& out : done) sink->on_sent(std::move(out));
  after_sent(*sink, final);
}

void TcpTransport::after_sent(TransportSink& sink, bool final) {
  if (final) {
    std::error_code ignored;  // a peer that already reset us is reported by the reader
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    sink.on_final_sent();
    return;
  }
  if (from_descriptor_ || sink.has_outgoing()) start_writing();
}

void TcpTransport::send_from_descriptor(const std::shared_ptr<TransportSink>& sink) {
  writing_ = true;
  sending_ = DescriptorToSocket::start(socket_, from_descriptor_->source_fd, [self = shared_from_this(), sink](std::error_code ec, std::uint64_t bytes) {
    self->writing_ = false;
    self->sending_.reset();
    auto out = std::move(*std::exchange(self->from_descriptor_, std::nullopt));
    out.source_bytes = bytes;
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (ec) {
      auto error = socket_error(ec, "send to " + self->peer_name());
      sink->on_send_failed(std::move(out), error);
      sink->on_transport_error(error);
      return;
    }
    bool final = out.ctx.final;
    sink->on_sent(std::move(out));
    self->after_sent(*sink, final);
  });
}

void close_tcp_socket(asio::ip::tcp::socket& socket, bool graceful) {
  if (!socket.is_open()) return;
  std::error_code ignored;
  if (!graceful) socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

void TcpTransport::shutdown(bool graceful) {
  if (sending_) sending_->cancel();
  if (into_) into_->cancel();
  close_tcp_socket(socket_, graceful);
}

void TcpTransport::apply_properties(const ConnectionProperties& props, bool keep_alive) {
  if (socket_.is_open()) apply_socket_options(socket_.native_handle(), wanted_options(props, keep_alive, true), options_);
}

}  // namespace taps::detail
