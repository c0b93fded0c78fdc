// ambi-manifest-send's run: serve ambi+tls, write the metadata, then witness or originate.
#pragma once

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "ambi-manifest-send/options.hpp"

namespace ambi_manifest_send {

// Returns the exit code (see --help and DESIGN.md section 5).
int run(const Options& options, taps::apps::EventLog& log, const taps::apps::StdioAtStart& stdio);

}  // namespace ambi_manifest_send
