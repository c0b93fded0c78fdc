// A Session over plain TCP hands its descriptors to the Connection (the _taps
// send_from / receive_into actions): splice(2) from and into pipes, sendfile(2) from a
// regular file on stdin. Bulk transfers then skip two copies through user space and
// most system calls. Whatever needs to see the bytes keeps the pump of session.cpp:
// lines, UDP, a shared stdout (-k), --send-only, -w (it watches each chunk), TLS (the
// Connection refuses), and descriptors of other kinds (a terminal, a socket).
#include "taps-cat/session.hpp"

namespace taps_cat {

bool Session::send_input_in_kernel() {
  if (config_.datagrams || config_.lines || config_.datagram_lines || config_.idle.count() > 0 || !input_) return false;
  taps::MessageContext ctx;
  ctx.final = true;  // stdin's end is ours, as after a last read
  if (!connection_.send_from(input_->native_handle(), std::move(ctx))) return false;
  input_ended_ = true;
  final_queued_ = true;
  unsent_sizes_.push_back(0);
  return true;
}

bool Session::receive_output_in_kernel() {
  if (config_.datagrams || config_.lines || config_.idle.count() > 0 || config_.shared_output || config_.discard_output) {
    return false;
  }
  if (connection_.receive_into(output_->native_handle())) return false;
  output_in_kernel_ = true;
  return true;
}

std::uint64_t Session::total_sent() const { return bytes_sent_ + connection_.bytes_sent_from_descriptors(); }

std::uint64_t Session::total_received() const {
  return bytes_received_ + connection_.bytes_received_into_descriptor();
}

}  // namespace taps_cat
