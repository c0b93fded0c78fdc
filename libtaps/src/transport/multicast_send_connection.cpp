#include "transport/multicast_send_connection.hpp"

#include <cerrno>
#include <string>

#include "transport/address.hpp"
#include "transport/socket_error.hpp"
#include "transport/udp_connection.hpp"

namespace taps::detail {
namespace {

// Datagrams per sendmmsg: past a few dozen the system call's own cost is noise.
constexpr std::size_t batch_size = 64;

}  // namespace

MulticastSendConnection::MulticastSendConnection(asio::io_context& io, ConnectionHandlers handlers)
    : ConnectionImpl(io, std::move(handlers), false), socket_(io), headers_(batch_size), iovecs_(batch_size) {
  stack_ = "udp";
}

void MulticastSendConnection::adopt(asio::ip::udp::socket socket) {
  socket_ = std::move(socket);
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ = endpoint_string(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_ = endpoint_string(local);
  socket_.non_blocking(true, ec);
}

// Sends queued in the same handler as this one go out in the same batch.
void MulticastSendConnection::start_writing() {
  if (flush_posted_ || waiting_ || !socket_.is_open()) return;
  flush_posted_ = true;
  asio::post(io_, [self = std::static_pointer_cast<MulticastSendConnection>(shared_from_this())] {
    self->flush_posted_ = false;
    self->flush();
  });
}

bool MulticastSendConnection::fill_pending() {
  expire_outgoing();
  while (pending_.size() < batch_size && has_outgoing()) {
    auto out = pop_outgoing();
    if (out.message.size() > max_udp_payload) {
      on_send_failed(std::move(out), make_error(errc::message_too_large,
                                                "message of " + std::to_string(out.message.size()) +
                                                    " bytes exceeds the UDP maximum of 65507"));
      continue;
    }
    pending_.push_back(std::move(out));
  }
  return !pending_.empty();
}

void MulticastSendConnection::flush() {
  while (!waiting_ && socket_.is_open() && fill_pending()) {
    // A final message without bytes marks the end of sending; there is nothing to send for it.
    std::size_t count = 0;
    while (count < pending_.size() && !(pending_[count].message.empty() && pending_[count].ctx.final)) {
      auto& m = pending_[count].message;
      iovecs_[count] = {const_cast<std::uint8_t*>(m.data()), m.size()};
      headers_[count] = {};
      headers_[count].msg_hdr.msg_iov = &iovecs_[count];
      headers_[count].msg_hdr.msg_iovlen = 1;
      ++count;
    }
    if (count == 0) {
      on_sent(std::move(pending_.front()));
      pending_.pop_front();
      on_final_sent();
      continue;
    }
    int n = ::sendmmsg(socket_.native_handle(), headers_.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        wait_writable();
        return;
      }
      // The first datagram failed (a firewall, no route): it alone fails, as a
      // sendto() of it would; the next ones get their own try.
      std::error_code ec(errno, std::system_category());
      auto out = std::move(pending_.front());
      pending_.pop_front();
      on_send_failed(std::move(out), socket_error(ec, "send to " + remote_));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      auto out = std::move(pending_.front());
      pending_.pop_front();
      bool final = out.ctx.final;
      on_sent(std::move(out));
      if (final) on_final_sent();
    }
  }
}

void MulticastSendConnection::wait_writable() {
  waiting_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = std::static_pointer_cast<MulticastSendConnection>(shared_from_this())](std::error_code ec) {
                       self->waiting_ = false;
                       if (ec || !self->socket_.is_open()) return;
                       self->flush();
                     });
}

void MulticastSendConnection::shutdown_transport(bool) {
  pending_.clear();
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace taps::detail
