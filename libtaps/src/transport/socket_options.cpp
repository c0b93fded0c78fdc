#include "transport/socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <limits>

namespace taps::detail {
namespace {

void set_int(int fd, int level, int name, int value) { ::setsockopt(fd, level, name, &value, sizeof value); }

bool is_v6(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 && local.ss_family == AF_INET6;
}

}  // namespace

SocketOptions wanted_options(const ConnectionProperties& props, bool keep_alive, bool tcp) {
  SocketOptions o;
  o.dscp = dscp_for(props.conn_capacity_profile);
  if (!tcp) return o;
  o.keep_alive = keep_alive;
  if (keep_alive) o.keep_alive_idle = props.keep_alive_timeout;
  o.user_timeout = props.user_timeout();
  o.max_pacing_bits = props.max_send_rate;
  return o;
}

void apply_socket_options(int fd, const SocketOptions& wanted, SocketOptions& applied) {
  if (wanted.keep_alive != applied.keep_alive) set_int(fd, SOL_SOCKET, SO_KEEPALIVE, wanted.keep_alive ? 1 : 0);
  // Without a timeout the system's idle time stays (it is not known here to restore).
  if (wanted.keep_alive_idle && wanted.keep_alive_idle != applied.keep_alive_idle) {
    int seconds = static_cast<int>(wanted.keep_alive_idle->count());
    set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds);
    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds);
  }
  if (wanted.user_timeout != applied.user_timeout) {
    // 0 is the kernel's "use the retransmission limits" default.
    auto ms = wanted.user_timeout ? wanted.user_timeout->count() : 0;
    set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(ms));
  }
  if (wanted.dscp != applied.dscp) {
    int tos = wanted.dscp << 2;  // the ECN bits stay the kernel's
    // A dual-stack socket sends IPv4 with IP_TOS and IPv6 with IPV6_TCLASS.
    set_int(fd, IPPROTO_IP, IP_TOS, tos);
    if (is_v6(fd)) set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
  }
  if (wanted.max_pacing_bits != applied.max_pacing_bits) {
    // Bytes per second; ~0 is unlimited.
    std::uint64_t rate = wanted.max_pacing_bits ? static_cast<std::uint64_t>(*wanted.max_pacing_bits / 8)
                                                : std::numeric_limits<std::uint64_t>::max();
    ::setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate);
  }
  auto idle = applied.keep_alive_idle;
  applied = wanted;
  if (!wanted.keep_alive_idle) applied.keep_alive_idle = idle;
}

void allow_fast_open(int listening_fd) {
  // The queue of connections whose SYN data was taken before the handshake completed.
  int pending = 256;
  ::setsockopt(listening_fd, IPPROTO_TCP, TCP_FASTOPEN, &pending, sizeof pending);
}

}  // namespace taps::detail
