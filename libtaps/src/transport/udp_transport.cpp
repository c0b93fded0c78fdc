#include "transport/udp_transport.hpp"

#include <asio/post.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include "transport/address.hpp"
#include "transport/datagram_send.hpp"
#include "transport/socket_error.hpp"
#include "transport/udp_demux.hpp"

namespace taps::detail {
namespace {

bool over_ipv4(const asio::ip::address& a) { return a.is_v4() || (a.is_v6() && a.to_v6().is_v4_mapped()); }

DatagramOptions options_of(const MessageContext& ctx) {
  DatagramOptions o;
  if (ctx.msg_capacity_profile) o.dscp = dscp_for(*ctx.msg_capacity_profile);
  o.dont_fragment = ctx.no_fragmentation;
  return o;
}

}  // namespace

UdpTransport::UdpTransport(asio::ip::udp::socket socket) : Transport("udp"), socket_(std::move(socket)) {
  note_endpoints(socket_);
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  ipv4_wire_ = !ec && over_ipv4(remote.address());
}

UdpTransport::UdpTransport(std::shared_ptr<UdpDemux> demux, asio::ip::udp::endpoint remote, std::string local)
    : Transport("udp"), socket_(demux->socket().get_executor()), demux_(std::move(demux)), peer_(remote) {
  remote_ = endpoint_string(remote);
  local_ = std::move(local);
  ipv4_wire_ = over_ipv4(remote.address());
}

void UdpTransport::start_reading() {
  if (demux_) return;  // the demultiplexer reads for every peer
  read_buffer_.resize(65536);
  read();
}

void UdpTransport::deliver_datagram(Message datagram) {
  auto sink = sink_.lock();
  // A peer that does not receive() loses datagrams beyond the bound, as UDP would.
  if (!sink || sink->receive_buffer_full()) return;
  sink->on_data(std::move(datagram), {});
}

void UdpTransport::read() {
  auto sink = sink_.lock();
  if (!sink || reading_ || !socket_.is_open() || sink->receive_buffer_full()) return;
  reading_ = true;
  socket_.async_receive(asio::buffer(read_buffer_), [self = shared_from_this(), sink](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
    if (ec == asio::error::connection_refused) {
      sink->on_soft_error(socket_error(ec, "ICMP from " + self->remote_));
    } else if (ec) {
      sink->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
      return;
    } else {
      const auto* begin = self->read_buffer_.data();
      sink->on_data(Message(std::vector<std::uint8_t>(begin, begin + n)), {});
    }
    self->read();
  });
}

void UdpTransport::resume_reading() {
  if (!demux_) read();
}

void UdpTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink || writing_ || (!demux_ && !socket_.is_open())) return;
  sink->expire_outgoing();
  while (sink->has_outgoing()) {
    in_flight_ = sink->pop_outgoing();
    const auto& m = in_flight_.message;
    if (m.size() > max_udp_payload) {
      sink->on_send_failed(std::move(in_flight_), make_error(errc::message_too_large,
                                                             "message of " + std::to_string(m.size()) +
                                                                 " bytes exceeds the UDP maximum of 65507"));
      continue;
    }
    // A final message without bytes marks the end of sending; UDP has nothing to send for it.
    if (m.empty() && in_flight_.ctx.final) {
      sink->on_sent(std::move(in_flight_));
      sink->on_final_sent();
      continue;
    }
    writing_ = true;
    if (in_flight_.ctx.msg_capacity_profile || in_flight_.ctx.no_fragmentation) {
      send_with_options(sink);
      return;
    }
    auto done = [self = shared_from_this(), sink](std::error_code ec, std::size_t) { self->send_done(*sink, ec); };
    if (demux_) {
      demux_->socket().async_send_to(asio::buffer(m.data(), m.size()), peer_, std::move(done));
    } else {
      socket_.async_send(asio::buffer(m.data(), m.size()), std::move(done));
    }
    return;
  }
}

// Per-message IP options need sendmsg with control messages, which Asio's send does not
// offer: one non-blocking sendmsg, and a wait for writability when the buffer is full.
void UdpTransport::send_with_options(std::shared_ptr<TransportSink> sink) {
  auto& socket = demux_ ? demux_->socket() : socket_;
  if (!socket.is_open()) return;
  const auto& m = in_flight_.message;
  auto ec = send_datagram(socket.native_handle(), {m.data(), m.size()}, demux_ ? peer_.data() : nullptr,
                          demux_ ? static_cast<socklen_t>(peer_.size()) : 0, ipv4_wire_, options_of(in_flight_.ctx));
  if (ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again) {
    socket.async_wait(asio::socket_base::wait_write, [self = shared_from_this(), sink](std::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->send_with_options(sink);
    });
    return;
  }
  // Completed at once: reported later, as an asynchronous send would be.
  asio::post(socket.get_executor(), [self = shared_from_this(), sink, ec] { self->send_done(*sink, ec); });
}

void UdpTransport::send_done(TransportSink& sink, std::error_code ec) {
  writing_ = false;
  if (ec == asio::error::operation_aborted) return;
  bool final = in_flight_.ctx.final;
  if (ec == std::errc::message_size && in_flight_.ctx.no_fragmentation) {
    auto mtu = demux_ ? std::nullopt : path_mtu(socket_.native_handle(), ipv4_wire_);
    auto what = "noFragmentation: a datagram of " + std::to_string(in_flight_.message.size()) +
                " bytes does not fit in one packet to " + peer_name() +
                (mtu ? " (path MTU " + std::to_string(*mtu) + ")" : std::string());
    sink.on_send_failed(std::move(in_flight_), Error{ec, what + ": " + ec.message()});
  } else if (ec) {
    sink.on_send_failed(std::move(in_flight_), socket_error(ec, "send to " + peer_name()));
  } else {
    sink.on_sent(std::move(in_flight_));
    if (final) sink.on_final_sent();
  }
  if (sink.has_outgoing()) start_writing();
}

void UdpTransport::shutdown(bool) {
  if (demux_) {
    demux_->forget(peer_);
    return;
  }
  std::error_code ignored;
  socket_.close(ignored);
}

void UdpTransport::apply_properties(const ConnectionProperties& props, bool) {
  if (!demux_ && socket_.is_open()) apply_socket_options(socket_.native_handle(), wanted_options(props, false, false), options_);
}

// A datagram is a message: at most one UDP payload, and, unfragmented, the path MTU
// less the IP and UDP headers (the kernel's IP_MTU on a connected socket).
MessageLimits UdpTransport::message_limits() {
  MessageLimits limits;
  limits.send = limits.receive = max_udp_payload;
  if (demux_ || !socket_.is_open()) return limits;
  int mtu = 0;
  socklen_t length = sizeof mtu;
  bool v6 = socket_.local_endpoint().address().is_v6();
  if (::getsockopt(socket_.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &length) == 0 &&
      mtu > 48) {
    limits.singular = static_cast<std::size_t>(mtu - (v6 ? 48 : 28));
  }
  return limits;
}

}  // namespace taps::detail
