#include "core/name_resolver.hpp"

#include <ares.h>
#include <asio/post.hpp>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

namespace taps::detail {

struct NameResolver::Request {
  std::weak_ptr<NameResolver> owner;
  Handler handler;
};

namespace {

// c-ares sets up its process-wide state once, before the first channel.
bool library_ready() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status == ARES_SUCCESS;
}

std::vector<asio::ip::address> addresses_of(const ares_addrinfo* info) {
  std::vector<asio::ip::address> addresses;
  for (auto* node = info ? info->nodes : nullptr; node; node = node->ai_next) {
    if (node->ai_family == AF_INET && node->ai_addrlen >= sizeof(sockaddr_in)) {
      sockaddr_in sin{};
      std::memcpy(&sin, node->ai_addr, sizeof sin);
      addresses.emplace_back(asio::ip::address_v4(ntohl(sin.sin_addr.s_addr)));
    } else if (node->ai_family == AF_INET6 && node->ai_addrlen >= sizeof(sockaddr_in6)) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, node->ai_addr, sizeof sin6);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), sin6.sin6_addr.s6_addr, bytes.size());
      addresses.emplace_back(asio::ip::address_v6(bytes, sin6.sin6_scope_id));
    }
  }
  return addresses;
}

}  // namespace

NameResolver::NameResolver(asio::io_context& io) : io_(io), timer_(io) {}

Result<std::shared_ptr<NameResolver>> NameResolver::make(asio::io_context& io) {
  if (!library_ready()) return make_error(errc::name_resolution_failed, "the resolver (c-ares) cannot start");
  std::shared_ptr<NameResolver> resolver(new NameResolver(io));
  ares_options options{};
  options.sock_state_cb = &NameResolver::on_socket_state;
  options.sock_state_cb_data = resolver.get();
  int status = ares_init_options(&resolver->channel_, &options, ARES_OPT_SOCK_STATE_CB);
  if (status != ARES_SUCCESS) {
    resolver->channel_ = nullptr;
    return make_error(errc::name_resolution_failed, fmt::format("the resolver cannot start: {}", ares_strerror(status)));
  }
  return resolver;
}

NameResolver::~NameResolver() {
  cancelled_ = true;
  // Ends the requests (their callbacks see a resolver that is gone) and closes the
  // sockets, each announced through on_socket_state first.
  if (channel_) ares_destroy(channel_);
  for (auto& [fd, watch] : watches_) watch.descriptor->release();
}

void NameResolver::lookup(const std::string& host, Family family, Handler handler) {
  auto request = std::make_unique<Request>(Request{weak_from_this(), std::move(handler)});
  ares_addrinfo_hints hints{};
  hints.ai_family = family == Family::v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;  // one node per address, not one per socket type
  // An answer from /etc/hosts comes inside this call: on_answer posts it.
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &NameResolver::on_answer, request.release());
  update_timer();
}

void NameResolver::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  timer_.cancel();
  for (auto& [fd, watch] : watches_) watch.descriptor->cancel();
  ares_cancel(channel_);
}

void NameResolver::on_answer(void* arg, int status, int, ares_addrinfo* result) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> info(result, &ares_freeaddrinfo);
  auto self = request->owner.lock();
  if (!self || self->cancelled_ || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  std::vector<asio::ip::address> addresses;
  std::string error;
  if (status == ARES_SUCCESS) addresses = addresses_of(info.get());
  else error = ares_strerror(status);
  asio::post(self->io_, [owner = request->owner, handler = std::move(request->handler),
                         addresses = std::move(addresses), error = std::move(error)]() mutable {
    auto self = owner.lock();
    if (self && !self->cancelled_) handler(std::move(addresses), std::move(error));
  });
}

// c-ares opens, watches and closes its own sockets (UDP, and TCP for truncated
// answers); it tells what it waits for, and nothing once it is about to close one.
void NameResolver::on_socket_state(void* data, int fd, int readable, int writable) {
  auto& self = *static_cast<NameResolver*>(data);
  if (!readable && !writable) {
    auto it = self.watches_.find(fd);
    if (it == self.watches_.end()) return;
    it->second.descriptor->release();  // ends its waits; c-ares closes the descriptor
    self.watches_.erase(it);
    return;
  }
  auto& watch = self.watches_[fd];
  if (!watch.descriptor) {
    watch.descriptor = std::make_unique<asio::posix::stream_descriptor>(self.io_);
    watch.generation = ++self.next_generation_;
    std::error_code ec;
    // Unwatched, the socket still times out through the timer: the query fails, slowly.
    watch.descriptor->assign(fd, ec);
    if (ec) return;
  }
  watch.want_read = readable != 0;
  watch.want_write = writable != 0;
  if (!self.cancelled_) self.arm(fd);
}

void NameResolver::arm(int fd) {
  auto& watch = watches_.at(fd);
  if (!watch.descriptor->is_open()) return;
  auto wait = [this, &watch, fd](bool write) {
    watch.descriptor->async_wait(write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
                                 [weak = weak_from_this(), fd, generation = watch.generation, write](std::error_code ec) {
                                   if (auto self = weak.lock()) self->ready(fd, generation, write, ec);
                                 });
  };
  if (watch.want_read && !watch.reading) {
    watch.reading = true;
    wait(false);
  }
  if (watch.want_write && !watch.writing) {
    watch.writing = true;
    wait(true);
  }
}

void NameResolver::ready(int fd, unsigned generation, bool write, std::error_code ec) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second.generation != generation) return;
  (write ? it->second.writing : it->second.reading) = false;
  if (ec || cancelled_) return;
  ares_process_fd(channel_, write ? ARES_SOCKET_BAD : fd, write ? fd : ARES_SOCKET_BAD);
  // c-ares may have closed that socket meanwhile, and even opened another one under the
  // same number.
  it = watches_.find(fd);
  if (it != watches_.end() && it->second.generation == generation) arm(fd);
  update_timer();
}

// c-ares's retransmissions and query timeouts: one timer, set to its next deadline
// after every call into it.
void NameResolver::update_timer() {
  timeval tv{};
  if (cancelled_ || !ares_timeout(channel_, nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->cancelled_) return;
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->update_timer();
  });
}

}  // namespace taps::detail
