// Bytes between a TCP socket and a local descriptor that never pass through user space:
// sendfile(2) from a regular file, splice(2) from a pipe or into a pipe. This carries the
// _taps descriptor actions of a Connection (send_from, receive_into) on plain TCP.
// Both run on the io_context and never block: when the kernel says EAGAIN, they wait
// for the side that is not ready (the pipe empty or full, or the socket).
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

namespace taps::detail {

enum class DescriptorKind { pipe, regular_file, other };
DescriptorKind descriptor_kind(int fd) noexcept;

// Moves everything a descriptor gives, until its end, into the socket. The descriptor
// stays the caller's: this works on a duplicate, closed once done.
class DescriptorToSocket : public std::enable_shared_from_this<DescriptorToSocket> {
 public:
  // Called once: the end was reached (no error), or an error; never from start().
  using Done = std::function<void(std::error_code, std::uint64_t bytes)>;
  // `fd` must be a pipe or a regular file (descriptor_kind). `socket` must outlive the
  // transfer or be closed first, which ends it with operation_aborted.
  static std::shared_ptr<DescriptorToSocket> start(asio::ip::tcp::socket& socket, int fd, Done done);
  // Ends the transfer now (done gets operation_aborted).
  void cancel();

  DescriptorToSocket(asio::ip::tcp::socket& socket, int fd, bool file, Done done);

 private:
  void step();
  void complete(std::error_code ec);

  asio::ip::tcp::socket& socket_;
  asio::posix::stream_descriptor source_;
  bool file_;
  std::uint64_t bytes_ = 0;
  Done done_;
};

// Moves what the socket receives into a pipe until the peer's FIN, after the bytes that
// were read from the socket before the transfer began (`already_read`).
class SocketToPipe : public std::enable_shared_from_this<SocketToPipe> {
 public:
  // Called once: at the peer's FIN (no error), or with an error and whether it was the
  // pipe's side that failed (EPIPE: its reader went away) rather than the connection.
  using Done = std::function<void(std::error_code, bool pipe_failed)>;
  static std::shared_ptr<SocketToPipe> start(asio::ip::tcp::socket& socket, int pipe_fd,
                                             std::vector<std::uint8_t> already_read, Done done);
  void cancel();
  std::uint64_t bytes() const noexcept { return bytes_; }

  SocketToPipe(asio::ip::tcp::socket& socket, int pipe_fd, std::vector<std::uint8_t> already_read, Done done);

 private:
  void step();
  bool write_already_read(std::error_code& ec);
  void complete(std::error_code ec, bool pipe_failed);

  asio::ip::tcp::socket& socket_;
  asio::posix::stream_descriptor pipe_;
  std::vector<std::uint8_t> pending_;
  std::size_t pending_at_ = 0;
  std::uint64_t bytes_ = 0;
  Done done_;
};

}  // namespace taps::detail
