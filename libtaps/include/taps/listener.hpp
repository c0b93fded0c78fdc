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
}

// Handlers for Listener events, all posted to the Context's thread.
struct ListenerHandlers {
  // ConnectionReceived: returns the handlers of the new Connection, so that no event
  // of it can fire before its handlers exist. The Connection is already ready: its
  // ready handler is not called.
  std::function<ConnectionHandlers(Connection)> connection_received;
  // _taps extension: the listener is bound; the local endpoints as "ADDR:PORT" (port 0
  // resolved to the real port). Delivered once, before any connection_received.
  std::function<void(const std::vector<std::string>&)> listening;
  // Listen failed (bind refused, name did not resolve).
  std::function<void(const Error&)> establishment_error;
  std::function<void()> stopped;
};

class Listener {
 public:
  Listener() = default;
  explicit Listener(std::shared_ptr<detail::ListenerImpl> impl) : impl_(std::move(impl)) {}

  // Stops accepting; emits stopped. Connections already received go on.
  void stop();
  // SetNewConnectionLimit: after `n` more connection_received events, the Listener
  // stops accepting (TCP: pending connections wait in the kernel backlog; UDP: new
  // peers are ignored) until the limit is raised again.
  void set_new_connection_limit(std::size_t n);

  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  std::shared_ptr<detail::ListenerImpl> impl_;
};

}  // namespace taps
