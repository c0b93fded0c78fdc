// A Connection over TLS 1.3 over TCP, once the handshake is done (the racer or the
// Listener ran it): a reader that decrypts into the bounded receive queue and a writer
// that encrypts batches of queued messages into one write. The final message is
// followed by close_notify and a TCP FIN; a TCP end without the peer's close_notify is
// truncation, reported as a connection error.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "core/connection_impl.hpp"
#include "security/tls_session.hpp"

namespace taps::detail {

class TlsConnection final : public ConnectionImpl {
 public:
  TlsConnection(asio::io_context& io, ConnectionHandlers handlers);

  // Takes over a connected socket and its established session, and starts reading
  // (bytes the handshake already read are decrypted first). Called again when the race
  // resumes after a framer refused the first winner. Without a session the bytes go
  // in plaintext: plain TCP won a race the user allowed it to (opportunistic security).
  void adopt(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> session);
  std::optional<TlsInfo> tls_info() const override;

 private:
  void start_writing() override;
  void resume_reading() override;
  void shutdown_transport(bool graceful) override;
  void read();
  bool decrypt();
  void written(std::error_code ec, bool final);
  // Without a session (tls_connection_plain.cpp).
  void read_plain();
  void write_plain();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> session_;
  std::vector<std::uint8_t> write_buffer_;
  std::vector<std::uint8_t> read_buffer_;  // without a session only
  std::vector<Outgoing> in_flight_;
  bool reading_ = false;
  bool decrypting_ = false;  // on_data may resume reading from inside decrypt()
  bool writing_ = false;
  bool ended_ = false;  // close_notify, truncation or an error: nothing more to read
  // Operations of a socket replaced by adopt() complete late: they must not touch
  // the state of the new one.
  unsigned generation_ = 0;
};

}  // namespace taps::detail
