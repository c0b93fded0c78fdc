// taps-mcast-send's run: Initiate toward every group, send the paced stream, report.
#pragma once

#include "taps-mcast-send/options.hpp"

namespace taps_mcast_send {

// Returns the exit code (DESIGN.md section 5).
int run(const Options& options);

}  // namespace taps_mcast_send
