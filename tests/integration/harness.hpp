// Running a Context in tests: until the test calls done(), or a time limit passes.
#pragma once

#include <chrono>
#include <string>

#include <sys/socket.h>

#include "taps/taps.hpp"

namespace test {

// Runs ctx until ctx.stop() or `limit`; returns false when the limit was reached.
bool run_for(taps::Context& ctx, std::chrono::milliseconds limit = std::chrono::seconds(20));

// Runs `fn` on ctx after `delay`.
void after(taps::Context& ctx, std::chrono::milliseconds delay, std::function<void()> fn);

// The port of an "ADDR:PORT" string.
std::uint16_t port_of(const std::string& endpoint);

// The descriptor of this process's socket of `type` (SOCK_STREAM, SOCK_DGRAM) whose local
// port is `port`, or -1: how a test reads the options of a Connection's own socket.
int socket_with_local_port(std::uint16_t port, int type = SOCK_STREAM);
// getsockopt of an int option; fails the test when the call fails.
int int_option(int fd, int level, int name);

// A TCP Listener on `address` that keeps every byte its one connection receives, as on
// the wire; ready (port known) when constructed; stops ctx when the connection ends.
struct WireRecorder {
  taps::Listener listener;
  std::uint16_t port = 0;
  taps::Connection connection;
  std::string bytes;
  bool ended = false;

  explicit WireRecorder(taps::Context& ctx, const std::string& address = "127.0.0.1");
};

}  // namespace test
