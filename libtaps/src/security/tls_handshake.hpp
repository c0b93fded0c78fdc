// A TLS handshake on a connected TCP socket: for a racing attempt (client) and for a
// connection a Listener accepted (server). It owns the socket and the session while it
// runs; once it succeeded, the connection that wins takes both.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "security/tls_session.hpp"

namespace taps::detail {

class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  // Called once: with nothing on success, else with the reason ("TLS handshake failed:
  // certificate verify failed (self-signed certificate)").
  using Done = std::function<void(std::optional<std::string> error)>;

  TlsHandshake(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> session);

  // `timeout`: give up after it (a Listener must not wait forever for a silent client).
  void start(Done done, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Closes the socket; `done` is not called.
  void cancel();

  // After success: the connected socket and the established session.
  asio::ip::tcp::socket take_socket() { return std::move(socket_); }
  std::unique_ptr<TlsSession> take_session() { return std::move(session_); }

 private:
  void step();
  void after_output(TlsSession::Status status);
  void finish(std::optional<std::string> error);

  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> session_;
  std::vector<std::uint8_t> output_;
  asio::steady_timer timer_;
  Done done_;
};

}  // namespace taps::detail
