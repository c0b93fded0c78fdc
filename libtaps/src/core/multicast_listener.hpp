// A multicast Listener (RFC 9622 section 6.1.1, RFC 9623 section 10.5): joins a group
// (ASM) or a group from given sources (SSM) and delivers one Connection per sender.
//
// The socket and its memberships are shared by the Listener and the Connections it
// received: stop() ends new senders, and the groups are left once the Listener has
// stopped and its last Connection has closed (at once when there is none), or when
// nothing holds the Listener any more.
#pragma once

#include <asio/ip/udp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taps/framer.hpp"
#include "taps/listener.hpp"

namespace taps::detail {

class MulticastReceiver;
class MulticastReceiveTransport;
struct Datagram;

struct MulticastSpec {
  asio::ip::address group;
  std::uint16_t port = 0;
  std::vector<asio::ip::address> sources;  // empty: any source (ASM)
  std::vector<asio::ip::address> excluded;  // ASM: but not these
  std::optional<std::string> interface_name;  // none: the interface routing toward each source (or the group)
  int receive_buffer = 4 << 20;
  std::vector<FramerSpec> framers;
};

class MulticastListener : public std::enable_shared_from_this<MulticastListener> {
 public:
  MulticastListener(asio::io_context& io, ListenerHandlers handlers, MulticastSpec spec);
  // Leaves the groups: the Listener handle and every Connection it received are gone.
  ~MulticastListener();
  MulticastListener(const MulticastListener&) = delete;
  MulticastListener& operator=(const MulticastListener&) = delete;

  // Opens, joins, then emits listening and one joined per membership, or
  // establishment_error. Posted: nothing happens inside this call.
  void start();
  void stop();
  void set_new_connection_limit(std::size_t n) { limit_ = n; }

 private:
  void open();
  bool on_datagram(const Datagram& d);
  std::shared_ptr<MulticastReceiveTransport> new_sender(const asio::ip::udp::endpoint& sender);
  const std::string& local_string(const asio::ip::address& destination);
  const MessageContext& context_for(unsigned interface_index);
  void forget(const asio::ip::udp::endpoint& sender);
  void maybe_close();
  void fail(Error error);

  asio::io_context& io_;
  ListenerHandlers handlers_;
  MulticastSpec spec_;
  std::shared_ptr<MulticastReceiver> receiver_;
  // Each sender's Connection owns its transport: the Listener hands datagrams to that.
  std::map<asio::ip::udp::endpoint, std::weak_ptr<MulticastReceiveTransport>> senders_;
  // The last sender seen: most batches come from one sender, so its lookup is skipped.
  asio::ip::udp::endpoint last_sender_;
  std::weak_ptr<MulticastReceiveTransport> last_transport_;
  std::string local_;                       // GROUP:PORT
  // Per arrival interface, the metadata every datagram's context carries: copies share it.
  std::map<unsigned, MessageContext> contexts_;
  std::string other_local_;                 // a destination other than the group (rare)
  std::optional<std::size_t> limit_;
  std::uint64_t truncated_ = 0;
  bool stopped_ = false;
};

}  // namespace taps::detail
