#include "transport/multicast_receiver.hpp"

#include <asio/post.hpp>
#include <netinet/in.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "transport/socket_error.hpp"

namespace taps::detail {
namespace {

// 32 slots of 64 KiB: any UDP datagram fits whole; a batch costs one system call.
constexpr std::size_t batch_size = 32;
constexpr std::size_t slot_size = 65536;
// Batches read per readiness before other work of the loop gets a turn.
constexpr int batches_per_wakeup = 16;
// How long datagrams may gather in the socket buffer while a stream is flowing. At
// 100k pps a readiness wakeup per datagram costs two system calls per datagram; a
// 250 us pause turns that into a few calls per 25 datagrams. The default 4 MiB
// buffer holds over 3 ms at 500k pps of 1200-byte datagrams, so nothing is lost.
constexpr auto coalesce_delay = std::chrono::microseconds(250);
constexpr std::size_t control_words =
    (CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(int)) + 7) / 8;

struct Arrival {
  asio::ip::address destination;
  unsigned interface_index = 0;
  std::int64_t received_at_ns = 0;
  int hop_limit = -1;
};

Arrival parse_control(msghdr& h) {
  Arrival a;
  for (auto* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi_addr, bytes.size());
      a.destination = asio::ip::address_v4(bytes);
      a.interface_index = static_cast<unsigned>(info.ipi_ifindex);
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      std::memcpy(&a.hop_limit, CMSG_DATA(c), sizeof a.hop_limit);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      a.received_at_ns = static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, bytes.size());
      a.destination = asio::ip::address_v6(bytes);
      a.interface_index = info.ipi6_ifindex;
    }
  }
  return a;
}

}  // namespace

MulticastReceiver::MulticastReceiver(asio::ip::udp::socket socket, std::vector<Membership> memberships)
    : executor_(socket.get_executor()), memberships_(std::move(memberships)), headers_(batch_size), iovecs_(batch_size),
      senders_(batch_size), control_(batch_size * control_words), payload_(new std::uint8_t[batch_size * slot_size]),
      coalesce_timer_(executor_) {
  for (std::size_t i = 0; i < batch_size; ++i) prepare_header(i);
  fd_ = socket.release(setup_error_);
  if (setup_error_) return;
  readiness_ = std::make_unique<OneShotReadiness>(executor_, fd_, setup_error_);
}

MulticastReceiver::~MulticastReceiver() { close(); }

void MulticastReceiver::start(Sink sink, std::function<void(const asio::ip::udp::endpoint&)> on_truncated,
                              std::function<void(Error)> on_error) {
  sink_ = std::move(sink);
  on_truncated_ = std::move(on_truncated);
  on_error_ = std::move(on_error);
  if (setup_error_) {
    fail(setup_error_);
    return;
  }
  wait();
}

// The datagrams that filled the queue are waiting in the socket: read them at once.
void MulticastReceiver::resume() {
  if (!paused_) return;
  paused_ = false;
  read_soon();
}

void MulticastReceiver::read_soon() {
  if (waiting_ || !is_open()) return;
  waiting_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    self->waiting_ = false;
    if (self->is_open() && !self->paused_) self->read_batches();
  });
}

void MulticastReceiver::close() {
  memberships_.clear();  // each leaves its group while the socket is still open
  coalesce_timer_.cancel();
  if (readiness_) readiness_->close();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  sink_ = nullptr;
  on_truncated_ = nullptr;
  on_error_ = nullptr;
}

// A stream is flowing: look again after coalesce_delay without asking the reactor. If
// nothing came meanwhile, read_batches() finds the queue empty and goes back to waiting
// for readiness, so an idle socket costs nothing.
void MulticastReceiver::read_later() {
  if (waiting_ || !is_open()) return;
  waiting_ = true;
  coalesce_timer_.expires_after(coalesce_delay);
  coalesce_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    self->waiting_ = false;
    if (ec || !self->is_open() || self->paused_) return;
    self->read_batches();
  });
}

void MulticastReceiver::wait() {
  if (waiting_ || paused_ || !is_open()) return;
  waiting_ = true;
  readiness_->async_wait([self = shared_from_this()](std::error_code ec) {
    self->waiting_ = false;
    if (!self->is_open()) return;
    if (ec) {
      self->fail(ec);
      return;
    }
    self->read_batches();
  });
}

void MulticastReceiver::fail(std::error_code ec) {
  auto error = socket_error(ec, "receive");
  auto report = std::move(on_error_);
  close();
  if (report) report(std::move(error));
}

// msg_namelen and msg_controllen are outputs too: a slot that received a datagram
// starts from full sizes again before the next call.
void MulticastReceiver::prepare_header(std::size_t i) {
  iovecs_[i] = {payload_.get() + i * slot_size, slot_size};
  auto& h = headers_[i].msg_hdr;
  h.msg_name = senders_[i].data();
  h.msg_namelen = static_cast<socklen_t>(senders_[i].capacity());
  h.msg_iov = &iovecs_[i];
  h.msg_iovlen = 1;
  h.msg_control = &control_[i * control_words];
  h.msg_controllen = control_words * 8;
  h.msg_flags = 0;
}

void MulticastReceiver::read_batches() {
  for (int round = 0; round < batches_per_wakeup; ++round) {
    if (paused_ || !sink_) return;
    int n = ::recvmmsg(fd_, headers_.data(), batch_size, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait();
        return;
      }
      fail(std::error_code(errno, std::system_category()));
      return;
    }
    for (int i = 0; i < n && sink_; ++i) {
      auto& h = headers_[static_cast<std::size_t>(i)];
      auto& sender = senders_[static_cast<std::size_t>(i)];
      sender.resize(h.msg_hdr.msg_namelen);
      if (h.msg_hdr.msg_flags & MSG_TRUNC) {
        if (on_truncated_) on_truncated_(sender);
        continue;
      }
      auto arrival = parse_control(h.msg_hdr);
      Datagram d{sender, arrival.destination, arrival.interface_index,
                 payload_.get() + static_cast<std::size_t>(i) * slot_size, h.msg_len, arrival.received_at_ns,
                 arrival.hop_limit};
      if (!sink_(d)) paused_ = true;
    }
    for (int i = 0; i < n; ++i) prepare_header(static_cast<std::size_t>(i));
    // Fewer than asked: the queue was empty a moment ago. Whatever arrives since is
    // a new edge for the reactor, but while datagrams flow, gathering them is cheaper.
    if (static_cast<std::size_t>(n) < batch_size) {
      if (!paused_ && sink_) read_later();
      return;
    }
  }
  // Datagrams may be left: other work of the loop gets its turn first.
  if (!paused_ && sink_) read_soon();
}

}  // namespace taps::detail
