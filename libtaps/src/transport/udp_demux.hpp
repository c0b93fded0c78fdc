// The socket of a UDP Listener, shared with the Connections it spawned: datagrams
// are handed to the Connection of their remote endpoint (RFC 9623 section 10.2).
#pragma once

#include <asio/ip/udp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace taps::detail {

class UdpTransport;

class UdpDemux : public std::enable_shared_from_this<UdpDemux> {
 public:
  // Called for a datagram from a remote endpoint that has no Connection yet; returns
  // the new Connection's transport, or nullptr to ignore the datagram (limit reached, stopped).
  using NewPeer = std::function<std::shared_ptr<UdpTransport>(const asio::ip::udp::endpoint&)>;

  UdpDemux(asio::ip::udp::socket socket, NewPeer new_peer);

  void set_new_peer(NewPeer new_peer) { new_peer_ = std::move(new_peer); }
  void start();
  // The Listener stopped: no new peers; the socket closes with the last Connection.
  void stop_accepting() {
    new_peer_ = nullptr;
    maybe_close();
  }
  void forget(const asio::ip::udp::endpoint& remote);
  asio::ip::udp::socket& socket() noexcept { return socket_; }

 private:
  void read();
  void maybe_close();

  asio::ip::udp::socket socket_;
  NewPeer new_peer_;
  std::map<asio::ip::udp::endpoint, std::weak_ptr<UdpTransport>> peers_;
  std::vector<std::uint8_t> buffer_;
  asio::ip::udp::endpoint sender_;
};

}  // namespace taps::detail
