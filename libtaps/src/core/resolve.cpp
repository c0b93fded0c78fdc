#include "core/resolve.hpp"

#include <asio/post.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/host_interfaces.hpp"
#include "core/remote_resolution.hpp"
#include "transport/address.hpp"

namespace taps::detail {
namespace {

template <class Endpoint>
void add_once(std::vector<Endpoint>& list, Endpoint e) {
  if (std::find(list.begin(), list.end(), e) == list.end()) list.push_back(std::move(e));
}

bool family_allowed(const asio::ip::address& a, int family) {
  return family == 0 || (family == 6) == a.is_v6();
}

// No remote endpoint: the local address given, or the host's own (of the interface given).
std::vector<LocalEndpoint> host_candidates(const std::optional<LocalEndpoint>& given, int family) {
  if (given && given->ip_address()) return {*given};
  std::vector<LocalEndpoint> local;
  for (const auto& a : interface_addresses()) {
    bool named = given && given->interface_name();
    if (named ? *given->interface_name() != a.interface_name : a.loopback) continue;
    if (!family_allowed(a.address, family)) continue;
    LocalEndpoint e;
    e.with_ip_address(a.address.to_string()).with_interface(a.interface_name);
    if (given && given->port()) e.with_port(*given->port());
    add_once(local, std::move(e));
  }
  return local;
}

// The interface that holds `address`, or "".
std::string owner_of(const asio::ip::address& address, const std::vector<InterfaceAddress>& host) {
  for (const auto& a : host) {
    if (a.address == address) return a.interface_name;
  }
  return {};
}

ResolvedEndpoints list(const RaceSpec& spec, const std::vector<Candidate>& leaves) {
  ResolvedEndpoints out;
  auto host = interface_addresses();
  bool fixed_local = spec.local_address && !spec.local_address->is_unspecified();
  for (const auto& leaf : leaves) {
    RemoteEndpoint r;
    r.with_ip_address(leaf.address.to_string()).with_port(leaf.port);
    if (!leaf.host_name.empty()) r.with_host_name(leaf.host_name);
    if (!leaf.interface_name.empty()) r.with_interface(leaf.interface_name);
    add_once(out.remote, std::move(r));

    auto remote = *parse_ip_literal(leaf.address.to_string());
    auto source = fixed_local ? spec.local_address : route_source(remote, leaf.port, leaf.interface_name);
    if (!source) continue;  // no route there: Initiate's attempt would fail at once
    LocalEndpoint l;
    l.with_ip_address(source->to_string());
    auto interface_name = leaf.interface_name.empty() ? owner_of(*source, host) : leaf.interface_name;
    if (!interface_name.empty()) l.with_interface(interface_name);
    if (spec.local_port != 0) l.with_port(spec.local_port);
    add_once(out.local, std::move(l));
  }
  return out;
}

// The answers of every query, kept until the last one.
struct Gathering {
  RaceSpec spec;
  ResolveHandler handler;
  std::vector<std::vector<RemoteAddress>> v6, v4;  // per remote endpoint
  std::vector<std::string> errors;
  std::size_t left = 0;

  void answered(RemoteResolution::Answer answer) {
    auto& to = answer.query == RaceSchedule::Query::aaaa ? v6[answer.index] : v4[answer.index];
    to.insert(to.end(), answer.addresses.begin(), answer.addresses.end());
    if (!answer.error.empty()) errors.push_back(std::move(answer.error));
    if (--left == 0) finish();
  }

  void finish() {
    std::vector<RemoteAddress> addresses;
    for (std::size_t i = 0; i < v6.size(); ++i) {
      addresses.insert(addresses.end(), v6[i].begin(), v6[i].end());
      addresses.insert(addresses.end(), v4[i].begin(), v4[i].end());
    }
    auto leaves = race_leaves(spec, addresses);
    if (!leaves.empty()) {
      handler(list(spec, leaves));
    } else if (addresses.empty()) {
      handler(make_error(errc::name_resolution_failed,
                         errors.empty() ? fmt::format("no IPv{} address for the remote endpoint", spec.family)
                                        : fmt::format("{}", fmt::join(errors, "; "))));
    } else {
      std::vector<std::string> found;
      for (const auto& a : addresses) found.push_back(a.address.to_string());
      handler(make_error(errc::name_resolution_failed,
                         fmt::format("no candidate: the address family or the interface preferences rule out every "
                                     "address ({})", fmt::join(found, ", "))));
    }
  }
};

}  // namespace

void resolve_endpoints(asio::io_context& io, RaceSpec spec, std::optional<LocalEndpoint> local, ResolveHandler handler) {
  if (spec.remotes.empty()) {
    asio::post(io, [handler = std::move(handler), local = host_candidates(local, spec.family)] {
      handler(ResolvedEndpoints{local, {}});
    });
    return;
  }
  auto gathering = std::make_shared<Gathering>();
  gathering->v6.resize(spec.remotes.size());
  gathering->v4.resize(spec.remotes.size());
  auto remotes = spec.remotes;
  int family = spec.family;
  gathering->spec = std::move(spec);
  gathering->handler = std::move(handler);
  // The queries in flight hold the resolution, which holds the gathering: nothing else
  // needs to, and nothing stays behind once the last answer is in.
  auto resolution = std::make_shared<RemoteResolution>(
      io, std::move(remotes), family, [gathering](RemoteResolution::Answer a) { gathering->answered(std::move(a)); });
  gathering->left = resolution->queries();
  resolution->start();
}

}  // namespace taps::detail
