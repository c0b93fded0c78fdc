// TLS 1.3 over TCP under a Connection, once the handshake is done (the racer or the
// Listener ran it): a reader that decrypts into the bounded receive queue and a writer
// that encrypts batches of queued messages into one write. The final message is
// followed by close_notify and a TCP FIN; a TCP end without the peer's close_notify is
// truncation, reported as a connection error. One transport, not a layer over
// TcpTransport (DESIGN.md section 10: tls-over-tcp): the session reads and writes the
// socket's buffers itself, with no copy between two transports.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "security/tls_session.hpp"
#include "transport/socket_options.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

class TlsTransport final : public Transport, public std::enable_shared_from_this<TlsTransport> {
 public:
  // Takes over a connected socket and its established session; bytes the handshake
  // already read are decrypted first.
  TlsTransport(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> session);

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;
  void apply_properties(const ConnectionProperties& props, bool keep_alive) override;
  std::optional<TlsInfo> tls_info() const override { return session_->info(); }

 private:
  void start_reading() override { read(); }
  void read();
  bool decrypt(TransportSink& sink);
  void written(TransportSink& sink, std::error_code ec, bool final);

  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> session_;
  std::vector<std::uint8_t> write_buffer_;
  std::vector<Outgoing> in_flight_;
  bool reading_ = false;
  bool decrypting_ = false;  // on_data may resume reading from inside decrypt()
  bool writing_ = false;
  SocketOptions options_;
  bool ended_ = false;  // close_notify, truncation or an error: nothing more to read
};

}  // namespace taps::detail
