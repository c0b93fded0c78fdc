#include "harness.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <cstdlib>

#include <memory>

#include "taps/timer.hpp"

namespace test {

// The timer is work: the loop does not end early for want of it, only by stop() or
// the limit. The events that were ready when stop() came run too (a server's accept
// in the turn of the client's ready): tests count them.
bool run_for(taps::Context& ctx, std::chrono::milliseconds limit) {
  bool timed_out = false;
  taps::Timer timer(ctx);
  timer.start(limit, [&] {
    timed_out = true;
    ctx.stop();
  });
  ctx.run();
  timer.cancel();
  ctx.poll();
  return !timed_out;
}

// The timer lives in its own function until that has run.
void after(taps::Context& ctx, std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<taps::Timer>(ctx);
  timer->start(delay, [timer, fn = std::move(fn)] { fn(); });
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

WireRecorder::WireRecorder(taps::Context& ctx, const std::string& address) {
  taps::ListenerHandlers h;
  h.listening = [this, &ctx](const std::vector<taps::ListeningEndpoint>& locals) {
    port = port_of(locals.front().local);
    ctx.stop();
  };
  h.connection_received = [this, &ctx](taps::Connection c) {
    connection = c;
    taps::ConnectionHandlers ch;
    ch.received_partial = [this, &ctx](taps::Message m, taps::MessageContext, bool end) {
      bytes += m.as_string_view();
      if (!end) {
        connection.receive();
        return;
      }
      ended = true;
      connection.close();
      ctx.stop();
    };
    c.receive();
    return ch;
  };
  auto l = taps::Preconnection({taps::LocalEndpoint().with_ip_address(address).with_port(0)}, {}).listen(ctx, h);
  REQUIRE(l);
  listener = *l;
  REQUIRE(run_for(ctx, std::chrono::seconds(5)));
  REQUIRE(port != 0);
}

}  // namespace test
