#include "transport/multicast_receive_transport.hpp"

namespace taps::detail {

MulticastReceiveTransport::MulticastReceiveTransport(std::string remote, std::string local,
                                                     std::function<void()> on_shutdown)
    : Transport("udp"), on_shutdown_(std::move(on_shutdown)) {
  remote_ = std::move(remote);
  local_ = std::move(local);
}

bool MulticastReceiveTransport::deliver(Message datagram, MessageContext ctx) {
  auto sink = sink_.lock();
  if (!sink) return true;
  sink->on_data(std::move(datagram), std::move(ctx));
  return !sink->receive_buffer_full();
}

void MulticastReceiveTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink) return;
  while (sink->has_outgoing()) {
    sink->on_send_failed(sink->pop_outgoing(),
                         make_error(errc::receive_only,
                                    "send on a received multicast connection (from " + remote_ + "): it is receive-only"));
  }
}

void MulticastReceiveTransport::resume_reading() {
  if (on_room) on_room();
}

void MulticastReceiveTransport::shutdown(bool) {
  on_room = nullptr;
  if (auto done = std::move(on_shutdown_)) done();
}

}  // namespace taps::detail
