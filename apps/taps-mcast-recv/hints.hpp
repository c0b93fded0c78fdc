// What to check when nothing arrives: the usual reasons multicast does not reach a
// receiver, phrased for the host the tool runs on.
#pragma once

#include <string>
#include <vector>

namespace taps_mcast_recv {

// Lines for stderr. `interface_name` is where the join happened (may be empty).
std::vector<std::string> silence_hints(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name);

}  // namespace taps_mcast_recv
