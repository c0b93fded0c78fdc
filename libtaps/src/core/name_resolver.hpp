// Host name lookups on the event loop, through c-ares: /etc/hosts first, then the DNS
// servers of /etc/resolv.conf, as glibc does; no thread. Asio's resolver runs every
// getaddrinfo() on one private thread, so an A query waited behind a slow AAAA query,
// which defeats RFC 8305's separate queries exactly when AAAA is slow. Here each query
// is its own c-ares request and its answer comes as soon as it is there.
//
// One c-ares channel per io_context, kept as an Asio service: its sockets are watched
// with Asio (c-ares says which, through its socket state callback), its retransmission
// timeouts run on one steady_timer, and when the io_context goes, the service ends every
// query and drops its handler, so that a handler may hold its owner strongly.
#pragma once

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct ares_channeldata;
struct ares_addrinfo;

namespace taps::detail {

class NameResolver : public asio::execution_context::service {
 public:
  using key_type = NameResolver;
  static inline asio::execution_context::id id;

  enum class Family { v4, v6 };
  // Either addresses (in RFC 6724 order, possibly none) or why there are none; always
  // posted, never called from inside lookup().
  using Handler = std::function<void(std::vector<asio::ip::address> addresses, std::string error)>;
  using QueryId = std::uint64_t;

  explicit NameResolver(asio::io_context& io);
  ~NameResolver() override;

  // One query: A for v4, AAAA for v6. The handler runs once, unless cancel() comes
  // first. The channel is made at the first lookup (reading /etc/resolv.conf then).
  QueryId lookup(const std::string& host, Family family, Handler handler);
  // Drops the handler of that query at once; nothing runs for it.
  void cancel(QueryId query);

 private:
  // A socket of c-ares on the loop. The descriptor is never closed here: c-ares owns it,
  // and says when it is done with it (neither readable nor writable wanted).
  struct Watch {
    std::unique_ptr<asio::posix::stream_descriptor> descriptor;
    unsigned generation = 0;  // tells a stale wait on a reused descriptor number apart
    bool want_read = false, want_write = false;
    bool reading = false, writing = false;  // a wait is pending
  };

  void shutdown() override;
  std::string open_channel();
  static void on_socket_state(void* self, int fd, int readable, int writable);
  static void on_answer(void* request, int status, int timeouts, ares_addrinfo* result);
  void arm(int fd);
  void ready(int fd, unsigned generation, bool write, std::error_code ec);
  void update_timer();

  asio::io_context& io_;
  ares_channeldata* channel_ = nullptr;
  std::map<QueryId, Handler> handlers_;  // of the queries in flight that still want an answer
  QueryId next_query_ = 0;
  std::map<int, Watch> watches_;  // the c-ares sockets, by descriptor
  unsigned next_generation_ = 0;
  asio::steady_timer timer_;
};

}  // namespace taps::detail
