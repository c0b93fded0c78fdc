#include "transport/multicast_socket.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "transport/address.hpp"
#include "transport/multicast_errors.hpp"

namespace taps::detail {
namespace {

int level_of(const asio::ip::address& a) { return a.is_v4() ? IPPROTO_IP : IPPROTO_IPV6; }

sockaddr_storage storage_of(const asio::ip::address& a) {
  sockaddr_storage s{};
  asio::ip::udp::endpoint e(a, 0);
  std::memcpy(&s, e.data(), e.size());
  return s;
}

std::string read_sysctl(const char* path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value.empty() ? "?" : value;
}

// ENOBUFS from a join means a per-socket or per-host limit; say which knob raises it.
std::string limit_hint(const asio::ip::address& group, bool ssm) {
  if (group.is_v4()) {
    return ssm ? fmt::format(": the limit of sources per group and socket, net.ipv4.igmp_max_msf ({}), is reached",
                             read_sysctl("/proc/sys/net/ipv4/igmp_max_msf"))
               : fmt::format(": the limit of groups per socket, net.ipv4.igmp_max_memberships ({}), is reached",
                             read_sysctl("/proc/sys/net/ipv4/igmp_max_memberships"));
  }
  return ssm ? fmt::format(": the limit of sources per group and socket, net.ipv6.mld_max_msf ({}), is reached",
                           read_sysctl("/proc/sys/net/ipv6/mld_max_msf"))
             : ": the socket option memory limit, net.core.optmem_max, is reached";
}

template <class Option>
bool set_int(int fd, int level, int name, Option value) {
  int v = static_cast<int>(value);
  return ::setsockopt(fd, level, name, &v, sizeof v) == 0;
}

Error socket_failure(const std::string& what) {
  return make_error(errc::listener_failed, fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

Result<Membership> Membership::join(asio::ip::udp::socket& socket, const asio::ip::address& group,
                                    const std::optional<asio::ip::address>& source, unsigned interface_index) {
  int fd = socket.native_handle();
  int level = level_of(group);
  std::vector<unsigned char> request;
  int join = 0, leave = 0;
  if (source) {
    group_source_req r{};
    r.gsr_interface = interface_index;
    r.gsr_group = storage_of(group);
    r.gsr_source = storage_of(*source);
    request.assign(reinterpret_cast<unsigned char*>(&r), reinterpret_cast<unsigned char*>(&r) + sizeof r);
    join = MCAST_JOIN_SOURCE_GROUP;
    leave = MCAST_LEAVE_SOURCE_GROUP;
  } else {
    group_req r{};
    r.gr_interface = interface_index;
    r.gr_group = storage_of(group);
    request.assign(reinterpret_cast<unsigned char*>(&r), reinterpret_cast<unsigned char*>(&r) + sizeof r);
    join = MCAST_JOIN_GROUP;
    leave = MCAST_LEAVE_GROUP;
  }
  if (::setsockopt(fd, level, join, request.data(), static_cast<socklen_t>(request.size())) != 0) {
    int err = errno;
    std::string what = source ? fmt::format("join ({}, {})", source->to_string(), group.to_string())
                              : fmt::format("join (*, {})", group.to_string());
    if (interface_index != 0) what += " on " + interface_name(interface_index);
    if (err == ENOBUFS) {
      return make_error(errc::establishment_failed,
                        fmt::format("{}: {}{}", what, std::strerror(err), limit_hint(group, source.has_value())));
    }
    MulticastFailure failure{MulticastFailure::Action::join, err, group.to_string(),
                             source ? source->to_string() : std::string(), interface_name(interface_index)};
    return make_error(errc::establishment_failed, fmt::format("{}: {}", what, multicast_failure_text(failure)));
  }
  return Membership(fd, level, leave, std::move(request));
}

std::optional<Error> Membership::block(const asio::ip::address& source) {
  group_req joined{};
  std::memcpy(&joined, request_.data(), std::min(request_.size(), sizeof joined));
  group_source_req r{};
  r.gsr_interface = joined.gr_interface;
  r.gsr_group = joined.gr_group;
  r.gsr_source = storage_of(source);
  if (::setsockopt(fd_, level_, MCAST_BLOCK_SOURCE, &r, sizeof r) == 0) return std::nullopt;
  int err = errno;
  auto group = asio::ip::udp::endpoint();
  std::memcpy(group.data(), &joined.gr_group, joined.gr_group.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  std::string hint = err == ENOBUFS ? limit_hint(group.address(), true) : std::string();
  return make_error(errc::establishment_failed, fmt::format("exclude {} from (*, {}): {}{}", source.to_string(),
                                                            group.address().to_string(), std::strerror(err), hint));
}

Membership::Membership(Membership&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), level_(other.level_), leave_option_(other.leave_option_),
      request_(std::move(other.request_)) {}

Membership& Membership::operator=(Membership&& other) noexcept {
  if (this != &other) {
    Membership gone(std::move(*this));
    fd_ = std::exchange(other.fd_, -1);
    level_ = other.level_;
    leave_option_ = other.leave_option_;
    request_ = std::move(other.request_);
  }
  return *this;
}

Membership::~Membership() {
  if (fd_ >= 0) ::setsockopt(fd_, level_, leave_option_, request_.data(), static_cast<socklen_t>(request_.size()));
}

Result<asio::ip::udp::socket> open_receive_socket(asio::io_context& io, const asio::ip::address& group,
                                                  std::uint16_t port, int receive_buffer, std::string& warning) {
  asio::ip::udp::socket socket(io);
  asio::ip::udp::endpoint endpoint(group, port);
  std::string where = to_string(group, port);
  std::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) socket.bind(endpoint, ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) return make_error(errc::listener_failed, fmt::format("listen on {}: {}", where, ec.message()));
  int fd = socket.native_handle();
  bool ok = group.is_v4() ? set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) && set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) &&
                                set_int(fd, IPPROTO_IP, IP_RECVTTL, 1)
                          : set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) &&
                                set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) &&
                                set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  // The kernel's receive time of each datagram: rates and jitter without the delay of
  // batched reading in them.
  ok = ok && set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  if (!ok) return socket_failure("multicast socket options on " + where);
  if (!set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)) set_int(fd, SOL_SOCKET, SO_RCVBUF, receive_buffer);
  int granted = 0;
  socklen_t len = sizeof granted;
  // The kernel doubles the value for its bookkeeping and reports the doubled figure.
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &len) == 0 && granted / 2 < receive_buffer) {
    warning = fmt::format(
        "the receive buffer is {} bytes, not the {} asked for (net.core.rmem_max caps it; "
        "raise it with sysctl -w net.core.rmem_max={}, or run as root)",
        granted / 2, receive_buffer, receive_buffer);
  }
  return socket;
}

unsigned interface_toward(const asio::ip::address& target) {
  asio::io_context io;
  asio::ip::udp::socket probe(io);
  std::error_code ec;
  probe.open(target.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (!ec) probe.connect({target, 9}, ec);  // a UDP connect sends nothing: it only routes
  if (ec) return 0;
  auto local = probe.local_endpoint(ec).address();
  if (ec) return 0;
  if (local.is_v6() && local.to_v6().scope_id() != 0) return local.to_v6().scope_id();
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return 0;
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(list, &::freeifaddrs);
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
    asio::ip::udp::endpoint e;
    std::memcpy(e.data(), i->ifa_addr, i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    auto a = e.address();
    if (a.is_v6()) a = asio::ip::address_v6(a.to_v6().to_bytes());  // without scope, as `local` is
    if (a == local) return ::if_nametoindex(i->ifa_name);
  }
  return 0;
}

std::optional<unsigned> interface_index(const std::string& name) {
  unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return std::nullopt;
  return index;
}

std::string interface_name(unsigned index) {
  char name[IF_NAMESIZE] = {};
  if (index == 0 || !::if_indextoname(index, name)) return {};
  return name;
}

Result<asio::ip::udp::socket> open_send_socket(asio::io_context& io, const asio::ip::udp::endpoint& group,
                                               int hop_limit, bool loopback, unsigned interface_index,
                                               const std::optional<asio::ip::address>& source,
                                               std::uint16_t source_port) {
  asio::ip::udp::socket socket(io);
  std::error_code ec;
  std::string where = endpoint_string(group);
  socket.open(group.protocol(), ec);
  if (ec) return make_error(errc::establishment_failed, fmt::format("send to {}: {}", where, ec.message()));
  int fd = socket.native_handle();
  bool ok = true;
  if (group.address().is_v4()) {
    ok = set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, hop_limit) && set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loopback);
    if (ok && interface_index != 0) {
      ip_mreqn request{};
      request.imr_ifindex = static_cast<int>(interface_index);
      ok = ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request) == 0;
    }
  } else {
    ok = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hop_limit) &&
         set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loopback) &&
         (interface_index == 0 || set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, interface_index));
  }
  // What a failure below was about, for its cause in words.
  MulticastFailure failure{MulticastFailure::Action::send, 0, group.address().to_string(),
                           source ? source->to_string() : std::string(), interface_name(interface_index)};
  if (!ok) {
    failure.error = errno;
    return make_error(errc::establishment_failed,
                      fmt::format("multicast options for {}: {}", where, multicast_failure_text(failure)));
  }
  if (source || source_port != 0) {
    auto local = source ? *source
                        : group.address().is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                                  : asio::ip::address(asio::ip::address_v6::any());
    socket.bind({local, source_port}, ec);
  }
  if (!ec) socket.connect(group, ec);
  if (ec) {
    std::string from = source ? " from " + source->to_string() : std::string();
    if (source_port != 0) from += fmt::format(" (source port {})", source_port);
    std::string text = ec.message();
    if (ec.category() == std::system_category() || ec.category() == asio::error::get_system_category()) {
      failure.error = ec.value();
      text = multicast_failure_text(failure);
    }
    return make_error(errc::establishment_failed, fmt::format("send to {}{}: {}", where, from, text));
  }
  return socket;
}

}  // namespace taps::detail
