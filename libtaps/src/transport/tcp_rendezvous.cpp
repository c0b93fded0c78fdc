#include "transport/tcp_rendezvous.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <sys/socket.h>

#include <chrono>

#include "transport/address.hpp"
#include "transport/interface_binding.hpp"
#include "transport/tcp_transport.hpp"

namespace taps::detail {
namespace {

// Short enough that the peer, once up, is met within a tenth of a second; long enough
// that a peer not up yet costs ten SYN/RST pairs a second.
constexpr std::chrono::milliseconds retry_interval{100};

// The listener and the connecting socket share the local port: SO_REUSEPORT lets a
// second socket bind a port that one listens on (same user), SO_REUSEADDR a port
// with connections of an earlier run in TIME_WAIT.
template <class Socket>
std::error_code share_port(Socket& s, const asio::ip::tcp::endpoint& local, const std::string& interface_name) {
  std::error_code ec;
  s.set_option(asio::socket_base::reuse_address(true), ec);
  int on = 1;
  if (!ec && ::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    ec = std::error_code(errno, std::system_category());
  }
  if (!ec && !interface_name.empty()) ec = bind_to_interface(s.native_handle(), local.protocol().family(), interface_name);
  if (!ec) s.bind(local, ec);
  return ec;
}

class TcpRendezvous final : public Attempt, public std::enable_shared_from_this<TcpRendezvous> {
 public:
  TcpRendezvous(asio::io_context& io, const AttemptTarget& target, AttemptDone done)
      : acceptor_(io),
        connecting_(io),
        retry_(io),
        local_(*target.local_address, target.local_port),
        remote_(target.address, target.port),
        interface_name_(target.interface_name),
        done_(std::move(done)) {}

  void start() {
    std::error_code ec;
    acceptor_.open(local_.protocol(), ec);
    if (!ec) ec = share_port(acceptor_, local_, interface_name_);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      asio::post(acceptor_.get_executor(), [self = shared_from_this(), why = fmt::format("listen on {}: {}",
                                                                                       to_string(local_.address(), local_.port()),
                                                                                       ec.message())] {
        self->finish(nullptr, why);
      });
      return;
    }
    accept();
    connect();
  }

  void cancel() override {
    done_ = nullptr;
    close();
  }

 private:
  // Only the peer is let in: anyone else reaching the port is turned away.
  void accept() {
    acceptor_.async_accept([self = shared_from_this()](std::error_code ec, asio::ip::tcp::socket socket) {
      if (!self->done_ || ec == asio::error::operation_aborted) return;
      std::error_code ignored;
      if (!ec && unmapped(socket.remote_endpoint(ignored).address()) == unmapped(self->remote_.address())) {
        self->won(std::move(socket));
        return;
      }
      socket.close(ignored);
      self->accept();
    });
  }

  void connect() {
    std::error_code ec;
    connecting_.open(remote_.protocol(), ec);
    if (!ec) ec = share_port(connecting_, local_, interface_name_);
    if (ec) {
      retry_later();
      return;
    }
    connecting_.async_connect(remote_, [self = shared_from_this()](std::error_code ec) {
      if (!self->done_ || ec == asio::error::operation_aborted) return;
      if (!ec) {
        self->won(std::move(self->connecting_));
        return;
      }
      self->retry_later();
    });
  }

  // Refused (the peer is not listening yet), or the 4-tuple is taken by a connection
  // the listener is accepting right now: either way, the next try or the accept decides.
  void retry_later() {
    std::error_code ignored;
    connecting_.close(ignored);
    retry_.expires_after(retry_interval);
    retry_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec && self->done_) self->connect();
    });
  }

  void won(asio::ip::tcp::socket socket) {
    finish(std::make_shared<TcpTransport>(std::move(socket)), {});
  }

  void finish(std::shared_ptr<Transport> transport, std::string error) {
    auto done = std::move(done_);
    done_ = nullptr;
    close();
    if (done) done(std::move(transport), std::move(error));
  }

  void close() {
    std::error_code ignored;
    retry_.cancel();
    acceptor_.close(ignored);
    connecting_.close(ignored);
  }

  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket connecting_;
  asio::steady_timer retry_;
  asio::ip::tcp::endpoint local_;
  asio::ip::tcp::endpoint remote_;
  std::string interface_name_;
  AttemptDone done_;
};

}  // namespace

std::shared_ptr<Attempt> rendezvous_tcp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions&,
                                        AttemptDone done) {
  auto attempt = std::make_shared<TcpRendezvous>(io, target, std::move(done));
  attempt->start();
  return attempt;
}

}  // namespace taps::detail
