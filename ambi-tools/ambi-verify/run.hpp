// ambi-verify's run: Listen on (S,G) with the verifier framer, write what it delivers.
#pragma once

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "ambi-verify/options.hpp"

namespace ambi_verify {

// Returns the exit code (see --help and DESIGN.md section 5).
int run(const Options& options, taps::apps::EventLog& log, const taps::apps::StdioAtStart& stdio);

}  // namespace ambi_verify
