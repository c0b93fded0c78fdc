#include "transport/tls_attempt.hpp"

#include <chrono>

#include "security/tls_context.hpp"
#include "security/tls_handshake.hpp"
#include "transport/address.hpp"
#include "transport/tcp_attempt.hpp"
#include "transport/tcp_transport.hpp"
#include "transport/tls_transport.hpp"

namespace taps::detail {
namespace {

// A server that accepts TCP and then says nothing must not hold an attempt (and, with
// one candidate, the whole Initiate) for ever.
constexpr std::chrono::seconds client_handshake_timeout{10};

class TlsAttempt final : public Attempt, public std::enable_shared_from_this<TlsAttempt> {
 public:
  TlsAttempt(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options, AttemptDone done)
      : tcp_(std::make_shared<TcpAttempt>(io, target)), target_(target), options_(options), done_(std::move(done)) {}

  void start() {
    tcp_->start([self = shared_from_this()](asio::ip::tcp::socket socket, std::string error, std::size_t) {
      if (!error.empty()) {
        self->finish(nullptr, std::move(error));
      } else {
        self->handshake(std::move(socket));
      }
    });
  }

  void cancel() override {
    done_ = nullptr;
    tcp_->cancel();
    if (handshake_) handshake_->cancel();
  }

 private:
  // The handshake verifies the name the candidate was resolved from, or its address
  // when it was given as a literal (without an IPv6 scope: certificates never carry one).
  void handshake(asio::ip::tcp::socket socket) {
    if (!done_) return;
    auto address = unmapped(target_.address);
    auto text = address.is_v6() ? asio::ip::address_v6(address.to_v6().to_bytes()).to_string() : address.to_string();
    handshake_ = std::make_shared<TlsHandshake>(std::move(socket),
                                                options_.tls->client_session(target_.host_name, text, target_.port));
    handshake_->start(
        [self = shared_from_this()](std::optional<std::string> error) {
          if (error) {
            self->finish(nullptr, std::move(*error));
            return;
          }
          auto socket = self->handshake_->take_socket();
          self->finish(std::make_shared<TlsTransport>(std::move(socket), self->handshake_->take_session()), {});
        },
        client_handshake_timeout);
  }

  void finish(std::shared_ptr<Transport> transport, std::string error) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(transport), std::move(error));
  }

  std::shared_ptr<TcpAttempt> tcp_;
  std::shared_ptr<TlsHandshake> handshake_;
  AttemptTarget target_;
  AttemptOptions options_;
  AttemptDone done_;
};

}  // namespace

std::shared_ptr<Attempt> connect_tls(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done) {
  auto attempt = std::make_shared<TlsAttempt>(io, target, options, std::move(done));
  attempt->start();
  return attempt;
}

}  // namespace taps::detail
