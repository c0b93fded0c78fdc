// The cause, in words, of the errnos a multicast join or send meets, and the fix: an
// operator who reads "No such device" learns nothing; "no route toward 10.0.0.1 ...:
// add one or give -i IF" says what to do. Pure: errno and context in, text out.
#pragma once

#include <string>

namespace taps::detail {

struct MulticastFailure {
  enum class Action { join, send };
  Action action = Action::join;
  int error = 0;               // the errno
  std::string group;           // G, without the port
  std::string source;          // join: the SSM source; send: the local address asked for; or empty
  std::string interface_name;  // the interface given or chosen; empty: the kernel's route decides
};

// "no route to 232.1.1.1: add a route (...) or give -i IF", without the errno's own text;
// empty for an errno without a known cause here.
std::string multicast_failure_cause(const MulticastFailure& failure);

// "STRERROR: CAUSE" (or only STRERROR when no cause is known).
std::string multicast_failure_text(const MulticastFailure& failure);

}  // namespace taps::detail
