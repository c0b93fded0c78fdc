#include "core/path_monitor.hpp"

#include <asio/error.hpp>

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace taps::detail {
namespace {

std::optional<asio::ip::address> address_of(const unsigned char* data, std::size_t size, int family) {
  if (family == AF_INET && size >= 4) {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), data, b.size());
    return asio::ip::address_v4(b);
  }
  if (family == AF_INET6 && size >= 16) {
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), data, b.size());
    return asio::ip::address_v6(b);
  }
  return std::nullopt;
}

std::optional<asio::ip::address> address_of(const sockaddr* sa) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    return address_of(reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr), 4,
                      AF_INET);
  }
  if (sa->sa_family == AF_INET6) {
    return address_of(reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr), 16,
                      AF_INET6);
  }
  return std::nullopt;
}

// The interface that holds `local` (a local query, no waiting); empty when none does
// (a wildcard, or an address already gone).
std::pair<unsigned, std::string> interface_of(const asio::ip::address& local) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::pair<unsigned, std::string> found;
  for (auto* i = list; i; i = i->ifa_next) {
    if (address_of(i->ifa_addr) == local) {
      found = {::if_nametoindex(i->ifa_name), i->ifa_name};
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

asio::ip::address comparable(asio::ip::address a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

PathMonitor::PathMonitor(asio::execution_context& owner)
    : asio::execution_context::service(owner), io_(static_cast<asio::io_context&>(owner)) {}

std::shared_ptr<void> PathMonitor::watch(const asio::ip::address& local, std::string local_text,
                                         std::function<void(const PathChange&)> changed) {
  if (!socket_ && !open()) return nullptr;
  Watch w;
  w.local = comparable(local);
  w.local_text = std::move(local_text);
  std::tie(w.interface_index, w.interface_name) = interface_of(w.local);
  w.changed = std::move(changed);
  auto key = next_key_++;
  watches_.emplace(key, std::move(w));
  // The handle may outlive the Context's loop: it then finds no service to tell.
  return std::shared_ptr<void>(nullptr, [this, key, alive = std::weak_ptr<int>(alive_)](void*) {
    if (alive.lock()) unwatch(key);
  });
}

bool PathMonitor::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  sockaddr_nl nl{};
  nl.nl_family = AF_NETLINK;
  nl.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&nl), sizeof nl) != 0) {
    ::close(fd);
    return false;
  }
  socket_.emplace(io_, fd);
  read();
  return true;
}

void PathMonitor::read() {
  socket_->async_wait(asio::posix::stream_descriptor::wait_read, [this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (ec || !alive.lock() || !socket_) return;
    std::array<unsigned char, 16384> buffer;
    for (;;) {
      ssize_t n = ::recv(socket_->native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      // ENOBUFS: the kernel dropped reports; the next ones still come.
      if (n < 0 && errno == ENOBUFS) continue;
      if (n <= 0) break;
      handle(buffer.data(), static_cast<std::size_t>(n));
      if (!socket_) return;
    }
    read();
  });
}

void PathMonitor::handle(const unsigned char* data, std::size_t size) {
  for (auto* h = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(h, size); h = NLMSG_NEXT(h, size)) {
    if (h->nlmsg_type == RTM_DELADDR) {
      const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
      int length = IFA_PAYLOAD(h);
      for (auto* rta = IFA_RTA(ifa); RTA_OK(rta, length); rta = RTA_NEXT(rta, length)) {
        if (rta->rta_type != IFA_LOCAL && rta->rta_type != IFA_ADDRESS) continue;
        if (auto a = address_of(static_cast<const unsigned char*>(RTA_DATA(rta)), RTA_PAYLOAD(rta), ifa->ifa_family)) {
          address_removed(*a);
        }
      }
    } else if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
      const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
      bool up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
      link_changed(static_cast<unsigned>(ifi->ifi_index), up);
    }
  }
}

// Each watcher hears a change once: the same address reported twice (IFA_LOCAL and
// IFA_ADDRESS) or a link reported up again while up is no change of its path.
void PathMonitor::address_removed(const asio::ip::address& address) {
  std::vector<std::pair<std::function<void(const PathChange&)>, PathChange>> calls;
  for (auto& [key, w] : watches_) {
    if (w.local != address || w.local.is_unspecified()) continue;
    calls.emplace_back(w.changed, PathChange{w.local_text, w.interface_name, "local address removed"});
    w.local = asio::ip::address();
  }
  for (auto& [fn, change] : calls) fn(change);
}

void PathMonitor::link_changed(unsigned index, bool up) {
  std::vector<std::pair<std::function<void(const PathChange&)>, PathChange>> calls;
  for (auto& [key, w] : watches_) {
    if (w.interface_index != index || w.link_up == up) continue;
    w.link_up = up;
    calls.emplace_back(w.changed, PathChange{w.local_text, w.interface_name, up ? "interface up" : "interface down"});
  }
  for (auto& [fn, change] : calls) fn(change);
}

void PathMonitor::unwatch(std::uint64_t key) {
  watches_.erase(key);
  if (watches_.empty() && socket_) {
    std::error_code ignored;
    socket_->close(ignored);
    socket_.reset();
  }
}

void PathMonitor::shutdown() {
  watches_.clear();
  alive_.reset();
  if (socket_) {
    std::error_code ignored;
    socket_->close(ignored);
    socket_.reset();
  }
}

}  // namespace taps::detail
