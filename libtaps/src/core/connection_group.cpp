#include "core/connection_group.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "core/connection_impl.hpp"
#include "security/tls_context.hpp"
#include "transport/stream_session.hpp"
#include "transport/transport.hpp"

namespace taps::detail {
namespace {
// Contexts may run on several threads: the numbering is shared.
std::atomic<std::uint64_t> next_group_id{1};
}  // namespace

ConnectionGroup::ConnectionGroup(TransportProperties properties)
    : id_(next_group_id++), properties_(std::move(properties)) {}

ConnectionGroup::ConnectionGroup(Context& context, Preconnection origin, std::optional<std::chrono::milliseconds> timeout)
    : id_(next_group_id++), properties_(origin.transport_properties()), context_(&context), origin_(std::move(origin)),
      timeout_(timeout) {}

ConnectionGroup::~ConnectionGroup() = default;

bool ConnectionGroup::keep_alive() const {
  auto p = properties_.get("keepAlive");
  return p == Preference::require || p == Preference::prefer;
}

std::optional<Error> ConnectionGroup::set(std::string_view name, const PropertyValue& value) {
  auto changed = properties_.connection;
  if (auto e = changed.set(name, value)) return e;
  if (name == "keepAliveTimeout" && changed.keep_alive_timeout && !keep_alive()) {
    return make_error(errc::invalid_configuration,
                      fmt::format("keepAliveTimeout: keep-alive is off for this connection (keepAlive is {}); "
                                  "select keepAlive=prefer or require before Initiate",
                                  to_string(properties_.get("keepAlive"))));
  }
  properties_.connection = changed;
  for (const auto& member : members()) member->apply_properties();
  return std::nullopt;
}

void ConnectionGroup::add(const std::shared_ptr<ConnectionImpl>& member) {
  std::erase_if(members_, [](const auto& weak) { return weak.expired(); });
  members_.push_back(member);
}

std::vector<std::shared_ptr<ConnectionImpl>> ConnectionGroup::members() const {
  std::vector<std::shared_ptr<ConnectionImpl>> live;
  for (const auto& weak : members_) {
    if (auto m = weak.lock(); m && !m->closed()) live.push_back(std::move(m));
  }
  return live;
}

// An initiating side has no Listener for the streams its peer opens: the members take
// them (stream_received), the first that wants them.
void ConnectionGroup::attach(const std::shared_ptr<StreamSession>& session) {
  if (!session_.expired()) return;
  session_ = session;
  if (!origin_) return;  // a Listener's group: the peer's streams are its connection_received
  session->on_peer_stream([weak = weak_from_this()](const std::shared_ptr<Transport>& stream) {
    auto self = weak.lock();
    if (!self) return false;
    for (const auto& member : self->members()) {
      if (member->take_peer_stream(stream)) return true;
    }
    return false;
  });
}

Result<Connection> ConnectionGroup::clone(ConnectionImpl& from, ConnectionHandlers handlers,
                                          std::optional<FramerSpec> framer,
                                          std::optional<TransportProperties> properties) {
  auto session = session_.lock();
  if (!origin_ && !session) {
    return make_error(errc::clone_failed,
                      "this Connection cannot be cloned: a Listener accepted it, or it sends to a multicast group "
                      "(over TCP a clone is a new connection to the remote endpoint)");
  }
  auto limit = properties_.connection.group_conn_limit;
  if (auto count = members().size(); limit && count >= static_cast<std::size_t>(*limit)) {
    return make_error(errc::clone_failed,
                      fmt::format("groupConnLimit is {}: the group holds {} Connections", *limit, count));
  }
  if (session) return clone_stream(*session, from, std::move(handlers), std::move(framer), properties);
  auto preconnection = *origin_;
  if (properties) preconnection.transport_properties() = std::move(*properties);
  preconnection.transport_properties().connection = properties_.connection;
  if (framer) preconnection.framers() = {std::move(*framer)};
  return preconnection.initiate(*context_, std::move(handlers), timeout_, shared_from_this());
}

// A stream has no establishment of its own: the clone is ready at once.
Result<Connection> ConnectionGroup::clone_stream(StreamSession& session, ConnectionImpl& from,
                                                 ConnectionHandlers handlers, std::optional<FramerSpec> framer,
                                                 const std::optional<TransportProperties>& properties) {
  auto direction = (properties ? *properties : properties_).direction();
  if (direction == Direction::unidirectional_receive) {
    return make_error(errc::clone_failed,
                      "a QUIC stream that only receives is one the peer opens: clone with direction "
                      "bidirectional or unidirectionalSend");
  }
  bool send_only = direction == Direction::unidirectional_send;
  auto stream = session.open_stream(!send_only);
  if (!stream) return make_error(errc::clone_failed, stream.error().message());
  auto made = from.sibling(std::move(*stream), std::move(handlers), std::move(framer));
  if (send_only) made->set_send_only("this Connection is a unidirectional QUIC stream: it only sends");
  made->establishment_succeeded();
  return Connection(made);
}

void ConnectionGroup::close_all() {
  for (const auto& member : members()) member->close();
  if (auto session = session_.lock()) session->close_when_done();
}

void ConnectionGroup::abort_all() {
  if (auto session = session_.lock()) session->abort();
  for (const auto& member : members()) member->abort();
}

Result<std::shared_ptr<TlsContext>> ConnectionGroup::isolated_tls_context(const SecurityParameters& security) {
  if (!isolated_tls_) {
    auto made = TlsContext::make(security, TlsContext::Role::client);
    if (!made) return made.error();
    isolated_tls_ = *made;
  }
  return isolated_tls_;
}

}  // namespace taps::detail
