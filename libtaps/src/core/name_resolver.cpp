#include "core/name_resolver.hpp"

#include <ares.h>
#include <asio/post.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

namespace taps::detail {
namespace {

// What c-ares carries for a query: whose answer it is.
struct Request {
  NameResolver* resolver;
  NameResolver::QueryId id;
};

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

NameResolver::NameResolver(asio::io_context& io) : asio::execution_context::service(io), io_(io), timer_(io) {}

NameResolver::~NameResolver() { shutdown(); }

// Ends the queries (their callbacks find no handler) and closes the sockets, each
// announced through on_socket_state first.
void NameResolver::shutdown() {
  handlers_.clear();
  timer_.cancel();
  if (channel_) ares_destroy(channel_);
  channel_ = nullptr;
  for (auto& [fd, watch] : watches_) watch.descriptor->release();
  watches_.clear();
}

// Empty, or why the channel cannot be made.
std::string NameResolver::open_channel() {
  if (channel_) return {};
  if (!library_ready()) return "the resolver (c-ares) cannot start";
  ares_options options{};
  options.sock_state_cb = &NameResolver::on_socket_state;
  options.sock_state_cb_data = this;
  int status = ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB);
  if (status == ARES_SUCCESS) return {};
  channel_ = nullptr;
  return std::string("the resolver cannot start: ") + ares_strerror(status);
}

NameResolver::QueryId NameResolver::lookup(const std::string& host, Family family, Handler handler) {
  auto id = ++next_query_;
  handlers_.emplace(id, std::move(handler));
  if (auto error = open_channel(); !error.empty()) {
    asio::post(io_, [this, id, error] {
      auto it = handlers_.find(id);
      if (it == handlers_.end()) return;
      auto handler = std::move(it->second);
      handlers_.erase(it);
      handler({}, error);
    });
    return id;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = family == Family::v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;  // one node per address, not one per socket type
  // An answer from /etc/hosts comes inside this call: on_answer posts it.
  auto request = std::make_unique<Request>(Request{this, id});  // c-ares's until on_answer
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &NameResolver::on_answer, request.release());
  update_timer();
  return id;
}

void NameResolver::cancel(QueryId query) { handlers_.erase(query); }

void NameResolver::on_answer(void* arg, int status, int, ares_addrinfo* result) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> info(result, &ares_freeaddrinfo);
  auto& self = *request->resolver;
  if (status == ARES_EDESTRUCTION || !self.handlers_.contains(request->id)) return;
  std::vector<asio::ip::address> addresses;
  std::string error;
  if (status == ARES_SUCCESS) addresses = addresses_of(info.get());
  else error = ares_strerror(status);
  // The handler stays in handlers_ until it runs, so that cancel() still stops it.
  asio::post(self.io_, [resolver = &self, id = request->id, addresses = std::move(addresses),
                        error = std::move(error)]() mutable {
    auto it = resolver->handlers_.find(id);
    if (it == resolver->handlers_.end()) return;
    auto handler = std::move(it->second);
    resolver->handlers_.erase(it);
    handler(std::move(addresses), std::move(error));
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
  self.arm(fd);
}

void NameResolver::arm(int fd) {
  auto& watch = watches_.at(fd);
  if (!watch.descriptor->is_open()) return;
  auto wait = [this, &watch, fd](bool write) {
    watch.descriptor->async_wait(write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
                                 [this, fd, generation = watch.generation, write](std::error_code ec) {
                                   ready(fd, generation, write, ec);
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
  if (ec || !channel_) return;
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
  if (!channel_ || !ares_timeout(channel_, nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([this](std::error_code ec) {
    if (ec || !channel_) return;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    update_timer();
  });
}

}  // namespace taps::detail
