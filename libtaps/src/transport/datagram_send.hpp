// Sending one datagram with per-message IP options that Asio's send cannot carry: the
// DSCP of msgCapacityProfile (an IP_TOS / IPV6_TCLASS control message) and the Don't
// Fragment of noFragmentation (IPV6_DONTFRAG control message; on IPv4, which has no
// such control message, IP_MTU_DISCOVER=IP_PMTUDISC_DO around this one send).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace taps::detail {

struct DatagramOptions {
  std::optional<std::uint8_t> dscp;
  bool dont_fragment = false;
};

// One non-blocking sendmsg on `fd` (to `to`, or to the connected peer when null). `ipv4`:
// the datagram travels over IPv4 (an AF_INET socket, or an AF_INET6 one toward a
// v4-mapped address). Returns the sendmsg error: would_block means retry once writable;
// message_size means too large for the path without fragmentation.
std::error_code send_datagram(int fd, std::span<const std::uint8_t> bytes, const sockaddr* to, socklen_t to_length,
                              bool ipv4, const DatagramOptions& options);

// The kernel's path MTU estimate of a connected socket, for error texts; nullopt when unknown.
std::optional<int> path_mtu(int fd, bool ipv4);

}  // namespace taps::detail
