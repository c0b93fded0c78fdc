// taps-mcast-send's run: Initiate toward every group, send the paced stream, report.
#pragma once

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "taps-mcast-send/options.hpp"

namespace taps_mcast_send {

// Returns the exit code (DESIGN.md section 5).
int run(const Options& options, taps::apps::EventLog& log, const taps::apps::StdioAtStart& stdio);

}  // namespace taps_mcast_send
