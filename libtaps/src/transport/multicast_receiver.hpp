// The receive side of a multicast Listener: one socket bound to GROUP:PORT, its group
// memberships, and a batched reader (recvmmsg) that hands each datagram over with its
// sender, destination and interface (RFC 9623 section 10.5).
#pragma once

#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <sys/socket.h>
#include <sys/uio.h>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "taps/error.hpp"
#include "transport/multicast_socket.hpp"
#include "transport/oneshot_readiness.hpp"

namespace taps::detail {

// One received datagram; the bytes are valid only during the call that gets it.
struct Datagram {
  const asio::ip::udp::endpoint& sender;
  const asio::ip::address& destination;  // the group it was sent to
  unsigned interface_index;              // where it arrived
  const std::uint8_t* data;
  std::size_t size;
  std::int64_t received_at_ns;  // the kernel's receive time (SO_TIMESTAMPNS), 0 if none
  int hop_limit;                // TTL / hop limit on arrival, -1 if unknown
};

class MulticastReceiver : public std::enable_shared_from_this<MulticastReceiver> {
 public:
  // Gets every datagram; returns false to pause reading until resume() (a receive
  // queue is full: the kernel buffer then absorbs, and its drops are counted there).
  using Sink = std::function<bool(const Datagram&)>;

  MulticastReceiver(asio::ip::udp::socket socket, std::vector<Membership> memberships);
  ~MulticastReceiver();
  MulticastReceiver(const MulticastReceiver&) = delete;
  MulticastReceiver& operator=(const MulticastReceiver&) = delete;

  // `on_truncated` is called per datagram larger than a receive slot (it is dropped);
  // `on_error` once if the socket fails.
  void start(Sink sink, std::function<void(const asio::ip::udp::endpoint&)> on_truncated,
             std::function<void(Error)> on_error);
  void resume();
  // Leaves every group and closes the socket; nothing is delivered afterwards.
  void close();

 private:
  void wait();
  void read_soon();
  void read_later();
  void read_batches();
  void prepare_header(std::size_t slot);
  void fail(std::error_code ec);

  bool is_open() const noexcept { return fd_ >= 0; }

  asio::any_io_executor executor_;
  // The socket, taken from asio so that its readiness comes through readiness_ only.
  int fd_ = -1;
  std::vector<Membership> memberships_;
  Sink sink_;
  std::function<void(const asio::ip::udp::endpoint&)> on_truncated_;
  std::function<void(Error)> on_error_;
  // Receive slots, kept between calls. The payload area is left uninitialised so
  // only the pages that datagrams touch count towards the process's memory.
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<asio::ip::udp::endpoint> senders_;
  std::vector<std::uint64_t> control_;  // aligned for cmsghdr
  std::unique_ptr<std::uint8_t[]> payload_;
  // While datagrams keep coming, reading runs on this timer instead of a readiness
  // wakeup per datagram (see read_later).
  asio::steady_timer coalesce_timer_;
  std::unique_ptr<OneShotReadiness> readiness_;
  std::error_code setup_error_;
  bool waiting_ = false;
  bool paused_ = false;
};

}  // namespace taps::detail
