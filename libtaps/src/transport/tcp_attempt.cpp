#include "transport/tcp_attempt.hpp"

#include <asio/post.hpp>

#include "transport/interface_binding.hpp"
#include "transport/tcp_transport.hpp"

namespace taps::detail {

TcpAttempt::TcpAttempt(asio::io_context& io, AttemptTarget target) : socket_(io), target_(std::move(target)) {}

void TcpAttempt::start(Connected connected) {
  connected_ = std::move(connected);
  asio::ip::tcp::endpoint remote(target_.address, target_.port);
  std::error_code ec;
  socket_.open(remote.protocol(), ec);
  if (!ec && !target_.interface_name.empty()) {
    ec = bind_to_interface(socket_.native_handle(), remote.protocol().family(), target_.interface_name);
  }
  if (!ec && target_.local_address) {
    socket_.set_option(asio::socket_base::reuse_address(true), ec);
    socket_.bind({*target_.local_address, target_.local_port}, ec);
  }
  if (ec) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), why = ec.message()] { self->finish(why); });
    return;
  }
  socket_.async_connect(remote, [self = shared_from_this()](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    self->finish(ec ? ec.message() : std::string());
  });
}

void TcpAttempt::cancel() {
  connected_ = nullptr;
  std::error_code ignored;
  socket_.close(ignored);
}

void TcpAttempt::finish(std::string error) {
  auto connected = std::move(connected_);
  connected_ = nullptr;
  if (!connected) return;  // cancelled
  if (!error.empty()) {
    std::error_code ignored;
    socket_.close(ignored);
  }
  connected(std::move(socket_), std::move(error));
}

std::shared_ptr<Attempt> connect_tcp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions&,
                                     AttemptDone done) {
  auto attempt = std::make_shared<TcpAttempt>(io, target);
  attempt->start([done = std::move(done)](asio::ip::tcp::socket socket, std::string error) {
    if (!error.empty()) {
      done(nullptr, std::move(error));
      return;
    }
    done(std::make_shared<TcpTransport>(std::move(socket)), {});
  });
  return attempt;
}

}  // namespace taps::detail
