// The socket layer of multicast receive and send (RFC 3678 protocol-independent API):
// group memberships as RAII values, the receive socket's options, and the interface
// that routes toward a source or group. Asio 1.22 has options for ASM joins only.
#pragma once

#include <asio/ip/udp.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "taps/error.hpp"

namespace taps::detail {

// One (S,G) or (*,G) membership of a socket; leaving happens on destruction
// (MCAST_LEAVE_SOURCE_GROUP / MCAST_LEAVE_GROUP), before the socket closes.
class Membership {
 public:
  // Joins on `interface_index` (0: the kernel's choice). The error names the group,
  // the source and, on ENOBUFS, the sysctl whose limit was reached.
  static Result<Membership> join(asio::ip::udp::socket& socket, const asio::ip::address& group,
                                 const std::optional<asio::ip::address>& source, unsigned interface_index);

  // ASM exclude mode: no datagrams from `source` (MCAST_BLOCK_SOURCE); leaving the
  // group drops the block with it. The error names the sysctl on ENOBUFS.
  std::optional<Error> block(const asio::ip::address& source);

  Membership(Membership&& other) noexcept;
  Membership& operator=(Membership&& other) noexcept;
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;
  ~Membership();

 private:
  Membership(int fd, int level, int leave_option, std::vector<unsigned char> request)
      : fd_(fd), level_(level), leave_option_(leave_option), request_(std::move(request)) {}

  int fd_ = -1;  // not owned: the socket outlives its memberships
  int level_ = 0;
  int leave_option_ = 0;
  std::vector<unsigned char> request_;  // the group_req / group_source_req that joined
};

// The receive socket of a group: bound to GROUP:PORT with SO_REUSEADDR (other receivers
// on the host get every datagram too), no datagrams of groups joined by other sockets,
// the destination and interface of each datagram (IP_PKTINFO / IPV6_RECVPKTINFO), and
// a receive buffer of `receive_buffer` bytes (SO_RCVBUFFORCE first: it passes the
// net.core.rmem_max cap when we may). `warning` is set when the kernel gave less.
Result<asio::ip::udp::socket> open_receive_socket(asio::io_context& io, const asio::ip::address& group,
                                                  std::uint16_t port, int receive_buffer, std::string& warning);

// The index of the interface that routes toward `target` (the SSM source, or the
// group for ASM), or 0 when there is no route; the kernel then picks one itself.
unsigned interface_toward(const asio::ip::address& target);

// Name <-> index; nullopt / "" when there is no such interface.
std::optional<unsigned> interface_index(const std::string& name);
std::string interface_name(unsigned index);

// A send socket for GROUP:PORT: hop limit, loopback (off unless asked), the outgoing
// interface (0: by route), the source address (unset: any) and port (0: any) to bind.
Result<asio::ip::udp::socket> open_send_socket(asio::io_context& io, const asio::ip::udp::endpoint& group,
                                               int hop_limit, bool loopback, unsigned interface_index,
                                               const std::optional<asio::ip::address>& source,
                                               std::uint16_t source_port = 0);

}  // namespace taps::detail
