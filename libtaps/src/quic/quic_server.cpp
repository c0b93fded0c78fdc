#include "quic/quic_server.hpp"

#include <ngtcp2/ngtcp2.h>

#include "quic/quic_common.hpp"
#include "quic/quic_connection.hpp"
#include "quic/quic_stream_transport.hpp"
#include "security/quic_tls_context.hpp"
#include "transport/address.hpp"

namespace taps::detail {
using namespace quic;
namespace {

// Connections (finished or not) a Listener holds at most: each costs its buffers.
constexpr std::size_t max_connections = 4096;

std::string key_of(const std::uint8_t* data, std::size_t n) { return std::string(reinterpret_cast<const char*>(data), n); }

}  // namespace

QuicServer::QuicServer(asio::ip::udp::socket socket, std::shared_ptr<QuicTlsContext> tls, Events events)
    : socket_(std::make_shared<asio::ip::udp::socket>(std::move(socket))), tls_(std::move(tls)),
      events_(std::move(events)) {
  std::error_code ec;
  local_ = socket_->local_endpoint(ec);
  socket_->non_blocking(true, ec);
  tune_quic_socket(*socket_);
}

std::string QuicServer::local_endpoint() const { return endpoint_string(local_); }

void QuicServer::start() { read(); }

void QuicServer::stop_accepting() {
  accepting_ = false;
  events_.new_stream = nullptr;
  // Each connection once (it has several IDs); one closing now leaves by_id_.
  std::vector<std::shared_ptr<QuicConnection>> connections;
  for (const auto& [id, connection] : by_id_) {
    if (std::find(connections.begin(), connections.end(), connection) == connections.end()) {
      connections.push_back(connection);
    }
  }
  // Nobody takes a new stream now: each connection closes once no stream is in use, as a
  // client's does, so that a client whose last acknowledgement was lost learns that we
  // had everything without waiting for its idle timeout (30 s).
  for (const auto& connection : connections) connection->close_when_done();
  if (by_id_.empty()) {
    std::error_code ignored;
    socket_->close(ignored);
  }
}

// Every datagram that is there, then one flush per connection they concerned.
void QuicServer::read() {
  if (reading_ || !socket_->is_open()) return;
  reading_ = true;
  socket_->async_wait(asio::socket_base::wait_read, [self = shared_from_this()](std::error_code ec) {
    self->reading_ = false;
    if (ec || !self->socket_->is_open()) return;
    self->buffer_.resize(65536);
    std::vector<std::shared_ptr<QuicConnection>> touched;
    for (std::size_t i = 0; i < max_packets_per_read; ++i) {
      asio::ip::udp::endpoint from;
      std::error_code rec;
      std::size_t n = self->socket_->receive_from(asio::buffer(self->buffer_), from, 0, rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      // An ICMP error for one client says nothing about the others.
      if (rec) continue;
      self->route(n, from, touched);
    }
    for (auto& c : touched) c->flush();
    self->read();
  });
}

void QuicServer::route(std::size_t n, const asio::ip::udp::endpoint& from,
                       std::vector<std::shared_ptr<QuicConnection>>& touched) {
  std::span<const std::uint8_t> packet(buffer_.data(), n);
  ngtcp2_version_cid vc;
  if (ngtcp2_pkt_decode_version_cid(&vc, packet.data(), packet.size(), cid_length) != 0) return;
  auto it = by_id_.find(key_of(vc.dcid, vc.dcidlen));
  if (it != by_id_.end()) {
    auto connection = it->second;
    connection->receive(packet, from);
    if (std::find(touched.begin(), touched.end(), connection) == touched.end()) touched.push_back(connection);
    return;
  }
  if (!accepting_ || by_id_.size() >= max_connections * 8) return;
  QuicConnection::Events events;
  std::weak_ptr<QuicServer> weak = shared_from_this();
  std::string remote = endpoint_string(from);
  events.handshake_done = [weak, remote](std::string error) {
    auto self = weak.lock();
    if (self && !error.empty() && self->events_.handshake_failed) self->events_.handshake_failed(remote + ": " + error);
  };
  events.peer_stream = [weak](std::shared_ptr<Transport> stream) {
    auto self = weak.lock();
    if (!self || !self->events_.new_stream) return false;
    self->events_.new_stream(std::move(stream));
    return true;
  };
  // Filled once the connection exists: it reports IDs from inside accept().
  auto made = std::make_shared<std::weak_ptr<QuicConnection>>();
  events.connection_id = [weak, made](const ngtcp2_cid& cid, bool added) {
    auto self = weak.lock();
    auto connection = made->lock();
    if (!self || !connection) return;
    auto key = key_of(cid.data, cid.datalen);
    if (added) self->by_id_[key] = connection;
    else self->by_id_.erase(key);
  };
  events.ended = [weak, made] {
    auto self = weak.lock();
    if (!self) return;
    auto* raw = made->lock().get();
    std::erase_if(self->by_id_, [raw](const auto& entry) { return entry.second.get() == raw; });
    if (!self->accepting_ && self->by_id_.empty()) {
      std::error_code ignored;
      self->socket_->close(ignored);
    }
  };
  auto accepted = QuicConnection::accept(socket_, local_, from, packet, tls_, std::move(events));
  if (!accepted) return;
  auto connection = *accepted;
  *made = connection;
  add(connection);
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, packet.data(), packet.size()) == 0) by_id_[key_of(hd.dcid.data, hd.dcid.datalen)] = connection;
  connection->receive(packet, from);
  touched.push_back(connection);
}

void QuicServer::add(const std::shared_ptr<QuicConnection>& connection) {
  for (const auto& cid : connection->connection_ids()) by_id_[key_of(cid.data, cid.datalen)] = connection;
}

std::shared_ptr<DatagramServer> serve_quic(asio::ip::udp::socket socket, const AttemptOptions& options,
                                           DatagramServer::Events events) {
  return std::make_shared<QuicServer>(std::move(socket), options.quic, std::move(events));
}

}  // namespace taps::detail
