// A connection group (RFC 9622 section 7.4): the Connections made from one Initiate and
// its clones share it. It holds what is group-wide: the connection properties (all but
// connPriority, which each Connection keeps), so that a property set on one Connection
// is seen by all; the Preconnection clones are made from; groupConnLimit; and, with
// isolateSession, a TLS context of its own so that no session ticket crosses the group's
// border. Without isolateSession the group's tickets are those of the Context's client
// TLS context, kept per server, where every clone finds the ones its group received.
// Over QUIC the group is one QUIC connection (a StreamSession) and its Connections are
// its streams: clones open streams, close_all and abort_all close the QUIC connection,
// and the streams the peer opens toward an initiating side are offered to its members'
// stream_received (DESIGN.md section 10).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/error.hpp"
#include "taps/framer.hpp"
#include "taps/preconnection.hpp"
#include "taps/properties.hpp"

namespace taps::detail {

class ConnectionImpl;
class StreamSession;
class TlsContext;

class ConnectionGroup : public std::enable_shared_from_this<ConnectionGroup> {
 public:
  // A group that cannot clone (the Connections a Listener accepts). `properties`: the
  // Preconnection's; keepAlive decides whether keepAliveTimeout applies.
  explicit ConnectionGroup(TransportProperties properties);
  // The group of an Initiate: clones are made from `origin` on `context`, each with
  // Initiate's `timeout`.
  ConnectionGroup(Context& context, Preconnection origin, std::optional<std::chrono::milliseconds> timeout);
  ~ConnectionGroup();
  ConnectionGroup(const ConnectionGroup&) = delete;
  ConnectionGroup& operator=(const ConnectionGroup&) = delete;

  // A number per group, unique in the process (taps-cat --json "group").
  std::uint64_t id() const noexcept { return id_; }
  const TransportProperties& transport_properties() const noexcept { return properties_; }
  const ConnectionProperties& properties() const noexcept { return properties_.connection; }
  bool keep_alive() const;

  // Sets a group-wide property and applies it to every member. Errors as
  // ConnectionProperties::set, and keepAliveTimeout while keep-alive is off.
  std::optional<Error> set(std::string_view name, const PropertyValue& value);

  void add(const std::shared_ptr<ConnectionImpl>& member);
  // The members not yet closed.
  std::vector<std::shared_ptr<ConnectionImpl>> members() const;

  // The multistreaming connection a member's transport belongs to (the first one stays).
  void attach(const std::shared_ptr<StreamSession>& session);

  // A new member: a stream of the group's QUIC connection, else made from the origin
  // Preconnection (with `properties` when given); errc::clone_failed when the group
  // cannot clone or holds groupConnLimit members. `from` is the member asked.
  Result<Connection> clone(ConnectionImpl& from, ConnectionHandlers handlers, std::optional<FramerSpec> framer,
                           std::optional<TransportProperties> properties);
  void close_all();
  void abort_all();

  // With isolateSession: the group's own client TLS context (built on first use).
  Result<std::shared_ptr<TlsContext>> isolated_tls_context(const SecurityParameters& security);

 private:
  Result<Connection> clone_stream(StreamSession& session, ConnectionImpl& from, ConnectionHandlers handlers,
                                  std::optional<FramerSpec> framer, const std::optional<TransportProperties>& properties);

  std::uint64_t id_;
  TransportProperties properties_;
  Context* context_ = nullptr;  // set when the group can clone
  std::optional<Preconnection> origin_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::shared_ptr<TlsContext> isolated_tls_;
  std::weak_ptr<StreamSession> session_;
  std::vector<std::weak_ptr<ConnectionImpl>> members_;
};

}  // namespace taps::detail
