// Listener (RFC 9622 section 7.2) and its events.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "taps/connection.hpp"
#include "taps/error.hpp"

namespace taps {

namespace detail {
class ListenerImpl;
class MulticastListener;
}

// _taps extension, multicast Listeners: a group membership that is in place.
struct MulticastJoin {
  std::string group;           // the group address
  std::string source;          // SSM: the source address; empty for ASM
  std::string interface_name;  // where it was joined
  std::vector<std::string> excluded_sources;  // ASM: sources blocked (exclude mode)
};

// _taps extension: where a Listener listens, one entry per stack and address.
struct ListeningEndpoint {
  std::string local;  // "ADDR:PORT", port 0 resolved to the real port
  std::string stack;  // "tcp", "udp", "tls/tcp"
  friend bool operator==(const ListeningEndpoint&, const ListeningEndpoint&) = default;
};

// Handlers for Listener events, all posted to the Context's thread.
struct ListenerHandlers {
  // ConnectionReceived: returns the handlers of the new Connection, so that no event
  // of it can fire before its handlers exist. The Connection is already ready: its
  // ready handler is not called.
  std::function<ConnectionHandlers(Connection)> connection_received;
  // _taps extension: the listener is bound, on every stack its properties allow (TCP
  // and UDP on the same port number; with opportunistic security tls/tcp and plain tcp
  // share one TCP port, told apart by the client's first bytes). Delivered once,
  // before any connection_received.
  std::function<void(const std::vector<ListeningEndpoint>&)> listening;
  // Listen failed (bind refused, name did not resolve).
  std::function<void(const Error&)> establishment_error;
  // _taps extension: a peer that connected but never became a Connection (its TLS
  // handshake failed or timed out); the detail names the peer. The Listener goes on.
  std::function<void(const Error&)> soft_error;
  std::function<void()> stopped;
  // _taps extension: multicast Listeners report each join, after listening.
  std::function<void(const MulticastJoin&)> joined;
};

class Listener {
 public:
  Listener() = default;
  explicit Listener(std::shared_ptr<detail::ListenerImpl> impl) : impl_(std::move(impl)) {}
  explicit Listener(std::shared_ptr<detail::MulticastListener> impl) : multicast_(std::move(impl)) {}

  // Stops accepting; emits stopped. Connections already received go on.
  void stop();
  // SetNewConnectionLimit: after `n` more connection_received events, the Listener
  // stops accepting (TCP: pending connections wait in the kernel backlog; UDP: new
  // peers are ignored) until the limit is raised again.
  void set_new_connection_limit(std::size_t n);

  explicit operator bool() const noexcept { return impl_ != nullptr || multicast_ != nullptr; }

 private:
  std::shared_ptr<detail::ListenerImpl> impl_;
  std::shared_ptr<detail::MulticastListener> multicast_;
};

}  // namespace taps
