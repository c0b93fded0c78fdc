#include "transport/multicast_send_transport.hpp"

#include <netinet/udp.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "transport/address.hpp"
#include "transport/multicast_errors.hpp"
#include "transport/socket_error.hpp"
#include "transport/udp_transport.hpp"

namespace taps::detail {
namespace {

// Datagrams per flush: past a few hundred the system call's own cost is noise.
constexpr std::size_t batch_size = 256;
// The kernel's bounds for one GSO buffer: UDP_MAX_SEGMENTS, and a whole IP datagram.
constexpr std::size_t max_segments = 64;
constexpr std::size_t max_gso_bytes = 65507 - 8;
constexpr std::size_t control_words = (CMSG_SPACE(sizeof(std::uint16_t)) + 7) / 8;

}  // namespace

MulticastSendTransport::MulticastSendTransport(asio::ip::udp::socket socket, std::string interface_name)
    : Transport("udp"), socket_(std::move(socket)), headers_(batch_size), iovecs_(batch_size),
      control_(batch_size * control_words), counts_(batch_size), interface_name_(std::move(interface_name)) {
  note_endpoints(socket_);
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) group_ = remote.address().to_string();
  socket_.non_blocking(true, ec);
}

// Sends queued in the same handler as this one go out in the same batch.
void MulticastSendTransport::start_writing() {
  auto sink = sink_.lock();
  if (!sink || flush_posted_ || waiting_ || !socket_.is_open()) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this(), sink] {
    self->flush_posted_ = false;
    self->flush(*sink);
  });
}

bool MulticastSendTransport::fill_pending(TransportSink& sink) {
  sink.expire_outgoing();
  while (pending_.size() < batch_size && sink.has_outgoing()) {
    auto out = sink.pop_outgoing();
    if (out.message.size() > max_udp_payload) {
      sink.on_send_failed(std::move(out), make_error(errc::message_too_large,
                                                "message of " + std::to_string(out.message.size()) +
                                                    " bytes exceeds the UDP maximum of 65507"));
      continue;
    }
    pending_.push_back(std::move(out));
  }
  return !pending_.empty();
}

// Lays pending_[0..) out as headers: a run of datagrams of one size (the last of a run
// may be shorter) shares a header with a UDP_SEGMENT cmsg. Stops at a final marker.
// Returns the number of headers.
std::size_t MulticastSendTransport::prepare() {
  std::size_t headers = 0, i = 0;
  while (i < pending_.size() && headers < batch_size) {
    if (pending_[i].message.empty() && pending_[i].ctx.final) break;
    auto& h = headers_[headers];
    h = {};
    h.msg_hdr.msg_iov = &iovecs_[i];
    std::size_t size = pending_[i].message.size(), count = 0, bytes = 0;
    while (i < pending_.size() && count < (gso_ ? max_segments : 1)) {
      const auto& m = pending_[i].message;
      if ((m.empty() && pending_[i].ctx.final) || m.size() > size || m.empty() || bytes + m.size() > max_gso_bytes) {
        break;
      }
      iovecs_[i] = {const_cast<std::uint8_t*>(m.data()), m.size()};
      bytes += m.size();
      ++count;
      ++i;
      if (m.size() < size) break;  // a shorter one ends the run
    }
    if (count == 0) {  // an empty or a very large datagram: alone, without GSO
      const auto& m = pending_[i].message;
      iovecs_[i] = {const_cast<std::uint8_t*>(m.data()), m.size()};
      count = 1;
      ++i;
    }
    h.msg_hdr.msg_iovlen = count;
    if (count > 1) {
      auto* c = reinterpret_cast<cmsghdr*>(&control_[headers * control_words]);
      h.msg_hdr.msg_control = c;
      h.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      auto segment = static_cast<std::uint16_t>(size);
      std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    }
    counts_[headers++] = count;
  }
  return headers;
}

void MulticastSendTransport::flush(TransportSink& sink) {
  while (!waiting_ && socket_.is_open() && fill_pending(sink)) {
    std::size_t headers = prepare();
    if (headers == 0) {
      // A final message without bytes marks the end of sending; there is nothing to send for it.
      sink.on_sent(std::move(pending_.front()));
      pending_.pop_front();
      sink.on_final_sent();
      continue;
    }
    int n = ::sendmmsg(socket_.native_handle(), headers_.data(), static_cast<unsigned>(headers), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        wait_writable();
        return;
      }
      if (errno == EIO && gso_ && counts_[0] > 1) {
        gso_ = false;  // the route's device cannot segment: one by one from now on
        continue;
      }
      // The first datagram failed (a firewall, no route): it alone fails, as a
      // sendto() of it would; the next ones get their own try.
      std::error_code ec(errno, std::system_category());
      MulticastFailure failure{MulticastFailure::Action::send, errno, group_, {}, interface_name_};
      for (std::size_t k = 0; k < counts_[0]; ++k) {
        auto out = std::move(pending_.front());
        pending_.pop_front();
        sink.on_send_failed(std::move(out), Error{ec, "send to " + remote_ + ": " + multicast_failure_text(failure)});
      }
      continue;
    }
    for (int h = 0; h < n; ++h) {
      for (std::size_t k = 0; k < counts_[static_cast<std::size_t>(h)]; ++k) {
        auto out = std::move(pending_.front());
        pending_.pop_front();
        bool final = out.ctx.final;
        sink.on_sent(std::move(out));
        if (final) sink.on_final_sent();
      }
    }
  }
}

// Queued datagrams hold the Connection alive until they are out, as a write would.
void MulticastSendTransport::wait_writable() {
  auto sink = sink_.lock();
  if (!sink) return;
  waiting_ = true;
  socket_.async_wait(asio::socket_base::wait_write, [self = shared_from_this(), sink](std::error_code ec) {
    self->waiting_ = false;
    if (ec || !self->socket_.is_open()) return;
    self->flush(*sink);
  });
}

void MulticastSendTransport::shutdown(bool) {
  pending_.clear();
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace taps::detail
