// PathChange (RFC 9622 8.3.2): the kernel's reports of addresses and links (rtnetlink)
// turned into events for the Connections whose path they touch. One netlink socket
// per Context, open only while some Connection watches: a Connection without a
// path_change handler costs nothing.
#pragma once

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "taps/connection.hpp"

namespace taps::detail {

class PathMonitor : public asio::execution_context::service {
 public:
  using key_type = PathMonitor;
  static inline asio::execution_context::id id;

  explicit PathMonitor(asio::execution_context& owner);

  // Watches the path of a Connection whose local address is `local` ("ADDR:PORT" in
  // the events). Called on the loop's thread; `changed` too. Watching ends when the
  // returned handle goes; an error (no netlink here) leaves it empty.
  std::shared_ptr<void> watch(const asio::ip::address& local, std::string local_text,
                              std::function<void(const PathChange&)> changed);

 private:
  struct Watch {
    asio::ip::address local;
    std::string local_text;
    unsigned interface_index = 0;
    std::string interface_name;
    bool link_up = true;
    std::function<void(const PathChange&)> changed;
  };

  void shutdown() override;
  bool open();
  void read();
  void handle(const unsigned char* data, std::size_t size);
  void address_removed(const asio::ip::address& address);
  void link_changed(unsigned index, bool up);
  void unwatch(std::uint64_t key);

  asio::io_context& io_;
  std::optional<asio::posix::stream_descriptor> socket_;
  std::map<std::uint64_t, Watch> watches_;
  std::uint64_t next_key_ = 1;
  // Handles and pending reads check it: after shutdown the service is going away.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace taps::detail
