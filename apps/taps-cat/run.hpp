#pragma once

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "taps-cat/options.hpp"

namespace taps_cat {

// Runs taps-cat as the options say; returns the exit code (DESIGN.md section 5).
int run(const Options& options, taps::apps::EventLog& log, const taps::apps::StdioAtStart& stdio);

}  // namespace taps_cat
