#include "transport/tls_transport.hpp"

#include <asio/write.hpp>

#include "transport/address.hpp"
#include "transport/socket_error.hpp"
#include "transport/tcp_transport.hpp"

namespace taps::detail {
namespace {

// As for TCP: few system calls per megabyte, bounded memory per connection. A batch
// is encrypted into one buffer and written at once.
constexpr std::size_t plaintext_chunk = 256 * 1024;
constexpr std::size_t max_batch_bytes = 1024 * 1024;
constexpr std::size_t max_batch_messages = 64;

}  // namespace

TlsTransport::TlsTransport(asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> session)
    : Transport("tls/tcp"), socket_(std::move(socket)), session_(std::move(session)) {
  note_endpoints(socket_);
}

void TlsTransport::read() {
  auto sink = sink_.lock();
  if (!sink || reading_ || decrypting_ || ended_ || !socket_.is_open()) return;
  decrypting_ = true;
  bool want_input = decrypt(*sink);
  decrypting_ = false;
  if (!want_input || reading_ || ended_ || !socket_.is_open()) return;
  reading_ = true;
  auto space = session_->input_space();
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this(), sink](std::error_code ec, std::size_t n) {
                            self->reading_ = false;
                            if (ec == asio::error::operation_aborted || !self->socket_.is_open()) return;
                            if (ec == asio::error::eof) {
                              self->session_->end_input();
                            } else if (ec) {
                              self->ended_ = true;
                              sink->on_transport_error(socket_error(ec, "receive from " + self->peer_name()));
                              return;
                            } else {
                              self->session_->commit_input(n);
                            }
                            self->read();
                          });
}

// Delivers what the session can decrypt; true when it needs more input (and the
// receive queue has room for it).
bool TlsTransport::decrypt(TransportSink& sink) {
  while (!sink.receive_buffer_full()) {
    std::vector<std::uint8_t> plaintext;
    auto status = session_->read(plaintext, plaintext_chunk);
    if (!plaintext.empty()) sink.on_data(Message(std::move(plaintext)), {});
    switch (status) {
      case TlsSession::Status::progress:
        continue;
      case TlsSession::Status::need_input:
        // Post-handshake messages (a KeyUpdate) may need an answer.
        if (session_->has_output()) start_writing();
        return true;
      case TlsSession::Status::done:
        ended_ = true;
        sink.on_end_of_stream();
        return false;
      case TlsSession::Status::failed:
        ended_ = true;
        sink.on_transport_error(make_error(errc::connection_reset, "TLS with " + peer_name() + ": " + session_->error()));
        return false;
    }
  }
  return false;
}

void TlsTransport::resume_reading() { read(); }

void TlsTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink || writing_ || !socket_.is_open()) return;
  sink->expire_outgoing();
  bool final = false;
  std::size_t bytes = 0;
  while (sink->has_outgoing() && !final && in_flight_.size() < max_batch_messages && bytes < max_batch_bytes) {
    in_flight_.push_back(sink->pop_outgoing());
    const auto& m = in_flight_.back().message;
    if (!m.empty() && !session_->write(m.data(), m.size())) {
      auto error = make_error(errc::connection_reset, "TLS with " + peer_name() + ": " + session_->error());
      auto failed = std::move(in_flight_);
      in_flight_.clear();
      for (auto& out : failed) sink->on_send_failed(std::move(out), error);
      sink->on_transport_error(error);
      return;
    }
    bytes += m.size();
    final = in_flight_.back().ctx.final;
  }
  if (final) session_->close_notify();
  if (in_flight_.empty() && !session_->has_output()) return;
  session_->take_output(write_buffer_);
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this(), sink, final](std::error_code ec, std::size_t) {
                      self->written(*sink, ec, final);
                    });
}

void TlsTransport::written(TransportSink& sink, std::error_code ec, bool final) {
  writing_ = false;
  auto done = std::move(in_flight_);
  in_flight_.clear();
  // Shut down meanwhile (abort, or a framer refused this race's winner): report nothing.
  if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
  if (ec) {
    auto error = socket_error(ec, "send to " + peer_name());
    for (auto& out : done) sink.on_send_failed(std::move(out), error);
    sink.on_transport_error(error);
    return;
  }
  for (auto& out : done) sink.on_sent(std::move(out));
  if (final) {
    // close_notify is out; the FIN tells peers that wait for the TCP end too.
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    sink.on_final_sent();
    return;
  }
  if (sink.has_outgoing() || session_->has_output()) start_writing();
}

void TlsTransport::shutdown(bool graceful) { close_tcp_socket(socket_, graceful); }

void TlsTransport::apply_properties(const ConnectionProperties& props, bool keep_alive) {
  if (socket_.is_open()) apply_socket_options(socket_.native_handle(), wanted_options(props, keep_alive, true), options_);
}

}  // namespace taps::detail
