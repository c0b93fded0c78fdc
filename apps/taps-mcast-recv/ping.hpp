// taps-mcast-recv --ping: probe a taps-mcast-send --responder (after ssmping/asmping).
#pragma once

#include "taps-mcast-recv/options.hpp"

namespace taps_mcast_recv {

// Joins the group (SSM or ASM), sends `count` requests (unlimited without -c) to the
// responder by unicast, one per `interval` (1 s), and prints one line per probe on
// stdout: unicast RTT, multicast RTT, hops. Returns the exit code: 0 a multicast answer
// arrived, 6 only unicast answers, 4 no answer, 2 the join or the request failed.
int run_ping(const Options& options, taps::apps::EventLog& log);

}  // namespace taps_mcast_recv
