// Read readiness of a descriptor that asio's reactor does not watch, reported once per
// wait. Asio registers sockets edge-triggered for good, so every arriving datagram
// wakes the event loop even while nobody waits; a receiver that reads in batches on
// its own schedule gets those wakeups for nothing. Here the descriptor sits in an epoll
// set of its own with EPOLLONESHOT, and asio watches only that set.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <functional>
#include <system_error>

namespace taps::detail {

class OneShotReadiness {
 public:
  // `fd` stays owned by the caller and must outlive this object or its close().
  OneShotReadiness(const asio::any_io_executor& executor, int fd, std::error_code& ec);
  OneShotReadiness(const OneShotReadiness&) = delete;
  OneShotReadiness& operator=(const OneShotReadiness&) = delete;

  // Calls `handler` once `fd` is readable (at once if it already is); an error
  // (operation_aborted after close()) otherwise.
  void async_wait(std::function<void(std::error_code)> handler);
  void close();

 private:
  int fd_;
  bool added_ = false;
  asio::posix::stream_descriptor set_;  // the epoll set that holds fd_
};

}  // namespace taps::detail
