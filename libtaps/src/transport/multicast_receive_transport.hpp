// Under a Connection that a multicast Listener received: the datagrams of one sender
// (source address and port), handed over by the Listener that reads the group's
// socket. Receive-only: every send fails with errc::receive_only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "transport/transport.hpp"

namespace taps::detail {

class MulticastReceiveTransport final : public Transport {
 public:
  // `on_shutdown` runs when the Connection closes or aborts: the Listener forgets
  // the sender, and may leave its groups.
  MulticastReceiveTransport(std::string remote, std::string local, std::function<void()> on_shutdown);

  // Queues a datagram for receive(); false when the receive queue is full.
  bool deliver(Message datagram, MessageContext ctx);

  // Set by the Listener: called when the receive queue has room again.
  std::function<void()> on_room;

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;

 private:
  void start_reading() override {}

  std::function<void()> on_shutdown_;
};

}  // namespace taps::detail
