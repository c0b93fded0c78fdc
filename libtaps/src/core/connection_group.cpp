#include "core/connection_group.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "core/connection_impl.hpp"
#include "security/tls_context.hpp"

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

Result<Connection> ConnectionGroup::clone(ConnectionHandlers handlers, std::optional<FramerSpec> framer) {
  if (!origin_) {
    return make_error(errc::clone_failed,
                      "this Connection cannot be cloned: a Listener accepted it, or it sends to a multicast group "
                      "(over TCP a clone is a new connection to the remote endpoint)");
  }
  auto limit = properties_.connection.group_conn_limit;
  if (auto count = members().size(); limit && count >= static_cast<std::size_t>(*limit)) {
    return make_error(errc::clone_failed,
                      fmt::format("groupConnLimit is {}: the group holds {} Connections", *limit, count));
  }
  auto preconnection = *origin_;
  preconnection.transport_properties().connection = properties_.connection;
  if (framer) preconnection.framers() = {std::move(*framer)};
  return preconnection.initiate(*context_, std::move(handlers), timeout_, shared_from_this());
}

void ConnectionGroup::close_all() {
  for (const auto& member : members()) member->close();
}

void ConnectionGroup::abort_all() {
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
