#include "transport/udp_demux.hpp"

#include "transport/udp_transport.hpp"

namespace taps::detail {

UdpDemux::UdpDemux(asio::ip::udp::socket socket, NewPeer new_peer)
    : socket_(std::move(socket)), new_peer_(std::move(new_peer)), buffer_(65536) {}

void UdpDemux::start() { read(); }

void UdpDemux::read() {
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                               if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
                               if (!ec) {
                                 Message datagram(std::vector<std::uint8_t>(self->buffer_.data(), self->buffer_.data() + n));
                                 auto it = self->peers_.find(self->sender_);
                                 std::shared_ptr<UdpTransport> peer = it == self->peers_.end() ? nullptr : it->second.lock();
                                 if (!peer && self->new_peer_) {
                                   peer = self->new_peer_(self->sender_);
                                   if (peer) self->peers_[self->sender_] = peer;
                                 }
                                 if (peer) peer->deliver_datagram(std::move(datagram));
                               }
                               // ICMP errors for one peer (ECONNREFUSED) must not stop the others.
                               self->read();
                             });
}

void UdpDemux::forget(const asio::ip::udp::endpoint& remote) {
  peers_.erase(remote);
  maybe_close();
}

// Once the Listener stopped and its last Connection closed, nobody reads the socket.
void UdpDemux::maybe_close() {
  if (new_peer_ || !peers_.empty()) return;
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace taps::detail
