// How a Preconnection that names a multicast group is checked, listened on and
// initiated. Kept apart from preconnection.cpp, which only routes here.
#pragma once

#include <optional>

#include "taps/preconnection.hpp"

namespace taps::detail {

// A local endpoint that is a group (with_*_multicast_group, or a group address), or a
// remote endpoint whose address is a group.
bool is_multicast(const Preconnection& p);

// The errors Listen and Initiate return at once. Initiate on a receive-only multicast
// Preconnection (its local endpoint is a group) is errc::establishment_failed.
std::optional<Error> validate_multicast_listen(const Preconnection& p);
std::optional<Error> validate_multicast_initiate(const Preconnection& p);

// Listen: joins and emits listening, joined, then connection_received per sender.
Result<Listener> listen_multicast(Context& ctx, const Preconnection& p, ListenerHandlers handlers);
// Initiate toward a group: a send-only UDP Connection (hop limit
// _taps.multicastHopLimit, loopback off, the chosen interface and source address).
Result<Connection> initiate_multicast(Context& ctx, const Preconnection& p, ConnectionHandlers handlers);

}  // namespace taps::detail
