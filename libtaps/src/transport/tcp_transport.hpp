// TCP under a Connection: a reader that fills the bounded receive queue and a writer
// that sends queued messages with gathered writes.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "transport/socket_options.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

// Closes a TCP socket (also the one under TLS): gracefully, or at once with a reset
// (abort: SO_LINGER 0 makes close() send RST).
void close_tcp_socket(asio::ip::tcp::socket& socket, bool graceful);

class TcpTransport final : public Transport, public std::enable_shared_from_this<TcpTransport> {
 public:
  // Takes over a connected socket (from the racer or an acceptor).
  explicit TcpTransport(asio::ip::tcp::socket socket);

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;
  void apply_properties(const ConnectionProperties& props, bool keep_alive) override;

 private:
  void start_reading() override;
  void read();

  asio::ip::tcp::socket socket_;
  // Not zero-filled: only the pages a read fills are ever touched (a connection that
  // carries one byte faults in one page, not 64).
  std::unique_ptr<std::uint8_t[]> read_buffer_;
  std::vector<Outgoing> in_flight_;
  bool reading_ = false;
  bool writing_ = false;
  bool eof_ = false;
  SocketOptions options_;
};

}  // namespace taps::detail
