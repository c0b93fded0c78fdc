#include "core/host_interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <memory>

namespace taps::detail {

std::vector<HostInterface> up_interfaces() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) list = nullptr;
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owned(list, &::freeifaddrs);
  std::vector<HostInterface> up;
  for (auto* i = list; i; i = i->ifa_next) {
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

}  // namespace taps::detail
