#include "core/tls_sniff.hpp"

#include <sys/socket.h>

namespace taps::detail {
namespace {

constexpr unsigned char tls_handshake_record = 22;  // RFC 8446 5.1 ContentType.handshake

}  // namespace

TlsSniff::TlsSniff(asio::ip::tcp::socket socket) : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

void TlsSniff::start(Done done, std::chrono::milliseconds grace) {
  done_ = std::move(done);
  timer_.expires_after(grace);
  timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->finish(false);
  });
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](std::error_code ec) {
    if (ec == asio::error::operation_aborted || !self->done_) return;
    unsigned char first = 0;
    ssize_t n = ec ? -1 : ::recv(self->socket_.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    self->finish(n == 1 && first == tls_handshake_record);
  });
}

void TlsSniff::finish(bool tls) {
  if (!done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  timer_.cancel();
  std::error_code ignored;
  socket_.cancel(ignored);
  done(std::move(socket_), tls);
}

void TlsSniff::cancel() {
  done_ = nullptr;
  timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace taps::detail
