// taps-cat's multicast send option (--ttl; -i is in race_options): kept apart from
// options.cpp so that it stays about the general connect and listen options.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace taps_cat {

struct Options;

struct MulticastFlags {
  std::string ttl;  // --ttl N as given; empty: not given
};

void add_multicast_options(CLI::App& app, MulticastFlags& flags);
// After the other options: a multicast HOST means UDP (unless a stack was forced,
// which the engine then refuses), --ttl sets _taps.multicastHopLimit. The error, if any.
std::optional<std::string> apply_multicast_options(const MulticastFlags& flags, Options& o);
// True when HOST is a multicast group literal (taps-cat then sends to it).
bool is_multicast_group(const Options& o);

}  // namespace taps_cat
