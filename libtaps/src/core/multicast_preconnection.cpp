#include "core/multicast_preconnection.hpp"

#include <asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/connection_impl.hpp"
#include "core/context_access.hpp"
#include "core/multicast_listener.hpp"
#include "transport/address.hpp"
#include "transport/multicast_socket.hpp"
#include "transport/multicast_send_transport.hpp"

namespace taps::detail {
namespace {

std::optional<Error> config_error(std::string detail) {
  return make_error(errc::invalid_configuration, std::move(detail));
}

std::optional<asio::ip::address> multicast_literal(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto a = parse_ip_literal(*text);
  if (!a || !a->is_multicast()) return std::nullopt;
  return a;
}

// The group of a receive Preconnection: the local endpoint's group, or its address
// when that is a group (then any source).
std::optional<std::string> local_group(const Preconnection& p) {
  if (p.local_endpoints().empty()) return std::nullopt;
  const auto& l = p.local_endpoints().front();
  if (l.multicast_group()) return l.multicast_group();
  if (multicast_literal(l.ip_address())) return l.ip_address();
  return std::nullopt;
}

// A link- or interface-local IPv6 group (ff02::, ff12::, ff32::, ff01::) exists once per
// interface: its zone (0 when none was written), or nullopt for a group of wider scope.
std::optional<unsigned> link_scope_zone(const asio::ip::address& group) {
  if (!group.is_v6()) return std::nullopt;
  auto v6 = group.to_v6();
  if (!v6.is_multicast_link_local() && !v6.is_multicast_node_local()) return std::nullopt;
  return static_cast<unsigned>(v6.scope_id());
}

bool remote_is_group(const Preconnection& p) {
  return !p.remote_endpoints().empty() && multicast_literal(p.remote_endpoints().front().ip_address());
}

// Multicast is UDP: a Preconnection that insists on something else cannot have it.
std::optional<Error> check_stack(const Preconnection& p) {
  const auto& props = p.transport_properties();
  if (props.is_explicit("reliability") && props.get("reliability") == Preference::require) {
    return make_error(errc::unsatisfiable_properties, "multicast is carried by UDP: reliability cannot be required");
  }
  if (!p.security_parameters().is_disabled()) {
    return make_error(errc::unsatisfiable_properties, "multicast is carried by UDP: TLS is not available");
  }
  return std::nullopt;
}

// An interface that the endpoints or the "interface" property require or prefer.
std::optional<std::string> chosen_interface(const Preconnection& p) {
  for (const auto& l : p.local_endpoints()) {
    if (l.interface_name()) return l.interface_name();
  }
  for (const auto& r : p.remote_endpoints()) {
    if (r.interface_name()) return r.interface_name();
  }
  for (const auto& [name, preference] : p.transport_properties().interfaces()) {
    if (preference == Preference::require || preference == Preference::prefer) return name;
  }
  return std::nullopt;
}

struct ListenPlan {
  MulticastSpec spec;
  std::optional<Error> error;
};

ListenPlan plan_listen(const Preconnection& p) {
  ListenPlan plan;
  auto fail = [&plan](std::optional<Error> e) {
    plan.error = std::move(e);
    return std::move(plan);
  };
  if (auto e = check_stack(p)) return fail(e);
  if (p.local_endpoints().size() > 1) return fail(make_error(errc::not_supported, "more than one local endpoint"));
  if (p.transport_properties().direction() == Direction::unidirectional_send) {
    return fail(config_error("Listen on a multicast group receives: direction unidirectionalSend does not fit"));
  }
  const auto& l = p.local_endpoints().front();
  auto text = *local_group(p);
  auto group = parse_ip_literal(text);
  if (!group || !group->is_multicast()) return fail(config_error(fmt::format("'{}' is not a multicast group address", text)));
  if (!l.port() || *l.port() == 0) return fail(config_error(fmt::format("multicast group {} needs a port", text)));
  std::vector<std::string> sources = l.multicast_sources();
  for (const auto& r : p.remote_endpoints()) {
    if (!r.ip_address()) return fail(make_error(errc::not_supported, "an SSM source must be an address, not a name"));
    sources.push_back(*r.ip_address());
  }
  for (const auto& s : sources) {
    auto a = parse_ip_literal(s);
    if (!a || a->is_multicast() || a->is_unspecified()) {
      return fail(config_error(fmt::format("SSM source '{}' is not a unicast address", s)));
    }
    if (a->is_v4() != group->is_v4()) {
      return fail(config_error(fmt::format("SSM source {} and group {} are of different address families", s, text)));
    }
    if (std::find(plan.spec.sources.begin(), plan.spec.sources.end(), *a) == plan.spec.sources.end()) {
      plan.spec.sources.push_back(*a);
    }
  }
  for (const auto& s : l.excluded_multicast_sources()) {
    auto a = parse_ip_literal(s);
    if (!a || a->is_multicast() || a->is_unspecified()) {
      return fail(config_error(fmt::format("excluded source '{}' is not a unicast address", s)));
    }
    if (a->is_v4() != group->is_v4()) {
      return fail(config_error(fmt::format("excluded source {} and group {} are of different address families", s, text)));
    }
    plan.spec.excluded.push_back(*a);
  }
  if (!plan.spec.excluded.empty() && !plan.spec.sources.empty()) {
    return fail(config_error(fmt::format("group {}: sources to include (SSM) and to exclude cannot be mixed", text)));
  }
  plan.spec.group = *group;
  plan.spec.port = *l.port();
  plan.spec.interface_name = chosen_interface(p);
  if (auto zone = link_scope_zone(*group)) {
    if (!plan.spec.interface_name && *zone == 0) {
      return fail(config_error(fmt::format("link-scope group {} needs an interface (or a zone: {}%eth0)", text, text)));
    }
    if (!plan.spec.interface_name) plan.spec.interface_name = interface_name(*zone);
  }
  plan.spec.receive_buffer = p.transport_properties().multicast_receive_buffer;
  if (plan.spec.receive_buffer <= 0) return fail(config_error("_taps.multicastReceiveBuffer must be positive"));
  plan.spec.framers = p.framers();
  return plan;
}

}  // namespace

bool is_multicast(const Preconnection& p) { return local_group(p).has_value() || remote_is_group(p); }

std::optional<Error> validate_multicast_listen(const Preconnection& p) {
  if (!local_group(p)) return config_error("Listen toward a multicast group: give the group as the local endpoint");
  return plan_listen(p).error;
}

std::optional<Error> validate_multicast_initiate(const Preconnection& p) {
  if (auto group = local_group(p)) {
    return make_error(errc::establishment_failed,
                      fmt::format("Initiate on a receive-only multicast Preconnection (local endpoint is group {}): "
                                  "use Listen to receive",
                                  *group));
  }
  if (auto e = check_stack(p)) return e;
  if (p.transport_properties().direction() == Direction::unidirectional_receive) {
    return make_error(errc::establishment_failed, "Initiate on a receive-only Preconnection (direction unidirectionalReceive)");
  }
  const auto& r = p.remote_endpoints().front();
  if (p.remote_endpoints().size() > 1) return make_error(errc::not_supported, "more than one remote multicast group");
  if (!r.port() || *r.port() == 0) return config_error(fmt::format("multicast group {} needs a port", *r.ip_address()));
  if (auto zone = link_scope_zone(*parse_ip_literal(*r.ip_address())); zone && *zone == 0 && !chosen_interface(p)) {
    return config_error(fmt::format("link-scope group {} needs an interface (or a zone: {}%eth0)", *r.ip_address(),
                                    *r.ip_address()));
  }
  int hops = p.transport_properties().multicast_hop_limit;
  if (hops < 0 || hops > 255) return config_error(fmt::format("_taps.multicastHopLimit {} is not 0-255", hops));
  for (const auto& l : p.local_endpoints()) {
    if (l.host_name() && !l.ip_address()) return make_error(errc::not_supported, "a local host name: give an address");
    if (l.ip_address() && !parse_ip_literal(*l.ip_address())) {
      return config_error(fmt::format("local endpoint: '{}' is not an IP address", *l.ip_address()));
    }
  }
  return std::nullopt;
}

Result<Listener> listen_multicast(Context& ctx, const Preconnection& p, ListenerHandlers handlers) {
  auto plan = plan_listen(p);
  if (plan.error) return *plan.error;
  auto impl = std::make_shared<MulticastListener>(detail::io_context_of(ctx), std::move(handlers), std::move(plan.spec));
  impl->start();
  return Listener(impl);
}

Result<Connection> initiate_multicast(Context& ctx, const Preconnection& p, ConnectionHandlers handlers) {
  if (auto e = validate_multicast_initiate(p)) return *e;
  const auto& r = p.remote_endpoints().front();
  asio::ip::udp::endpoint group(*parse_ip_literal(*r.ip_address()), *r.port());
  unsigned index = 0;
  if (auto name = chosen_interface(p)) {
    auto found = interface_index(*name);
    if (!found) return make_error(errc::establishment_failed, fmt::format("interface '{}' does not exist", *name));
    index = *found;
  }
  std::optional<asio::ip::address> source;
  std::uint16_t source_port = 0;
  if (!p.local_endpoints().empty()) {
    const auto& l = p.local_endpoints().front();
    if (l.ip_address()) source = parse_ip_literal(*l.ip_address());
    source_port = l.port().value_or(0);
  }
  auto connection = std::make_shared<ConnectionImpl>(detail::io_context_of(ctx), std::move(handlers), false, "udp");
  connection->set_framers(p.framers());
  auto send_only = p.transport_properties();
  send_only.set_direction(Direction::unidirectional_send);
  connection->join(std::make_shared<ConnectionGroup>(std::move(send_only)));
  connection->set_send_only(fmt::format("receive on a send-only Connection to multicast group {}", endpoint_string(group)));
  const auto& props = p.transport_properties();
  auto socket = open_send_socket(detail::io_context_of(ctx), group, props.multicast_hop_limit, props.multicast_loopback, index,
                                 source, source_port);
  if (!socket) {
    connection->establishment_failed(socket.error());
  } else {
    std::error_code ec;
    RaceEvent ready{RaceEvent::Kind::ready, std::chrono::steady_clock::now(), 1, "udp", endpoint_string(group),
                    endpoint_string(socket->local_endpoint(ec)), interface_name(index), {}, {}};
    connection->adopt(std::make_shared<MulticastSendTransport>(std::move(*socket), interface_name(index)));
    connection->post_race_event(std::move(ready));
    connection->establishment_succeeded();
  }
  return Connection(connection);
}

}  // namespace taps::detail
