#include "transport/oneshot_readiness.hpp"

#include <sys/epoll.h>

#include <cerrno>

namespace taps::detail {

OneShotReadiness::OneShotReadiness(const asio::any_io_executor& executor, int fd, std::error_code& ec)
    : fd_(fd), set_(executor) {
  int set = ::epoll_create1(EPOLL_CLOEXEC);
  if (set < 0) {
    ec.assign(errno, std::system_category());
    return;
  }
  set_.assign(set, ec);
}

void OneShotReadiness::async_wait(std::function<void(std::error_code)> handler) {
  // Level-triggered and re-armed per wait: data that arrived since the last read
  // reports at once, so nothing is missed between a drained read and this call.
  epoll_event event{};
  event.events = EPOLLIN | EPOLLONESHOT;
  event.data.fd = fd_;
  if (::epoll_ctl(set_.native_handle(), added_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd_, &event) < 0) {
    handler(std::error_code(errno, std::system_category()));
    return;
  }
  added_ = true;
  set_.async_wait(asio::posix::stream_descriptor::wait_read, [this, handler = std::move(handler)](std::error_code ec) {
    if (!ec) {
      // Taking the event empties the set, so its next readiness is a new edge for asio.
      epoll_event taken;
      ::epoll_wait(set_.native_handle(), &taken, 1, 0);
    }
    handler(ec);
  });
}

void OneShotReadiness::close() {
  std::error_code ignored;
  set_.close(ignored);
}

}  // namespace taps::detail
