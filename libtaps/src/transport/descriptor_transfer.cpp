#include "transport/descriptor_transfer.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>

namespace taps::detail {
namespace {

// Per system call: as much as the kernel takes (it stops at what the socket buffer or
// the pipe holds). A bound on calls per turn lets the rest of the io_context run.
constexpr std::size_t chunk = 16u << 20;
constexpr int calls_per_turn = 16;

std::error_code last_error() { return {errno, std::system_category()}; }

// A duplicate, so that closing ours never closes the caller's; -1 on failure.
int duplicate(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

// Bytes waiting in a pipe or in a socket's receive queue.
int queued_bytes(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

}  // namespace

DescriptorKind descriptor_kind(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return DescriptorKind::other;
  if (S_ISFIFO(st.st_mode)) return DescriptorKind::pipe;
  if (S_ISREG(st.st_mode)) return DescriptorKind::regular_file;
  return DescriptorKind::other;
}

DescriptorToSocket::DescriptorToSocket(asio::ip::tcp::socket& socket, int fd, bool file, Done done)
    : socket_(socket), source_(socket.get_executor()), file_(file), done_(std::move(done)) {
  std::error_code ignored;
  if (fd != -1) source_.assign(fd, ignored);
}

std::shared_ptr<DescriptorToSocket> DescriptorToSocket::start(asio::ip::tcp::socket& socket, int fd, Done done) {
  bool file = descriptor_kind(fd) == DescriptorKind::regular_file;
  auto transfer = std::make_shared<DescriptorToSocket>(socket, duplicate(fd), file, std::move(done));
  std::error_code ec;
  if (!transfer->source_.is_open()) ec = last_error();
  if (!ec) socket.native_non_blocking(true, ec);
  asio::post(socket.get_executor(), [transfer, ec] {
    if (ec) {
      transfer->complete(ec);
    } else {
      transfer->step();
    }
  });
  return transfer;
}

void DescriptorToSocket::step() {
  if (!done_) return;
  int in = source_.native_handle();
  int out = socket_.native_handle();
  for (int calls = 0; calls < calls_per_turn; ++calls) {
    ssize_t n = file_ ? ::sendfile(out, in, nullptr, chunk)
                      : ::splice(in, nullptr, out, nullptr, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      bytes_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) return complete({});
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return complete(last_error());
    auto resume = [self = shared_from_this()](std::error_code ec) {
      if (ec) return self->complete(ec);
      self->step();
    };
    // A file is always readable: the socket is full. A pipe may be empty instead.
    if (!file_ && queued_bytes(in) == 0) {
      source_.async_wait(asio::posix::stream_descriptor::wait_read, resume);
    } else {
      socket_.async_wait(asio::ip::tcp::socket::wait_write, resume);
    }
    return;
  }
  asio::post(source_.get_executor(), [self = shared_from_this()] { self->step(); });
}

void DescriptorToSocket::complete(std::error_code ec) {
  auto done = std::move(done_);
  done_ = nullptr;
  std::error_code ignored;
  source_.close(ignored);
  if (done) done(ec, bytes_);
}

// Dropping `done` breaks the cycle with the transport that it holds; the waits end
// once the socket and the duplicate are closed.
void DescriptorToSocket::cancel() {
  done_ = nullptr;
  std::error_code ignored;
  source_.close(ignored);
}

SocketToPipe::SocketToPipe(asio::ip::tcp::socket& socket, int pipe_fd, std::vector<std::uint8_t> already_read, Done done)
    : socket_(socket), pipe_(socket.get_executor()), pending_(std::move(already_read)), done_(std::move(done)) {
  std::error_code ignored;
  if (pipe_fd != -1) pipe_.assign(pipe_fd, ignored);
}

std::shared_ptr<SocketToPipe> SocketToPipe::start(asio::ip::tcp::socket& socket, int pipe_fd,
                                                  std::vector<std::uint8_t> already_read, Done done) {
  auto transfer = std::make_shared<SocketToPipe>(socket, duplicate(pipe_fd), std::move(already_read), std::move(done));
  std::error_code ec;
  if (!transfer->pipe_.is_open()) ec = last_error();
  if (!ec) transfer->pipe_.native_non_blocking(true, ec);
  if (!ec) socket.native_non_blocking(true, ec);
  asio::post(socket.get_executor(), [transfer, ec] {
    if (ec) {
      transfer->complete(ec, true);
    } else {
      transfer->step();
    }
  });
  return transfer;
}

// false while bytes read before the transfer still wait for room in the pipe (or on
// failure, with `ec` set).
bool SocketToPipe::write_already_read(std::error_code& ec) {
  while (pending_at_ < pending_.size()) {
    ssize_t n = ::write(pipe_.native_handle(), pending_.data() + pending_at_, pending_.size() - pending_at_);
    if (n >= 0) {
      pending_at_ += static_cast<std::size_t>(n);
      bytes_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      ec = last_error();
      return false;
    }
    pipe_.async_wait(asio::posix::stream_descriptor::wait_write, [self = shared_from_this()](std::error_code ec) {
      if (ec) return self->complete(ec, true);
      self->step();
    });
    return false;
  }
  pending_ = {};
  pending_at_ = 0;
  return true;
}

void SocketToPipe::step() {
  if (!done_) return;
  std::error_code ec;
  if (!write_already_read(ec)) {
    if (ec) complete(ec, true);
    return;
  }
  int in = socket_.native_handle();
  int out = pipe_.native_handle();
  for (int calls = 0; calls < calls_per_turn; ++calls) {
    ssize_t n = ::splice(in, nullptr, out, nullptr, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      bytes_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) return complete({}, false);
    if (errno == EINTR) continue;
    if (errno == EPIPE) return complete(last_error(), true);
    if (errno != EAGAIN) return complete(last_error(), false);
    // Bytes waiting in the socket: the pipe is full. None: wait for the peer.
    if (queued_bytes(in) > 0) {
      pipe_.async_wait(asio::posix::stream_descriptor::wait_write, [self = shared_from_this()](std::error_code ec) {
        if (ec) return self->complete(ec, true);
        self->step();
      });
    } else {
      socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](std::error_code ec) {
        if (ec) return self->complete(ec, false);
        self->step();
      });
    }
    return;
  }
  asio::post(pipe_.get_executor(), [self = shared_from_this()] { self->step(); });
}

void SocketToPipe::complete(std::error_code ec, bool pipe_failed) {
  auto done = std::move(done_);
  done_ = nullptr;
  std::error_code ignored;
  pipe_.close(ignored);
  if (done) done(ec, pipe_failed);
}

void SocketToPipe::cancel() {
  done_ = nullptr;
  std::error_code ignored;
  pipe_.close(ignored);
}

}  // namespace taps::detail
