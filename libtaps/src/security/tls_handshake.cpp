#include "security/tls_handshake.hpp"

#include <asio/write.hpp>
#include <fmt/format.h>

namespace taps::detail {

TlsHandshake::TlsHandshake(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> session)
    : socket_(std::move(socket)), session_(std::move(session)), timer_(socket_.get_executor()) {}

void TlsHandshake::start(Done done, std::optional<std::chrono::milliseconds> timeout) {
  done_ = std::move(done);
  if (timeout) {
    timer_.expires_after(*timeout);
    timer_.async_wait([self = shared_from_this(), timeout](std::error_code ec) {
      if (ec || !self->done_) return;
      self->finish(fmt::format("TLS handshake timed out after {} ms", timeout->count()));
    });
  }
  step();
}

void TlsHandshake::cancel() {
  done_ = nullptr;
  timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
}

// Writes what the session produced (a flight, or the alert of a failure) before acting
// on the status, so that the peer learns why we gave up.
void TlsHandshake::step() {
  auto status = session_->handshake();
  if (!session_->has_output()) {
    after_output(status);
    return;
  }
  session_->take_output(output_);
  asio::async_write(socket_, asio::buffer(output_), [self = shared_from_this(), status](std::error_code ec, std::size_t) {
    if (!self->done_) return;
    if (ec && status != TlsSession::Status::failed) {
      self->finish("TLS handshake failed: send: " + ec.message());
      return;
    }
    self->after_output(status);
  });
}

void TlsHandshake::after_output(TlsSession::Status status) {
  switch (status) {
    case TlsSession::Status::done:
      finish(std::nullopt);
      return;
    case TlsSession::Status::failed:
      finish("TLS handshake failed: " + session_->error());
      return;
    case TlsSession::Status::progress:
    case TlsSession::Status::need_input:
      break;
  }
  auto space = session_->input_space();
  socket_.async_read_some(asio::buffer(space.data(), space.size()), [self = shared_from_this()](std::error_code ec,
                                                                                               std::size_t n) {
    if (!self->done_) return;
    if (ec == asio::error::eof) {
      self->session_->end_input();  // the handshake then fails, naming the early end
    } else if (ec) {
      self->finish("TLS handshake failed: receive: " + ec.message());
      return;
    } else {
      self->session_->commit_input(n);
    }
    self->step();
  });
}

void TlsHandshake::finish(std::optional<std::string> error) {
  auto done = std::move(done_);
  done_ = nullptr;
  timer_.cancel();
  if (error) {
    std::error_code ignored;
    socket_.close(ignored);
  }
  done(std::move(error));
}

}  // namespace taps::detail
