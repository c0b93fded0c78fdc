// ambi-verify's command line (DESIGN.md 5.5): what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/event_log.hpp"
#include "common/payload_output.hpp"
#include "common/tool_frame.hpp"
#include "metadata/metadata.hpp"
#include "taps/properties.hpp"
#include "verifier/verifier_session.hpp"

namespace ambi_verify {

using Output = taps::apps::PayloadOutput;
using taps::apps::Verbosity;

struct Options {
  // The stream to verify: from --metadata, or from --source --group --port --manifest.
  ambi_metadata::StreamMetadata stream;
  std::string metadata_file;  // empty when the stream came from options; re-read on Refresh Deadline
  std::string ca_file;        // --ca; empty: the system trust store
  std::string interface_name;
  std::optional<std::uint64_t> count;                 // -c N
  std::optional<std::chrono::milliseconds> duration;  // -t SEC
  Output output = Output::raw;
  bool stats = false;
  bool strict = false;
  // Consecutive attempts whose server certificate fails verification before ambi-verify
  // gives up with exit 2 (0: retry for ever).
  std::uint32_t manifest_attempts = 3;
  std::size_t max_senders = 256;  // Connections (sender ports) at once
  std::size_t workers = 1;        // --workers: threads that verify (the Context's and N-1 hashing)
  // The multicast side's properties (interface preferences, receive buffer, ...) from
  // --config; the endpoints and the receive-only properties come from the options.
  taps::TransportProperties multicast_properties;
  ambi::DigestStoreLimits limits;  // hold times from the stream, bounds from options
  Verbosity verbosity = Verbosity::quiet;
};

// More hash threads than this would wait for the one thread that receives.
inline constexpr std::size_t max_workers = 16;

using ParseResult = taps::apps::ParseResult<Options>;

// Parses argv (argv[0] included). Never exits the process, never throws. Reads the
// --metadata file.
ParseResult parse(const std::vector<std::string>& args);

// The stream of `streams` that matches what the options pinned down (any of source,
// group, port, stream id may be unset), or an error naming the choice.
struct StreamChoice {
  std::optional<std::string> source, group;
  std::optional<std::uint16_t> port;
  std::optional<std::uint32_t> stream_id;
};
std::variant<ambi_metadata::StreamMetadata, std::string> choose_stream(const std::vector<ambi_metadata::StreamMetadata>& streams,
                                                                       const StreamChoice& choice);

// At a metadata refresh: the manifest stream of `current`'s (S, G, port) to use now, of
// those with an ambi+tls URI: one without `expiration` (the current stream identifier
// first), else the one that expires last; nullopt when there is none.
std::optional<ambi_metadata::StreamMetadata> refreshed_stream(const std::vector<ambi_metadata::StreamMetadata>& streams,
                                                              const ambi_metadata::StreamMetadata& current);

}  // namespace ambi_verify
