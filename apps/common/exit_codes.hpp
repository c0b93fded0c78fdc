// The exit codes of every tool (DESIGN.md section 5), and how engine errors map to them.
#pragma once

#include <system_error>

namespace taps::apps {

enum ExitCode : int {
  exit_ok = 0,
  exit_usage = 1,          // usage or configuration error
  exit_establishment = 2,  // all candidates failed, listen or join failed
  exit_connection = 3,     // connection lost or protocol error
  exit_timeout = 4,        // timeout
  exit_integrity = 5,      // AMBI integrity failure under --strict
  exit_no_multicast = 6,   // --ping: the responder answered by unicast, its multicast never arrived
};

// An error that ended establishment (Initiate or Listen): a configuration error is 1,
// a timeout 4, anything else 2.
int exit_code_for_establishment(const std::error_code& ec);
// An error that ended an open connection: a timeout is 4, anything else 3.
int exit_code_for_connection(const std::error_code& ec);

// Call once the exit code is decided, before the tool's signal handlers go away: a
// SIGINT or SIGTERM that arrives later (`timeout` signals the child and then its whole
// process group) stays pending instead of turning the exit code into 128+N.
void hold_stop_signals();

}  // namespace taps::apps
