// One TLS 1.3 session without I/O: the transport feeds it the ciphertext it read and
// sends the ciphertext it produces; plaintext goes in and out in between. Made by a
// TlsContext (which holds the configuration) and owned by one connection at a time:
// first the handshake, then the connection that wins.
//
// OpenSSL reads and writes through a BIO of our own whose "socket" is the two buffers
// below, so the bytes cross no extra memory BIO: socket -> input_ -> OpenSSL, and
// OpenSSL -> output_ -> socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "security/openssl.hpp"
#include "taps/security.hpp"

namespace taps::detail {

class TlsContext;

class TlsSession {
 public:
  TlsSession(std::shared_ptr<TlsContext> context, SslPtr ssl, std::string peer);
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext from the peer: read into input_space(), then commit() what was read.
  std::span<std::uint8_t> input_space();
  void commit_input(std::size_t n);
  // The transport reached end of file: a close_notify that has not arrived is truncation.
  void end_input();

  enum class Status {
    progress,    // read: `out` is full, call again; handshake: not used
    need_input,  // waiting for the peer (output() may hold bytes to send first)
    done,        // handshake: complete; read: the peer sent close_notify
    failed,      // error() says why; output() may hold an alert to send
  };
  // Moves the handshake on with the input at hand.
  Status handshake();
  // Appends at most `max` bytes of plaintext to `out`.
  Status read(std::vector<std::uint8_t>& out, std::size_t max);
  // Encrypts into output(); never blocks (the output buffer grows). False when the
  // session cannot send any more (error() says why).
  bool write(const std::uint8_t* data, std::size_t size);
  // Queues close_notify: nothing more is sent, reading goes on.
  void close_notify();

  bool has_output() const noexcept { return !output_.empty(); }
  // Moves the pending ciphertext into `into` (whose old contents are dropped); swapping
  // buffers keeps both allocations alive across writes.
  void take_output(std::vector<std::uint8_t>& into);

  // Why the last handshake or read failed: OpenSSL's reason, with the certificate
  // check's verdict when that was the cause ("certificate verify failed (self-signed
  // certificate)").
  const std::string& error() const noexcept { return error_; }
  // The application protocol agreed with ALPN; empty when none.
  std::string alpn() const;
  // After the handshake: what was negotiated and the peer's certificate.
  TlsInfo info() const;
  // Callbacks of TlsContext: a failure they found, said better than OpenSSL would.
  void set_verify_detail(std::string detail) { verify_detail_ = std::move(detail); }
  // What the user can do about OpenSSL's verdict; said after it.
  void set_verify_hint(std::string hint) { verify_hint_ = std::move(hint); }
  SSL* ssl() const noexcept { return ssl_.get(); }
  const std::string& peer() const noexcept { return peer_; }

 private:
  friend struct TransportBio;
  Status fail(int rc, const char* during);

  std::shared_ptr<TlsContext> context_;  // keeps SSL_CTX and its callbacks' state alive
  SslPtr ssl_;
  std::string peer_;  // the session cache key on a client; empty on a server
  std::vector<std::uint8_t> input_;
  std::size_t input_begin_ = 0, input_end_ = 0;
  std::size_t input_want_;  // grows while reads fill the space offered
  bool input_ended_ = false;
  std::vector<std::uint8_t> output_;
  std::string error_;
  std::string verify_detail_;
  std::string verify_hint_;
};

}  // namespace taps::detail
