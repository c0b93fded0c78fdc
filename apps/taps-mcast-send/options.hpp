// taps-mcast-send's command line: what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_log.hpp"
#include "common/group_targets.hpp"
#include "common/seq_payload.hpp"
#include "common/tool_frame.hpp"
#include "taps/preconnection.hpp"

namespace taps_mcast_send {

using taps::apps::SeqFormat;
using taps::apps::Verbosity;

struct Stream {
  taps::apps::GroupTarget target;  // source: the address to send from (S@G or --source)
  taps::Preconnection preconnection;  // Initiate toward the group
};

struct Options {
  std::vector<Stream> streams;  // one per group
  double rate = 0;              // datagrams per second and group
  bool paced = true;            // false: --from-stdin without --rate/--bitrate, as fast as read
  std::optional<std::uint64_t> count;                 // --count: per group
  std::optional<std::chrono::milliseconds> duration;  // --duration
  std::size_t size = 1200;  // with --from-stdin: the largest datagram
  SeqFormat seq = SeqFormat::none;
  bool from_stdin = false;
  bool lines = false;
  // --responder: answer taps-mcast-recv --ping on the streams' port (default 4321),
  // for the streams' groups (default RFC 6450's 232.43.211.234 and ff3e::4321:1234).
  bool responder = false;
  Verbosity verbosity = Verbosity::quiet;
};

using ParseResult = taps::apps::ParseResult<Options>;

// Parses argv (argv[0] included). Never exits the process, never throws.
ParseResult parse(const std::vector<std::string>& args);

// "10M", "1.5G", "800k", "64000": bits per second; nullopt when it is none.
std::optional<double> parse_bitrate(const std::string& text);

}  // namespace taps_mcast_send
