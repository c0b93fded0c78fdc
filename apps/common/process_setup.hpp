// What every tool does first, before it parses options or opens a socket.
#pragma once

namespace taps::apps {

struct StdioAtStart {
  bool stdin_closed = false;
  bool stdout_closed = false;
  bool stderr_closed = false;
};

// A descriptor 0, 1 or 2 that the caller closed (`<&-`, `>&-`) would otherwise be
// reused by the first socket or eventfd we open: payload would go into the event
// loop's eventfd and its counter would be read as input. Each closed one is opened
// on /dev/null instead, and the caller learns which were closed.
StdioAtStart reopen_closed_stdio();

// Raises the soft limit on open descriptors to the hard one: a listener serving many
// clients needs a descriptor each, and the default soft limit (1024) is an accident of
// history, not a policy.
void raise_descriptor_limit();

// The soft descriptor limit now in force, for error messages.
long descriptor_limit();

}  // namespace taps::apps
