#include "transport/interface_binding.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace taps::detail {
namespace {

using IfaddrsPtr = std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)>;

IfaddrsPtr host_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) list = nullptr;
  return IfaddrsPtr(list, &::freeifaddrs);
}

// Without the privilege for SO_BINDTODEVICE, the source address picks the interface
// for most routes; a global address is preferred to a link-local one.
std::error_code bind_to_address_of(int fd, int family, const std::string& name) {
  auto list = host_addresses();
  const sockaddr* chosen = nullptr;
  for (auto* i = list.get(); i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family || name != i->ifa_name) continue;
    bool link_local = family == AF_INET6 &&
                      IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    if (!chosen || !link_local) chosen = i->ifa_addr;
    if (!link_local) break;
  }
  if (!chosen) return std::make_error_code(std::errc::address_not_available);
  socklen_t size = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (::bind(fd, chosen, size) != 0) return {errno, std::system_category()};
  return {};
}

}  // namespace

std::error_code bind_to_interface(int fd, int family, const std::string& name) {
  if (::if_nametoindex(name.c_str()) == 0) return std::make_error_code(std::errc::no_such_device);
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size())) == 0) return {};
  if (errno != EPERM) return {errno, std::system_category()};
  return bind_to_address_of(fd, family, name);
}

}  // namespace taps::detail
