// taps-cat's racing options: more remote endpoints (-r), the protocol stacks to race
// (--protocols) and interface preferences (-i). Kept apart from options.cpp so that it
// stays about the general connect and listen options.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace taps_cat {

struct Options;

struct RaceFlags {
  std::vector<std::string> remotes;     // -r HOST:PORT
  std::string protocols;                // --protocols LIST
  std::vector<std::string> interfaces;  // -i NAME[:LEVEL]
  bool opportunistic = false;           // set by apply_protocols: tls then tcp
  bool tcp_and_udp = false;             // set by apply_protocols: -l serving both
};

void add_race_options(CLI::App& app, RaceFlags& flags);

// Before the TLS options: turns --protocols into the --tls/--tcp/--udp/--quic choice it
// means, refusing lists that are not equivalent stacks or that put plaintext first.
// A Listener (`listen`) may also serve tcp and udp side by side. quic,tls is --quic
// and --tls at once: both race, QUIC first (a Listener serves both).
std::optional<std::string> apply_protocols(RaceFlags& flags, bool listen, bool& tls, bool& tcp, bool& udp, bool& quic);

// After the other options: the remote endpoints of -r and the interface property of -i
// (for a multicast group HOST, -i names the one interface to send on). The error, if any.
std::optional<std::string> apply_race_options(const RaceFlags& flags, Options& o, bool multicast_group);

}  // namespace taps_cat
