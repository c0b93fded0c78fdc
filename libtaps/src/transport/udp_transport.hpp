// UDP under a Connection: one message per datagram. A client owns a connected
// socket; a Connection that a Listener spawned shares the listener's socket and gets
// its datagrams from the listener's demultiplexer.
#pragma once

#include <asio/ip/udp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "transport/socket_options.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

class UdpDemux;

// The largest UDP payload over IPv4 (65535 - 8 - 20); stdin reads are cut to it.
inline constexpr std::size_t max_udp_payload = 65507;

class UdpTransport final : public Transport, public std::enable_shared_from_this<UdpTransport> {
 public:
  // Takes over a connected socket from the racer.
  explicit UdpTransport(asio::ip::udp::socket socket);
  // A peer of a UDP Listener.
  UdpTransport(std::shared_ptr<UdpDemux> demux, asio::ip::udp::endpoint remote, std::string local);

  // A datagram from this peer, handed over by the Listener's demultiplexer.
  void deliver_datagram(Message datagram);

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;
  // The DSCP, on a socket of its own only: a Listener's peers share one socket.
  void apply_properties(const ConnectionProperties& props, bool keep_alive) override;
  MessageLimits message_limits() override;

 private:
  void start_reading() override;
  void read();
  void send_done(TransportSink& sink, std::error_code ec);
  void send_with_options(std::shared_ptr<TransportSink> sink);

  asio::ip::udp::socket socket_;
  std::shared_ptr<UdpDemux> demux_;
  asio::ip::udp::endpoint peer_;
  std::vector<std::uint8_t> read_buffer_;
  Outgoing in_flight_;
  bool ipv4_wire_ = false;  // the peer is reached over IPv4 (also v4-mapped on a v6 socket)
  bool reading_ = false;
  bool writing_ = false;
  SocketOptions options_;
};

}  // namespace taps::detail
