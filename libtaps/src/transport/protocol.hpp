// The protocol stacks the engine can establish, and how one racing attempt of each
// starts: the registry that core's racer consults (DESIGN.md section 10). A stack is
// data here, not a type in core: a new one (QUIC) is a transport folder plus one entry
// in protocol_registry.cpp.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

struct Protocol {
  std::string_view name;  // the layers, top first: "tls/tcp"
  bool byte_stream;       // a stream (FIN ends it) rather than datagrams
  bool secure;            // has a TLS layer: its attempts need AttemptOptions::tls (quic: ::quic)
  std::shared_ptr<Attempt> (*connect)(asio::io_context& io, const AttemptTarget& target,
                                      const AttemptOptions& options, AttemptDone done);
  // Rendezvous (RFC 9622 section 7.3) from target.local_address and local_port, or null
  // when the stack cannot: TLS and QUIC need one side to be the server, and a
  // rendezvous does not say which.
  std::shared_ptr<Attempt> (*rendezvous)(asio::io_context& io, const AttemptTarget& target,
                                         const AttemptOptions& options, AttemptDone done);
};

// The registry: how to establish `stack`. Every Stack has an entry.
const Protocol& protocol_for(Stack stack);

}  // namespace taps::detail
