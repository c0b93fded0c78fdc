#include "quic/quic_attempt.hpp"

#include <asio/post.hpp>

#include "quic/quic_connection.hpp"
#include "quic/quic_stream_transport.hpp"
#include "security/quic_tls_context.hpp"
#include "transport/address.hpp"
#include "transport/interface_binding.hpp"

namespace taps::detail {
namespace {

class QuicAttempt final : public Attempt, public std::enable_shared_from_this<QuicAttempt> {
 public:
  QuicAttempt(asio::io_context& io, AttemptTarget target, AttemptOptions options, AttemptDone done)
      : io_(io), target_(std::move(target)), options_(std::move(options)), done_(std::move(done)) {}

  void start() {
    asio::ip::udp::socket socket(io_);
    asio::ip::udp::endpoint remote(target_.address, target_.port);
    std::error_code ec;
    socket.open(remote.protocol(), ec);
    if (!ec && !target_.interface_name.empty()) {
      ec = bind_to_interface(socket.native_handle(), remote.protocol().family(), target_.interface_name);
    }
    if (!ec && target_.local_address) {
      socket.set_option(asio::socket_base::reuse_address(true), ec);
      socket.bind({*target_.local_address, target_.local_port}, ec);
    }
    if (!ec) socket.connect(remote, ec);
    if (ec) {
      asio::post(io_, [self = shared_from_this(), why = ec.message()] { self->finish(nullptr, why); });
      return;
    }
    // The name verified is the one the candidate was resolved from, else its address
    // (without a scope); SNI carries names only (RFC 6066).
    const auto& params = options_.quic->params();
    auto address = unmapped(target_.address);
    auto text = address.is_v6() ? asio::ip::address_v6(address.to_v6().to_bytes()).to_string() : address.to_string();
    std::string name = !params.server_name.empty() ? params.server_name
                       : !target_.host_name.empty() ? target_.host_name
                                                    : text;
    std::string sni = name == text ? std::string() : name;
    QuicConnection::Events events;
    events.handshake_done = [weak = weak_from_this()](std::string error) {
      if (auto self = weak.lock()) self->handshaken(std::move(error));
    };
    auto connection = QuicConnection::connect(std::move(socket), options_.quic, name, sni, std::move(events));
    if (!connection) {
      asio::post(io_, [self = shared_from_this(), why = connection.error().message()] { self->finish(nullptr, why); });
      return;
    }
    connection_ = *connection;
  }

  void cancel() override {
    done_ = nullptr;
    if (connection_) connection_->cancel();
    connection_.reset();
  }

 private:
  void handshaken(std::string error) {
    if (!done_) return;
    if (!error.empty()) {
      finish(nullptr, std::move(error));
      return;
    }
    auto stream = connection_->open_stream(true);
    if (!stream) {
      finish(nullptr, stream.error().message());
      return;
    }
    finish(*stream, {});
  }

  void finish(std::shared_ptr<Transport> transport, std::string error) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (!transport) connection_.reset();
    if (done) done(std::move(transport), std::move(error));
  }

  asio::io_context& io_;
  AttemptTarget target_;
  AttemptOptions options_;
  AttemptDone done_;
  std::shared_ptr<QuicConnection> connection_;
};

}  // namespace

std::shared_ptr<Attempt> connect_quic(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                      AttemptDone done) {
  auto attempt = std::make_shared<QuicAttempt>(io, target, options, std::move(done));
  attempt->start();
  return attempt;
}

}  // namespace taps::detail
