// The multicast groups on a command line (taps-mcast-send and taps-mcast-recv):
//
//   GROUP            232.1.1.1, ff3e::8000:1
//   S@G              10.0.0.1@232.1.1.1, 2001:db8::1@ff3e::8000:1 (SSM)
//   G:PORT, S@G:PORT 232.1.1.1:5001, 10.0.0.1@232.1.1.1:5001, 2001:db8::1@[ff3e::1]:5001
//   G+N              232.1.1.1+99: that group and the 99 after it (mcjoin's -c)
//
// The last argument may be a bare PORT, for every group that names none. Pure: text
// in, targets or an error naming the bad argument out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taps::apps {

struct GroupTarget {
  std::string source;  // empty: any source (ASM)
  std::string group;
  std::uint16_t port = 0;
  friend bool operator==(const GroupTarget&, const GroupTarget&) = default;
};

struct GroupTargets {
  std::vector<GroupTarget> targets;  // in the order given, ranges expanded
  std::string error;                 // set when the arguments are wrong
};

// `max_groups` bounds what a range may expand to (a typo like +9999999 is an error,
// not a million sockets).
GroupTargets parse_group_targets(const std::vector<std::string>& args, std::size_t max_groups);

// "G:PORT" or "[G]:PORT", for messages and events.
std::string group_port_string(const std::string& group, std::uint16_t port);

}  // namespace taps::apps
