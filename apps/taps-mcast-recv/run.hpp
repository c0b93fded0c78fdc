// taps-mcast-recv's run: Listen on the group, count and print what arrives.
#pragma once

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "taps-mcast-recv/options.hpp"

namespace taps_mcast_recv {

// Returns the exit code (DESIGN.md section 5).
int run(const Options& options, taps::apps::EventLog& log, const taps::apps::StdioAtStart& stdio);

}  // namespace taps_mcast_recv
