#include "transport/datagram_send.hpp"

#include <netinet/in.h>

#include <cstring>

namespace taps::detail {

std::error_code send_datagram(int fd, std::span<const std::uint8_t> bytes, const sockaddr* to, socklen_t to_length,
                              bool ipv4, const DatagramOptions& options) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr*>(to);
  msg.msg_namelen = to ? to_length : 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(int)) * 2] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  std::size_t used = 0;
  auto add = [&](int level, int type, int value) {
    cmsghdr* c = used == 0 ? CMSG_FIRSTHDR(&msg) : CMSG_NXTHDR(&msg, reinterpret_cast<cmsghdr*>(control));
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &value, sizeof value);
    used += CMSG_SPACE(sizeof(int));
  };
  if (options.dscp) {
    int tos = *options.dscp << 2;  // ECN bits left to the kernel
    if (ipv4) {
      add(IPPROTO_IP, IP_TOS, tos);
    } else {
      add(IPPROTO_IPV6, IPV6_TCLASS, tos);
    }
  }
  if (options.dont_fragment && !ipv4) add(IPPROTO_IPV6, IPV6_DONTFRAG, 1);
  msg.msg_controllen = used;
  if (used == 0) msg.msg_control = nullptr;

  // IPv4 has no per-datagram Don't Fragment: set it on the socket for this send only.
  int saved_pmtud = -1;
  if (options.dont_fragment && ipv4) {
    socklen_t length = sizeof saved_pmtud;
    int pmtud_do = IP_PMTUDISC_DO;
    if (::getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &saved_pmtud, &length) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtud_do, sizeof pmtud_do) != 0) {
      return {errno, std::system_category()};
    }
  }
  std::error_code ec;
  if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) ec = {errno, std::system_category()};
  if (saved_pmtud >= 0) ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &saved_pmtud, sizeof saved_pmtud);
  return ec;
}

std::optional<int> path_mtu(int fd, bool ipv4) {
  int mtu = 0;
  socklen_t length = sizeof mtu;
  int rc = ipv4 ? ::getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &length) : ::getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &length);
  if (rc != 0 || mtu <= 0) return std::nullopt;
  return mtu;
}

}  // namespace taps::detail
