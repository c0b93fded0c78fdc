#include "harness.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <cstdlib>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

namespace test {

bool run_for(taps::Context& ctx, std::chrono::milliseconds limit) {
  bool timed_out = false;
  asio::steady_timer timer(ctx.io_context(), limit);
  timer.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    ctx.stop();
  });
  ctx.io_context().restart();
  ctx.run();
  timer.cancel();
  ctx.io_context().restart();
  ctx.io_context().poll();  // lets the cancelled timer's handler run before `timer` goes
  return !timed_out;
}

void after(taps::Context& ctx, std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(ctx.io_context(), delay);
  timer->async_wait([timer, fn = std::move(fn)](std::error_code ec) {
    if (!ec) fn();
  });
}

std::uint16_t port_of(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

int socket_with_local_port(std::uint16_t port, int type) {
  DIR* fds = ::opendir("/proc/self/fd");
  REQUIRE(fds != nullptr);
  int found = -1;
  while (dirent* entry = ::readdir(fds)) {
    int fd = std::atoi(entry->d_name);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int actual = 0;
    socklen_t type_length = sizeof actual;
    if (entry->d_name[0] == '.' || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &actual, &type_length) != 0 || actual != type) {
      continue;
    }
    std::uint16_t local = address.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
                                                       : ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    if (local == port) found = fd;
  }
  ::closedir(fds);
  return found;
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  REQUIRE(::getsockopt(fd, level, name, &value, &length) == 0);
  return value;
}

}  // namespace test
