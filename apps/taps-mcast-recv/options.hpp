// taps-mcast-recv's command line: what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_log.hpp"
#include "common/payload_output.hpp"
#include "common/tool_frame.hpp"
#include "taps-mcast-recv/ping_target.hpp"
#include "taps-mcast-recv/sequence.hpp"
#include "taps/preconnection.hpp"

namespace taps_mcast_recv {

using Output = taps::apps::PayloadOutput;
using taps::apps::Verbosity;

// One group (and port) to join: a Listener of its own, so that the kernel's limit of
// memberships per socket (net.ipv4.igmp_max_memberships) never bounds the groups.
struct Stream {
  std::string group;
  std::uint16_t port = 0;
  std::vector<std::string> sources;  // empty: any source (ASM)
  std::vector<std::string> excluded;  // --exclude: ASM minus these
  // The Listen Preconnection that the options (and --config) describe.
  taps::Preconnection preconnection;
};

struct Options {
  std::vector<Stream> streams;
  std::string interface_name;        // -i; empty: by route
  std::optional<std::uint64_t> count;                // -c N (all groups together)
  std::optional<std::chrono::milliseconds> duration;  // -t SEC
  Output output = Output::raw;
  SeqFormat seq = SeqFormat::none;
  bool stats = false;                                  // --stats: final statistics
  std::optional<std::chrono::milliseconds> interval;   // --interval SEC (--stats=SEC)
  bool timestamps = false;                             // --timestamps: wall clock on rows
  std::size_t max_senders = 1024;                      // --max-senders N
  std::chrono::milliseconds sender_idle{std::chrono::seconds(60)};  // --sender-idle SEC
  std::chrono::milliseconds hint_after{std::chrono::seconds(3)};     // --hint-after SEC
  Verbosity verbosity = Verbosity::quiet;
  // --ping S@G: probe a responder instead of receiving (-c probes, --interval apart).
  std::optional<PingTarget> ping;
};

using ParseResult = taps::apps::ParseResult<Options>;

// Parses argv (argv[0] included). Never exits the process, never throws.
ParseResult parse(const std::vector<std::string>& args);

}  // namespace taps_mcast_recv
