// A Connection that a multicast Listener received: the datagrams of one sender
// (source address and port). Receive-only: every send fails with errc::receive_only.
#pragma once

#include <functional>
#include <string>

#include "core/connection_impl.hpp"

namespace taps::detail {

class MulticastConnection final : public ConnectionImpl {
 public:
  // `on_shutdown` runs when the Connection closes or aborts: the Listener forgets
  // the sender, and may leave its groups.
  MulticastConnection(asio::io_context& io, std::string remote, std::string local, std::function<void()> on_shutdown);

  // Queues a datagram for receive(); false when the receive queue is full.
  bool deliver(Message datagram, MessageContext ctx);

  // Set by the Listener: called when the receive queue has room again.
  std::function<void()> on_room;

 private:
  void start_writing() override;
  void resume_reading() override;
  void shutdown_transport(bool graceful) override;

  std::function<void()> on_shutdown_;
};

}  // namespace taps::detail
