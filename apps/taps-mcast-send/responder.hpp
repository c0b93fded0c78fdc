// taps-mcast-send --responder: the other end of taps-mcast-recv --ping (like ssmpingd).
#pragma once

#include "taps-mcast-send/options.hpp"

namespace taps_mcast_send {

// Listens for probe requests on UDP (the streams' port, 4321 by default, every address
// unless --source names one) and answers each twice: by unicast to the client, and by
// multicast to the group it asked for (only the streams' groups), from the address the
// request went to, to the client's port, with --ttl (64 by default). Runs until SIGINT
// or SIGTERM; returns the exit code (2 when it cannot listen).
int run_responder(const Options& options, taps::apps::EventLog& log);

}  // namespace taps_mcast_send
