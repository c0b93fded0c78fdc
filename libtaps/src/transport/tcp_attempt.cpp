#include "transport/tcp_attempt.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/post.hpp>
#include <cerrno>
#include <system_error>

#include "transport/interface_binding.hpp"
#include "transport/tcp_transport.hpp"

namespace taps::detail {
namespace {

// TCP_FASTOPEN_CONNECT: connect() returns at once and the SYN leaves with the first
// write, carrying its bytes when a cookie of the server is cached. Without a cookie the
// connect is an ordinary one whose SYN asks for a cookie. False when the kernel has no
// such option: the data then simply follows the handshake.
bool enable_fast_open(int fd) {
  int on = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &on, sizeof on) == 0;
}

bool syn_not_sent_yet(int fd) {
  tcp_info info{};
  socklen_t length = sizeof info;
  return ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 && info.tcpi_state == TCP_SYN_SENT;
}

}  // namespace

TcpAttempt::TcpAttempt(asio::io_context& io, AttemptTarget target, std::shared_ptr<const std::vector<std::uint8_t>> early_data)
    : socket_(io), target_(std::move(target)), early_data_(std::move(early_data)) {
  if (early_data_ && early_data_->empty()) early_data_.reset();
}

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
  if (early_data_ && !enable_fast_open(socket_.native_handle())) early_data_.reset();
  socket_.async_connect(remote, [self = shared_from_this()](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return self->finish(ec.message());
    self->connected();
  });
}

// With Fast Open and a cookie, "connected" means only that the SYN waits for data:
// send it, and the attempt is decided when the handshake is (writable, SO_ERROR). An
// ordinary handshake (no cookie) is already done: the data follows it as usual.
void TcpAttempt::connected() {
  int fd = socket_.native_handle();
  if (!early_data_ || !syn_not_sent_yet(fd)) return finish({});
  auto sent = ::send(fd, early_data_->data(), early_data_->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINPROGRESS) {
    return finish(std::error_code(errno, std::system_category()).message());
  }
  early_data_sent_ = sent > 0 ? static_cast<std::size_t>(sent) : 0;
  socket_.async_wait(asio::socket_base::wait_write, [self = shared_from_this()](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return self->finish(ec.message());
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(self->socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    self->finish(error != 0 ? std::error_code(error, std::system_category()).message() : std::string());
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
  connected(std::move(socket_), std::move(error), early_data_sent_);
}

std::shared_ptr<Attempt> connect_tcp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done) {
  auto attempt = std::make_shared<TcpAttempt>(io, target, options.early_data);
  attempt->start([done = std::move(done)](asio::ip::tcp::socket socket, std::string error, std::size_t early_data_sent) {
    if (!error.empty()) {
      done(nullptr, std::move(error));
      return;
    }
    done(std::make_shared<TcpTransport>(std::move(socket), early_data_sent), {});
  });
  return attempt;
}

}  // namespace taps::detail
