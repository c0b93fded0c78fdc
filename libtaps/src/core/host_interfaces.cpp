#include "core/host_interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "transport/interface_binding.hpp"

namespace taps::detail {
namespace {

using IfaddrsPtr = std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)>;

IfaddrsPtr host_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) list = nullptr;
  return IfaddrsPtr(list, &::freeifaddrs);
}

std::optional<asio::ip::address> address_of(const sockaddr* sa) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof sin);
    return asio::ip::address_v4(ntohl(sin.sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof sin6);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), sin6.sin6_addr.s6_addr, bytes.size());
    return asio::ip::address_v6(bytes, sin6.sin6_scope_id);
  }
  return std::nullopt;
}

// A socket descriptor closed when it goes out of scope.
struct OwnedFd {
  int fd;
  ~OwnedFd() {
    if (fd != -1) ::close(fd);
  }
};

}  // namespace

std::vector<HostInterface> up_interfaces() {
  auto list = host_addresses();
  std::vector<HostInterface> up;
  for (auto* i = list.get(); i; i = i->ifa_next) {
    if (!(i->ifa_flags & IFF_UP)) continue;
    bool known = false;
    for (const auto& u : up) known = known || u.name == i->ifa_name;
    if (!known) up.push_back({i->ifa_name, (i->ifa_flags & IFF_LOOPBACK) != 0});
  }
  std::sort(up.begin(), up.end(), [](const HostInterface& a, const HostInterface& b) {
    return ::if_nametoindex(a.name.c_str()) < ::if_nametoindex(b.name.c_str());
  });
  return up;
}

std::vector<InterfaceAddress> interface_addresses() {
  auto list = host_addresses();
  std::vector<InterfaceAddress> found;
  for (auto* i = list.get(); i; i = i->ifa_next) {
    if (!(i->ifa_flags & IFF_UP)) continue;
    if (auto a = address_of(i->ifa_addr)) found.push_back({i->ifa_name, *a, (i->ifa_flags & IFF_LOOPBACK) != 0});
  }
  return found;
}

std::optional<asio::ip::address> route_source(const asio::ip::address& remote, std::uint16_t port,
                                              const std::string& interface) {
  int family = remote.is_v6() ? AF_INET6 : AF_INET;
  OwnedFd s{::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd == -1) return std::nullopt;
  if (!interface.empty() && bind_to_interface(s.fd, family, interface)) return std::nullopt;
  sockaddr_storage to{};
  socklen_t size = 0;
  if (remote.is_v6()) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    auto bytes = remote.to_v6().to_bytes();
    std::memcpy(sin6.sin6_addr.s6_addr, bytes.data(), bytes.size());
    sin6.sin6_scope_id = static_cast<std::uint32_t>(remote.to_v6().scope_id());
    std::memcpy(&to, &sin6, sizeof sin6);
    size = sizeof sin6;
  } else {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(remote.to_v4().to_uint());
    std::memcpy(&to, &sin, sizeof sin);
    size = sizeof sin;
  }
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&to), size) != 0) return std::nullopt;
  sockaddr_storage local{};
  socklen_t local_size = sizeof local;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return std::nullopt;
  return address_of(reinterpret_cast<const sockaddr*>(&local));
}

}  // namespace taps::detail
