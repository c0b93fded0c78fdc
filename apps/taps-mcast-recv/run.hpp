// taps-mcast-recv's run: Listen on the group, count and print what arrives.
#pragma once

#include "taps-mcast-recv/options.hpp"

namespace taps_mcast_recv {

// Returns the exit code (DESIGN.md section 5).
int run(const Options& options);

}  // namespace taps_mcast_recv
