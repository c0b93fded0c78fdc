// The host's interfaces, for the candidate tree's paths.
#pragma once

#include <vector>

#include "racing/candidate_tree.hpp"

namespace taps::detail {

// The interfaces that are up, in index order (getifaddrs: a local query, no waiting).
std::vector<HostInterface> up_interfaces();

}  // namespace taps::detail
