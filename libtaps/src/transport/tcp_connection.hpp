// A Connection over TCP: a reader that fills the bounded receive queue and a writer
// that sends queued messages with gathered writes.
#pragma once

#include <asio/ip/tcp.hpp>
#include <vector>

#include "core/connection_impl.hpp"
#include "taps/properties.hpp"

namespace taps::detail {

// RFC 9622 keepAlive and keepAliveTimeout on a connected TCP socket (TLS runs over one
// too): SO_KEEPALIVE when keepAlive is require or prefer, TCP_KEEPIDLE and
// TCP_KEEPINTVL from keepAliveTimeout. Best effort: a refused option leaves the system's
// behaviour, as RFC 9622 allows for a preference.
void apply_keep_alive(asio::ip::tcp::socket& socket, const TransportProperties& props);

class TcpConnection final : public ConnectionImpl {
 public:
  TcpConnection(asio::io_context& io, ConnectionHandlers handlers);

  // Takes over a connected socket (from the racer or an acceptor) and starts reading.
  // Called again when the race resumes after a framer refused the first winner.
  void adopt(asio::ip::tcp::socket socket);

 private:
  void start_writing() override;
  void resume_reading() override;
  void shutdown_transport(bool graceful) override;
  void read();

  asio::ip::tcp::socket socket_;
  std::vector<std::uint8_t> read_buffer_;
  std::vector<Outgoing> in_flight_;
  bool reading_ = false;
  bool writing_ = false;
  bool eof_ = false;
  // Operations of a socket replaced by adopt() complete late: they must not touch
  // the state of the new one.
  unsigned generation_ = 0;
};

}  // namespace taps::detail
