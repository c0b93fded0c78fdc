#include "taps/preconnection.hpp"

#include <asio/io_context.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <cctype>
#include <vector>

#include "core/connection_impl.hpp"
#include "core/context_access.hpp"
#include "core/host_interfaces.hpp"
#include "core/listener_impl.hpp"
#include "core/multicast_preconnection.hpp"
#include "core/racer.hpp"
#include "core/resolve.hpp"
#include "security/quic_tls_context.hpp"
#include "security/tls_context_cache.hpp"
#include "transport/address.hpp"
#include "transport/protocol.hpp"

namespace taps {
namespace {

using detail::parse_ip_literal;

// A name for an error message: control bytes (a NUL, say) shown as \xNN.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += std::isprint(c) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  return out;
}

std::optional<Error> config_error(std::string detail) {
  return make_error(errc::invalid_configuration, std::move(detail));
}

// RFC 9622 WithService: the port of a service name in /etc/services, for the transport
// that will carry it (a name may differ between TCP and UDP).
Result<std::uint16_t> service_port(const std::string& service, bool udp) {
  servent entry{};
  servent* found = nullptr;
  std::vector<char> buffer(4096);
  if (::getservbyname_r(service.c_str(), udp ? "udp" : "tcp", &entry, buffer.data(), buffer.size(), &found) != 0 ||
      !found) {
    return make_error(errc::invalid_configuration,
                      fmt::format("unknown service '{}' for {} (not in /etc/services)", service, udp ? "UDP" : "TCP"));
  }
  return static_cast<std::uint16_t>(ntohs(static_cast<std::uint16_t>(found->s_port)));
}

template <class Endpoint>
std::optional<Error> resolve_service(Endpoint& e, bool udp) {
  if (e.port() || !e.service()) return std::nullopt;
  auto port = service_port(*e.service(), udp);
  if (!port) return port.error();
  e.with_port(*port);
  return std::nullopt;
}

template <class Endpoint>
std::optional<Error> check_address(const Endpoint& e, const char* which) {
  for (const auto& text : {e.ip_address(), e.host_name()}) {
    if (!text) continue;
    if (auto problem = detail::scope_problem(*text)) {
      return config_error(fmt::format("{} endpoint '{}': {}", which, *text, *problem));
    }
  }
  if (e.ip_address() && !parse_ip_literal(*e.ip_address())) {
    return config_error(fmt::format("{} endpoint: '{}' is not an IP address", which, *e.ip_address()));
  }
  if (e.host_name() && !parse_ip_literal(*e.host_name())) {
    if (auto problem = detail::host_name_problem(*e.host_name())) {
      return config_error(fmt::format("{} endpoint: '{}' is not a host name: {}", which,
                                      printable(*e.host_name()), *problem));
    }
  }
  return std::nullopt;
}

std::optional<Error> check_security(const SecurityParameters& security) {
  for (const auto& protocol : security.allowed_security_protocols) {
    if (protocol != "tls1.3") {
      return make_error(errc::not_supported,
                        fmt::format("allowedSecurityProtocols: '{}' is not supported (only tls1.3)", protocol));
    }
  }
  if (!security.server_name.empty()) {
    if (auto problem = detail::host_name_problem(security.server_name)) {
      return config_error(fmt::format("serverName '{}' is not a host name: {}", printable(security.server_name), *problem));
    }
  }
  for (const auto& pin : security.pinned_server_certificate) {
    if (parse_spki_pin(pin) != pin) {
      return config_error(fmt::format("pinnedServerCertificate: '{}' is not 64 lowercase hex digits", pin));
    }
  }
  return std::nullopt;
}

std::optional<Error> check_common(const Preconnection& p) {
  if (auto e = check_security(p.security_parameters())) return e;
  auto selection = select_stacks(p.transport_properties(), p.security_parameters(), !p.framers().empty());
  if (selection.stacks.empty()) return make_error(errc::unsatisfiable_properties, selection.error);
  if (p.local_endpoints().size() > 1) {
    return make_error(errc::not_supported, "more than one local endpoint");
  }
  for (const auto& l : p.local_endpoints()) {
    if (auto e = check_address(l, "local")) return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> Preconnection::validate_for_initiate() const {
  if (detail::is_multicast(*this)) return detail::validate_multicast_initiate(*this);
  if (auto e = check_common(*this)) return e;
  if (properties_.direction() == Direction::unidirectional_receive) {
    return make_error(errc::establishment_failed, "Initiate on a receive-only Preconnection (direction unidirectionalReceive)");
  }
  if (remote_.empty()) return config_error("Initiate needs a remote endpoint");
  for (const auto& r : remote_) {
    if (!r.host_name() && !r.ip_address()) return config_error("remote endpoint without a host name or address");
    if (!r.port() && !r.service()) return config_error(fmt::format("remote endpoint {} has no port", r.to_string()));
    if (auto e = check_address(r, "remote")) return e;
  }
  for (const auto& l : local_) {
    if (l.host_name() && !l.ip_address()) return make_error(errc::not_supported, "Initiate from a local host name: give an address");
  }
  return std::nullopt;
}

std::optional<Error> Preconnection::validate_for_listen() const {
  if (detail::is_multicast(*this)) return detail::validate_multicast_listen(*this);
  for (const auto& l : local_) {
    if (l.interface_name()) return make_error(errc::not_supported, "local endpoint: listening on an interface");
  }
  return check_common(*this);
}

namespace {

// What Initiate races and Resolve lists: the stacks, endpoints, paths and timers
// (`timeout`: Initiate's bound on the whole establishment).
Result<detail::RaceSpec> race_spec(const Preconnection& p, std::optional<std::chrono::milliseconds> timeout) {
  const auto& properties = p.transport_properties();
  detail::RaceSpec spec;
  spec.stacks = detail::racing_stacks(select_stacks(properties, p.security_parameters(), !p.framers().empty()).stacks);
  spec.remotes = p.remote_endpoints();
  // QUIC is over UDP, but it serves a stream: a service name means its TCP port (https
  // is 443 either way).
  bool udp = spec.stacks.front() == Stack::udp;
  for (auto& r : spec.remotes) {
    if (auto e = resolve_service(r, udp)) return *e;
  }
  const auto& local = p.local_endpoints();
  if (!local.empty()) {
    auto l = local.front();
    if (auto e = resolve_service(l, udp)) return *e;
    if (l.ip_address()) spec.local_address = parse_ip_literal(*l.ip_address());
    else if (l.port()) spec.local_address = properties.address_family == 4 ? asio::ip::address(asio::ip::address_v4::any())
                                                                            : asio::ip::address(asio::ip::address_v6::any());
    spec.local_port = l.port().value_or(0);
  }
  spec.interfaces = properties.interfaces();
  // A local endpoint on an interface is that interface required.
  if (!local.empty() && local.front().interface_name()) {
    spec.interfaces[*local.front().interface_name()] = Preference::require;
  }
  spec.paths = detail::order_paths(spec.interfaces, detail::paths_use_host_interfaces(spec.interfaces)
                                                        ? detail::up_interfaces()
                                                        : std::vector<detail::HostInterface>{});
  spec.family = properties.address_family;
  spec.first_family_count = properties.first_address_family_count;
  spec.timers = {properties.connection_attempt_delay, properties.resolution_delay, timeout};
  return spec;
}

Connection race(Context& ctx, const Preconnection& p, detail::RaceSpec spec, ConnectionHandlers handlers,
                std::optional<std::chrono::milliseconds> timeout, std::shared_ptr<detail::ConnectionGroup> group,
                std::optional<std::pair<Message, MessageContext>> first_message = std::nullopt);

}  // namespace

Result<Connection> Preconnection::initiate(Context& ctx, ConnectionHandlers handlers,
                                          std::optional<std::chrono::milliseconds> timeout) const {
  return initiate(ctx, std::move(handlers), timeout, nullptr);
}

Result<Connection> Preconnection::initiate_with_send(Context& ctx, Message message, MessageContext message_ctx,
                                                    ConnectionHandlers handlers,
                                                    std::optional<std::chrono::milliseconds> timeout) const {
  return initiate(ctx, std::move(handlers), timeout, nullptr, std::pair{std::move(message), std::move(message_ctx)});
}

Result<Connection> Preconnection::initiate(Context& ctx, ConnectionHandlers handlers,
                                          std::optional<std::chrono::milliseconds> timeout,
                                          std::shared_ptr<detail::ConnectionGroup> group,
                                          std::optional<std::pair<Message, MessageContext>> first_message) const {
  if (detail::is_multicast(*this)) {
    auto connection = detail::initiate_multicast(ctx, *this, std::move(handlers));
    if (connection && first_message) connection->send(std::move(first_message->first), std::move(first_message->second));
    return connection;
  }
  if (auto e = validate_for_initiate()) return *e;
  auto& io = detail::io_context_of(ctx);
  auto made = race_spec(*this, timeout);
  if (!made) return made.error();
  auto spec = std::move(*made);
  // The best stack decides (plain tcp may follow tls/tcp, never the reverse): every
  // attempt of a secure one takes its session from the one client context.
  auto races = [&](Stack s) { return std::find(spec.stacks.begin(), spec.stacks.end(), s) != spec.stacks.end(); };
  if (races(Stack::tls)) {
    if (!group) group = std::make_shared<detail::ConnectionGroup>(ctx, *this, timeout);
    auto tls = group->properties().isolate_session ? group->isolated_tls_context(security_)
                                                   : asio::use_service<detail::TlsContextCache>(io).client_context(security_);
    if (!tls) return tls.error();
    spec.options.tls = *tls;
  }
  if (races(Stack::quic)) {
    auto quic = detail::QuicTlsContext::make(security_, detail::QuicTlsContext::Role::client);
    if (!quic) return quic.error();
    spec.options.quic = *quic;
  }
  // TCP Fast Open: only bytes the application allows to be replayed may ride in a SYN,
  // and only unframed ones (a framer runs once the Connection is ready).
  if (first_message && first_message->second.safely_replayable && framers_.empty() && races(Stack::tcp)) {
    spec.options.early_data = std::make_shared<const std::vector<std::uint8_t>>(first_message->first.bytes());
  }

  return race(ctx, *this, std::move(spec), std::move(handlers), timeout, std::move(group), std::move(first_message));
}

namespace {

// Starts the race of `spec` for a new Connection of `group` (a new group when null),
// with `first_message` sent before anything else (InitiateWithSend). The Connection exists before the race is decided; it takes whichever stack wins
// (tls/tcp, or plain tcp after it when security is opportunistic).
Connection race(Context& ctx, const Preconnection& p, detail::RaceSpec spec, ConnectionHandlers handlers,
                std::optional<std::chrono::milliseconds> timeout, std::shared_ptr<detail::ConnectionGroup> group,
                std::optional<std::pair<Message, MessageContext>> first_message) {
  auto& io = detail::io_context_of(ctx);
  const auto& first = detail::protocol_for(spec.stacks.front());
  auto impl = std::make_shared<detail::ConnectionImpl>(io, std::move(handlers), first.byte_stream, first.name);
  impl->rendezvous = spec.rendezvous;
  detail::RaceCallbacks callbacks;
  callbacks.won = [impl](std::shared_ptr<detail::Transport> transport) {
    impl->adopt(std::move(transport));
    impl->establishment_succeeded();
  };
  callbacks.event = [impl](RaceEvent e) { impl->post_race_event(std::move(e)); };
  callbacks.failed = [impl](Error e) { impl->establishment_failed(std::move(e)); };
  auto racer = std::make_shared<detail::Racer>(io, std::move(spec), std::move(callbacks));
  impl->cancel_establishment = [weak = std::weak_ptr<detail::Racer>(racer)] {
    if (auto r = weak.lock()) r->cancel();
  };
  // The racer lives while it has work; after a win only the Connection holds it, in
  // case a framer refuses the winner and the race must go on.
  impl->continue_race = [racer](const Error& why) { racer->resume(why); };
  impl->confirm_race = [weak = std::weak_ptr<detail::Racer>(racer)] {
    if (auto r = weak.lock()) r->confirm_ready();
  };
  impl->set_framers(p.framers());
  impl->join(group ? std::move(group) : std::make_shared<detail::ConnectionGroup>(ctx, p, timeout));
  if (first_message) impl->send_first(std::move(first_message->first), std::move(first_message->second));
  racer->start();
  return Connection(impl);
}

}  // namespace

Result<Connection> Preconnection::rendezvous(Context& ctx, ConnectionHandlers handlers,
                                            std::optional<std::chrono::milliseconds> timeout) const {
  if (detail::is_multicast(*this)) return make_error(errc::not_supported, "Rendezvous with a multicast group");
  if (local_.empty() || (!local_.front().service() && local_.front().port().value_or(0) == 0)) {
    return make_error(errc::invalid_configuration,
                      "Rendezvous needs a local endpoint with a port: both peers listen on it and connect from it");
  }
  if (remote_.empty()) return make_error(errc::invalid_configuration, "Rendezvous needs a remote endpoint: the peer");
  if (auto e = validate_for_initiate()) return *e;
  auto made = race_spec(*this, timeout);
  if (!made) return made.error();
  auto spec = std::move(*made);
  const auto& best = detail::protocol_for(spec.stacks.front());
  if (!best.rendezvous) {
    return make_error(errc::not_supported,
                      fmt::format("Rendezvous over {} is not supported: its handshake needs a client and a server, "
                                  "and both peers of a rendezvous initiate (use TCP or UDP)",
                                  best.name));
  }
  // Both peers must meet on the same stack: no racing a second one after the first.
  spec.stacks = {spec.stacks.front()};
  spec.rendezvous = true;
  return race(ctx, *this, std::move(spec), std::move(handlers), timeout, nullptr);
}

std::optional<Error> Preconnection::resolve(Context& ctx, ResolveHandler handler) const {
  if (detail::is_multicast(*this)) return make_error(errc::not_supported, "Resolve on a multicast Preconnection");
  if (auto e = remote_.empty() ? check_common(*this) : validate_for_initiate()) return *e;
  for (const auto& l : local_) {
    if (l.host_name() && !l.ip_address()) return make_error(errc::not_supported, "Resolve of a local host name: give an address");
  }
  auto spec = race_spec(*this, std::nullopt);
  if (!spec) return spec.error();
  std::optional<LocalEndpoint> local;
  if (!local_.empty()) local = local_.front();
  detail::resolve_endpoints(detail::io_context_of(ctx), std::move(*spec), std::move(local), std::move(handler));
  return std::nullopt;
}

Result<Listener> Preconnection::listen(Context& ctx, ListenerHandlers handlers) const {
  if (detail::is_multicast(*this)) return detail::listen_multicast(ctx, *this, std::move(handlers));
  if (auto e = validate_for_listen()) return *e;
  detail::ListenSpec spec;
  // A Listener serves every stack the properties allow, not only the best one: a
  // client may race any of them.
  spec.stacks = select_stacks(properties_, security_, !framers_.empty()).stacks;
  if (std::find(spec.stacks.begin(), spec.stacks.end(), Stack::tls) != spec.stacks.end()) {
    // One context per Listener: a restarted Listener picks up renewed certificates.
    auto tls = detail::TlsContext::make(security_, detail::TlsContext::Role::server);
    if (!tls) return tls.error();
    spec.tls = *tls;
  }
  if (std::find(spec.stacks.begin(), spec.stacks.end(), Stack::quic) != spec.stacks.end()) {
    auto quic = detail::QuicTlsContext::make(security_, detail::QuicTlsContext::Role::server);
    if (!quic) return quic.error();
    spec.quic = *quic;
  }
  spec.family = properties_.address_family;
  if (!local_.empty()) {
    auto l = local_.front();
    if (auto e = resolve_service(l, spec.stacks.front() == Stack::udp)) return *e;
    if (l.ip_address()) spec.address = parse_ip_literal(*l.ip_address());
    else if (l.host_name()) {
      if (auto literal = parse_ip_literal(*l.host_name())) spec.address = literal;
      else spec.host_name = l.host_name();
    }
    spec.port = l.port().value_or(0);
  }
  spec.framers = framers_;
  spec.properties = properties_;
  auto impl = std::make_shared<detail::ListenerImpl>(detail::io_context_of(ctx), std::move(handlers), std::move(spec));
  impl->start();
  return Listener(impl);
}

}  // namespace taps
