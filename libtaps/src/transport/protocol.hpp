// The protocol stacks the engine can establish, and how one racing attempt of each
// starts: the registry that core's racer consults (DESIGN.md section 10). A stack is
// data here, not a type in core: a new one (QUIC) is a transport folder plus one entry
// in protocol_registry.cpp.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "taps/properties.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

class TlsContext;
class QuicTlsContext;

// One leaf of the candidate tree, in socket terms.
struct AttemptTarget {
  asio::ip::address address;
  std::uint16_t port = 0;
  std::string host_name;       // the name it was resolved from (TLS verifies it); empty for a literal
  std::string interface_name;  // bind to this interface first; empty: the kernel's route
  std::optional<asio::ip::address> local_address;  // bind before connecting (-s, -p)
  std::uint16_t local_port = 0;
};

// What every attempt of one Initiate shares.
struct AttemptOptions {
  std::shared_ptr<TlsContext> tls;  // tls/tcp: every session comes from it
  std::shared_ptr<QuicTlsContext> quic;  // quic: every connection's GnuTLS session comes from it
  // InitiateWithSend with a safelyReplayable first message (RFC 9622 7.2, 9.1.3.4): its
  // bytes, for the stacks that can carry them in their handshake (tcp: TCP Fast Open).
  // Every attempt may send them: replaying them is what the application allowed.
  std::shared_ptr<const std::vector<std::uint8_t>> early_data;
};

// One attempt under way. cancel() stops it and closes its socket; no callback follows.
class Attempt {
 public:
  virtual ~Attempt() = default;
  virtual void cancel() = 0;
};

// Called once (never from inside connect): the established transport, or why the
// attempt failed ("Connection refused", "TLS handshake failed: ...").
using AttemptDone = std::function<void(std::shared_ptr<Transport> transport, std::string error)>;

// The serving side of a stack that takes a UDP socket of its own and tells its
// connections apart in user space (quic): each stream a peer opens comes up as a Transport.
class DatagramServer {
 public:
  struct Events {
    // A peer opened a stream (or connection): the Listener's next Connection.
    std::function<void(std::shared_ptr<Transport>)> new_stream;
    // A client's handshake failed ("ADDR:PORT: why"): the Listener goes on.
    std::function<void(std::string)> handshake_failed;
  };

  virtual ~DatagramServer() = default;
  virtual void start() = 0;
  // No new connections; those accepted go on until they end.
  virtual void stop_accepting() = 0;
  virtual std::string local_endpoint() const = 0;
};

struct Protocol {
  Stack stack;
  std::string_view name;  // the layers, top first: "tls/tcp"
  bool byte_stream;       // a stream (FIN ends it) rather than datagrams
  bool secure;            // has a TLS layer: its attempts need AttemptOptions::tls (quic: ::quic)
  // The selection properties (RFC 9622 6.2) the stack offers, as RFC 9623 10.1 and 10.2
  // say of its transport; a TLS layer adds security, not transport features. Properties
  // that do not depend on the stack (useTemporaryLocalAddress, softErrorNotify,
  // activeReadBeforeSend) are in no list: no stack is pruned or ranked by them.
  std::span<const std::string_view> offers;
  // Selected only when this selection property is set explicitly to require or prefer;
  // empty: always a candidate.
  std::string_view only_when_asked;
  // The same stack without its security layer, for opportunistic security's fall-back.
  std::optional<Stack> without_security;
  std::shared_ptr<Attempt> (*connect)(asio::io_context& io, const AttemptTarget& target,
                                      const AttemptOptions& options, AttemptDone done);
  // Rendezvous (RFC 9622 section 7.3) from target.local_address and local_port, or null
  // when the stack cannot: TLS and QUIC need one side to be the server, and a
  // rendezvous does not say which.
  std::shared_ptr<Attempt> (*rendezvous)(asio::io_context& io, const AttemptTarget& target,
                                         const AttemptOptions& options, AttemptDone done);
  // Serving on a bound UDP socket, for stacks that demultiplex in user space; null for
  // tcp, tls/tcp and udp, whose listening sockets core's Listener drives itself.
  std::shared_ptr<DatagramServer> (*serve)(asio::ip::udp::socket socket, const AttemptOptions& options,
                                           DatagramServer::Events events);
};

// The registry: how to establish `stack`. Every Stack has an entry.
const Protocol& protocol_for(Stack stack);
// Every entry, in the order that breaks ties in stack selection.
std::span<const Protocol* const> all_protocols();

}  // namespace taps::detail
