// taps-mcast-recv's command line: what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_log.hpp"
#include "common/payload_output.hpp"
#include "taps-mcast-recv/sequence.hpp"
#include "taps/preconnection.hpp"

namespace taps_mcast_recv {

using Output = taps::apps::PayloadOutput;
using taps::apps::Verbosity;

struct Options {
  std::string group;
  std::uint16_t port = 0;
  std::vector<std::string> sources;  // -s and S@G; empty: any source (ASM)
  std::string interface_name;        // -i; empty: by route
  std::optional<std::uint64_t> count;                // -c N
  std::optional<std::chrono::milliseconds> duration;  // -t SEC
  Output output = Output::raw;
  SeqFormat seq = SeqFormat::none;
  bool stats = false;                                  // --stats: final statistics
  std::optional<std::chrono::milliseconds> stats_interval;  // --stats=SEC: also periodic
  Verbosity verbosity = Verbosity::quiet;

  // The Listen Preconnection that the options (and --config) describe.
  taps::Preconnection preconnection;
};

// What parse() decided: run with the options, or exit now with `exit_code` after
// printing `output` (help, version) to stdout or `error` to stderr.
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
  std::string output;
  std::string error;
};

// Parses argv (argv[0] included). Never exits the process, never throws.
ParseResult parse(const std::vector<std::string>& args);

}  // namespace taps_mcast_recv
