// Under the send-only Connection of an Initiate toward a multicast group. Messages queued
// during one turn of the event loop leave together: one sendmmsg per batch instead of
// one system call and one reactor operation per datagram, which is what a paced
// sender at hundreds of thousands of datagrams a second spends its time on. Runs of
// equal-sized datagrams go as one UDP GSO buffer each (UDP_SEGMENT): the kernel walks
// its stack once per run and cuts the datagrams at the end, each its own datagram on
// the wire. Where the path cannot segment (EIO), it falls back to one by one for good.
#pragma once

#include <asio/ip/udp.hpp>
#include <sys/socket.h>
#include <sys/uio.h>

#include <deque>
#include <memory>
#include <vector>

#include "transport/transport.hpp"

namespace taps::detail {

class MulticastSendTransport final : public Transport, public std::enable_shared_from_this<MulticastSendTransport> {
 public:
  // Takes the connected send socket (open_send_socket); `interface_name` is where it
  // sends (empty: by route), for the cause of a failed send in words.
  MulticastSendTransport(asio::ip::udp::socket socket, std::string interface_name = {});

  void start_writing() override;
  void resume_reading() override {}
  void shutdown(bool graceful) override;

 private:
  void start_reading() override {}
  void flush(TransportSink& sink);
  std::size_t prepare();
  // Moves queued messages into pending_ up to a batch; false when none is sendable.
  bool fill_pending(TransportSink& sink);
  void wait_writable();

  asio::ip::udp::socket socket_;
  // Popped from the queue, not yet accepted by the kernel, in order.
  std::deque<Outgoing> pending_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<std::uint64_t> control_;  // one UDP_SEGMENT cmsg per header, aligned
  std::vector<std::size_t> counts_;     // datagrams in each header
  std::string group_, interface_name_;
  bool gso_ = true;
  bool flush_posted_ = false;
  bool waiting_ = false;
};

}  // namespace taps::detail
