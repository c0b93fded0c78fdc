#include "transport/multicast_connection.hpp"

namespace taps::detail {

MulticastConnection::MulticastConnection(asio::io_context& io, std::string remote, std::string local,
                                         std::function<void()> on_shutdown)
    : ConnectionImpl(io, {}, false), on_shutdown_(std::move(on_shutdown)) {
  stack_ = "udp";
  remote_ = std::move(remote);
  local_ = std::move(local);
}

bool MulticastConnection::deliver(Message datagram, MessageContext ctx) {
  on_data(std::move(datagram), std::move(ctx));
  return !receive_buffer_full();
}

void MulticastConnection::start_writing() {
  while (has_outgoing()) {
    on_send_failed(pop_outgoing(), make_error(errc::receive_only, "send on a received multicast connection (from " +
                                                                      remote_ + "): it is receive-only"));
  }
}

void MulticastConnection::resume_reading() {
  if (on_room) on_room();
}

void MulticastConnection::shutdown_transport(bool) {
  on_room = nullptr;
  if (auto done = std::move(on_shutdown_)) done();
}

}  // namespace taps::detail
