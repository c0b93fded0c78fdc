#include "transport/udp_connection.hpp"

#include "transport/address.hpp"
#include "transport/socket_error.hpp"
#include "transport/udp_demux.hpp"

namespace taps::detail {

UdpConnection::UdpConnection(asio::io_context& io, ConnectionHandlers handlers)
    : ConnectionImpl(io, std::move(handlers), false), socket_(io) {
  stack_ = "udp";
}

UdpConnection::UdpConnection(asio::io_context& io, std::shared_ptr<UdpDemux> demux,
                             asio::ip::udp::endpoint remote, std::string local)
    : ConnectionImpl(io, {}, false), socket_(io), demux_(std::move(demux)), peer_(remote) {
  stack_ = "udp";
  remote_ = endpoint_string(remote);
  local_ = std::move(local);
}

void UdpConnection::adopt(asio::ip::udp::socket socket) {
  ++generation_;
  reading_ = writing_ = false;
  socket_ = std::move(socket);
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ = endpoint_string(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_ = endpoint_string(local);
  read_buffer_.resize(65536);
  read();
}

void UdpConnection::deliver_datagram(Message datagram) {
  // A peer that does not receive() loses datagrams beyond the bound, as UDP would.
  if (receive_buffer_full()) return;
  on_data(std::move(datagram), {});
}

void UdpConnection::read() {
  if (reading_ || !socket_.is_open() || receive_buffer_full()) return;
  reading_ = true;
  socket_.async_receive(
      asio::buffer(read_buffer_),
      [self = std::static_pointer_cast<UdpConnection>(shared_from_this()), generation = generation_](
          std::error_code ec, std::size_t n) {
        if (generation != self->generation_) return;
        self->reading_ = false;
        if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
        if (ec == asio::error::connection_refused) {
          self->on_soft_error(socket_error(ec, "ICMP from " + self->remote_));
        } else if (ec) {
          self->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
          return;
        } else {
          const auto* begin = self->read_buffer_.data();
          self->on_data(Message(std::vector<std::uint8_t>(begin, begin + n)), {});
        }
        self->read();
      });
}

void UdpConnection::resume_reading() {
  if (!demux_) read();
}

void UdpConnection::start_writing() {
  if (writing_ || (!demux_ && !socket_.is_open())) return;
  expire_outgoing();
  while (has_outgoing()) {
    in_flight_ = pop_outgoing();
    const auto& m = in_flight_.message;
    if (m.size() > max_udp_payload) {
      on_send_failed(std::move(in_flight_),
                     make_error(errc::message_too_large,
                                "message of " + std::to_string(m.size()) + " bytes exceeds the UDP maximum of 65507"));
      continue;
    }
    // A final message without bytes marks the end of sending; UDP has nothing to send for it.
    if (m.empty() && in_flight_.ctx.final) {
      on_sent(std::move(in_flight_));
      on_final_sent();
      continue;
    }
    writing_ = true;
    auto done = [self = std::static_pointer_cast<UdpConnection>(shared_from_this()), generation = generation_](
                    std::error_code ec, std::size_t) {
      if (generation == self->generation_) self->send_done(ec);
    };
    if (demux_) {
      demux_->socket().async_send_to(asio::buffer(m.data(), m.size()), peer_, std::move(done));
    } else {
      socket_.async_send(asio::buffer(m.data(), m.size()), std::move(done));
    }
    return;
  }
}

void UdpConnection::send_done(std::error_code ec) {
  writing_ = false;
  if (ec == asio::error::operation_aborted) return;
  bool final = in_flight_.ctx.final;
  if (ec) {
    on_send_failed(std::move(in_flight_), socket_error(ec, "send to " + peer_name()));
  } else {
    on_sent(std::move(in_flight_));
    if (final) on_final_sent();
  }
  if (has_outgoing()) start_writing();
}

void UdpConnection::shutdown_transport(bool) {
  if (demux_) {
    demux_->forget(peer_);
    return;
  }
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace taps::detail
