// The connection properties that live in a socket (RFC 9622 section 8.1 through the
// Transport interface): keep-alive, the TCP user timeout, the DSCP and the pacing rate.
// Only what changed is set: a connection with default properties costs no system call.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "taps/connection_properties.hpp"

namespace taps::detail {

// What the socket holds now; a default-constructed one is a fresh socket.
struct SocketOptions {
  bool keep_alive = false;
  std::optional<std::chrono::seconds> keep_alive_idle;
  std::optional<std::chrono::milliseconds> user_timeout;
  int dscp = 0;
  std::optional<std::int64_t> max_pacing_bits;

  friend bool operator==(const SocketOptions&, const SocketOptions&) = default;
};

// The options `props` asks of a TCP socket (keep_alive: the keepAlive selection property
// is require or prefer), or of a UDP one (`tcp` false: only the DSCP).
SocketOptions wanted_options(const ConnectionProperties& props, bool keep_alive, bool tcp);

// Sets on `fd` what differs between `applied` and `wanted`, and records it. Best effort:
// an option the kernel refuses keeps its old value, as RFC 9622 allows for properties.
void apply_socket_options(int fd, const SocketOptions& wanted, SocketOptions& applied);

// A listening TCP socket takes data from clients' SYNs (TCP Fast Open, RFC 7413): what
// a client sent with InitiateWithSend as safelyReplayable reaches the application one
// round trip earlier. The kernel does so only when net.ipv4.tcp_fastopen has the server
// bit (0x2; Linux's default 1 is client only). Best effort: a kernel without it is ignored.
void allow_fast_open(int listening_fd);

}  // namespace taps::detail
