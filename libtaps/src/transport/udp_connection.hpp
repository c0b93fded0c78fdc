// A Connection over UDP: one message per datagram. A client owns a connected
// socket; a Connection that a Listener spawned shares the listener's socket and gets
// its datagrams from the listener's demultiplexer.
#pragma once

#include <asio/ip/udp.hpp>
#include <memory>
#include <vector>

#include "core/connection_impl.hpp"

namespace taps::detail {

class UdpDemux;

// The largest UDP payload over IPv4 (65535 - 8 - 20); stdin reads are cut to it.
inline constexpr std::size_t max_udp_payload = 65507;

class UdpConnection final : public ConnectionImpl {
 public:
  UdpConnection(asio::io_context& io, ConnectionHandlers handlers);
  // A peer of a UDP Listener.
  UdpConnection(asio::io_context& io, std::shared_ptr<UdpDemux> demux, asio::ip::udp::endpoint remote,
                std::string local);

  // Takes over a connected socket from the racer and starts reading.
  void adopt(asio::ip::udp::socket socket);
  // A datagram from this peer, handed over by the Listener's demultiplexer.
  void deliver_datagram(Message datagram);

 private:
  void start_writing() override;
  void resume_reading() override;
  void shutdown_transport(bool graceful) override;
  void read();
  void send_done(std::error_code ec);

  asio::ip::udp::socket socket_;
  std::shared_ptr<UdpDemux> demux_;
  asio::ip::udp::endpoint peer_;
  std::vector<std::uint8_t> read_buffer_;
  Outgoing in_flight_;
  bool reading_ = false;
  bool writing_ = false;
  // Operations of a socket replaced by adopt() complete late: they must not touch
  // the state of the new one.
  unsigned generation_ = 0;
};

}  // namespace taps::detail
