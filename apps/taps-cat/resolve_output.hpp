// taps-cat --resolve: what Resolve found, as the one JSON object the tool prints.
#pragma once

#include <string>

#include "taps/preconnection.hpp"

namespace taps_cat {

// {"localEndpoints":[...],"remoteEndpoints":[...]}, each endpoint with the keys of a
// --config file (hostName, port, ipAddress, interface) that it has; on one line.
std::string resolved_json(const taps::ResolvedEndpoints& resolved);

}  // namespace taps_cat
