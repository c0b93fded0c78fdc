// Preconnection (RFC 9622 section 6): endpoints, properties and security
// parameters, from which Initiate makes a Connection and Listen a Listener.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/endpoint.hpp"
#include "taps/error.hpp"
#include "taps/framer.hpp"
#include "taps/listener.hpp"
#include "taps/properties.hpp"
#include "taps/security.hpp"

namespace taps {

namespace detail {
class ConnectionGroup;
}

// What Resolve (RFC 9622 section 7.1) found: the endpoints Initiate would use, each as
// specific as resolution makes it.
struct ResolvedEndpoints {
  // The local address of every path to a remote candidate (the one the routes choose, or
  // the local address given), with its interface and the local port asked for (if any).
  // Without a remote endpoint: the local address given, else every address of the
  // interface given, else of every interface that is up and not loopback.
  std::vector<LocalEndpoint> local;
  // Every remote address in the order Initiate tries them (IPv6 and IPv4 interleaved,
  // RFC 8305): its ipAddress and port, the hostName it came from, and the interface
  // it is bound to, if any.
  std::vector<RemoteEndpoint> remote;

  friend bool operator==(const ResolvedEndpoints&, const ResolvedEndpoints&) = default;
};
// Resolve's outcome: the endpoints, or why there are none (errc::name_resolution_failed).
using ResolveHandler = std::function<void(Result<ResolvedEndpoints>)>;

class Preconnection {
 public:
  Preconnection() = default;
  Preconnection(std::vector<LocalEndpoint> local, std::vector<RemoteEndpoint> remote,
                TransportProperties properties = {},
                SecurityParameters security = SecurityParameters::disabled())
      : local_(std::move(local)), remote_(std::move(remote)),
        properties_(std::move(properties)), security_(std::move(security)) {}

  Preconnection& add_local(LocalEndpoint e) { local_.push_back(std::move(e)); return *this; }
  Preconnection& add_remote(RemoteEndpoint e) { remote_.push_back(std::move(e)); return *this; }
  // Adds a framer on top of those already added (it runs first on output).
  Preconnection& add_framer(FramerSpec framer) { framers_.push_back(std::move(framer)); return *this; }
  const std::vector<FramerSpec>& framers() const noexcept { return framers_; }
  std::vector<FramerSpec>& framers() noexcept { return framers_; }

  const std::vector<LocalEndpoint>& local_endpoints() const noexcept { return local_; }
  const std::vector<RemoteEndpoint>& remote_endpoints() const noexcept { return remote_; }
  std::vector<LocalEndpoint>& local_endpoints() noexcept { return local_; }
  std::vector<RemoteEndpoint>& remote_endpoints() noexcept { return remote_; }
  const TransportProperties& transport_properties() const noexcept { return properties_; }
  TransportProperties& transport_properties() noexcept { return properties_; }
  const SecurityParameters& security_parameters() const noexcept { return security_; }
  SecurityParameters& security_parameters() noexcept { return security_; }

  // Checks the Preconnection without doing I/O: the errors Initiate and Listen would
  // return at once (no remote endpoint, bad address literal, unsatisfiable properties).
  std::optional<Error> validate_for_initiate() const;
  std::optional<Error> validate_for_listen() const;

  // Initiate: resolves, races the candidates, and emits ready or establishment_error.
  // Fails at once (no event) on a configuration error. `timeout` bounds the whole
  // establishment, race included (RFC 9622 section 7.1); unset: no bound.
  Result<Connection> initiate(Context& ctx, ConnectionHandlers handlers,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
  // InitiateWithSend (RFC 9622 section 7.2): Initiate with `message` as the first message,
  // sent before anything sent later. When it is safelyReplayable (9.1.3.4), no framer is
  // set and TCP is raced, TCP attempts open with TCP Fast Open: when the kernel holds a
  // cookie of the server (from an earlier connection), the message (as much of it as the
  // SYN holds) rides in the SYN, a round trip earlier; else it follows the handshake. A
  // message that is not safelyReplayable never goes in a SYN: a SYN may be replayed.
  // Other stacks send it first after ready. Its sent event (or send_error, expired)
  // follows ready, as send()'s would; errors as initiate's.
  Result<Connection> initiate_with_send(Context& ctx, Message message, MessageContext message_ctx,
                                        ConnectionHandlers handlers,
                                        std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
  // Rendezvous (RFC 9622 section 7.3): both peers call it, each with its own local
  // endpoint (a port is required) and the other as remote endpoint. Listens on the local
  // endpoint and connects from it to the peer, retrying every 100 ms while the peer is
  // not there yet; the first connection either way is the Connection (TCP: an accept,
  // a connect or a simultaneous open), announced with rendezvous_done instead of ready.
  // UDP: the socket is bound and connected, and rendezvous_done follows at once, as
  // ready does for Initiate; nothing checks that the peer is there (no ICE-style
  // connectivity checks). Only one stack is tried, the best the properties select, so
  // that both peers meet on it. TLS and QUIC are refused at once (errc::not_supported):
  // their handshake needs a client and a server. `timeout` as for Initiate (unset: wait
  // for the peer for ever); failure is establishment_error. Other configuration errors
  // as for Initiate, at once and without an event.
  Result<Connection> rendezvous(Context& ctx, ConnectionHandlers handlers,
                                std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
  // Resolve (RFC 9622 section 7.1): resolves the remote endpoints (A and AAAA apart, as
  // Initiate does) and derives the local ones, without connecting; `handler` runs once,
  // posted to the Context's thread. Fails at once (no call) on the configuration errors
  // that Initiate (or, without a remote endpoint, Listen) would return.
  std::optional<Error> resolve(Context& ctx, ResolveHandler handler) const;
  // Listen: binds every local endpoint and emits listening, then connection_received
  // per new peer (TCP: per accepted connection; UDP: per remote endpoint).
  Result<Listener> listen(Context& ctx, ListenerHandlers handlers) const;

  friend bool operator==(const Preconnection&, const Preconnection&) = default;

 private:
  friend class detail::ConnectionGroup;
  // Initiate into `group` (a clone), or into a new group when it is null; with
  // `first_message`, InitiateWithSend.
  Result<Connection> initiate(Context& ctx, ConnectionHandlers handlers, std::optional<std::chrono::milliseconds> timeout,
                              std::shared_ptr<detail::ConnectionGroup> group,
                              std::optional<std::pair<Message, MessageContext>> first_message = std::nullopt) const;

  std::vector<LocalEndpoint> local_;
  std::vector<RemoteEndpoint> remote_;
  TransportProperties properties_;
  SecurityParameters security_;
  std::vector<FramerSpec> framers_;  // in the order added: the first is nearest the transport
};

}  // namespace taps
