// ambi-manifest-send's command line (DESIGN.md 5.4): what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_log.hpp"
#include "common/tool_frame.hpp"
#include "metadata/metadata.hpp"
#include "taps/properties.hpp"

namespace ambi_manifest_send {

using taps::apps::Verbosity;

enum class Mode { witness, originate };

struct Options {
  Mode mode = Mode::witness;
  // The stream: S, G, port, stream id, hash and hold times. Its manifest URI is known
  // once the server listens (--listen port 0 picks one).
  ambi_metadata::StreamMetadata stream;
  std::string listen_host;  // empty: every address
  std::uint16_t listen_port = 0;
  std::string cert_file, key_file;
  std::string interface_name;  // -i: where to join (witness) or send (originate)
  std::size_t digests_per_manifest = 64;
  std::chrono::milliseconds manifest_interval{100};
  std::optional<std::uint16_t> refresh_deadline_s;
  std::string metadata_out;
  std::size_t max_backlog = 4 << 20;
  std::size_t max_verifiers = 4096;
  // The multicast side's properties (interface preferences, receive buffer, hop limit,
  // ...) from --config; the options set the endpoints and override what they name.
  taps::TransportProperties multicast_properties;
  // --originate
  std::size_t packet_size = 1200;
  bool lines = false;
  std::size_t wait_verifiers = 0;       // read stdin once this many verifiers are connected
  std::chrono::milliseconds linger{0};  // after EOF, keep serving the last manifests this long
  std::uint64_t rate = 1000;  // packets per second; 0: as fast as possible
  std::uint16_t source_port = 0;
  int ttl = 1;
  Verbosity verbosity = Verbosity::quiet;
};

// The metadata's manifest URI host: the --listen host, or the source when that is a
// wildcard (DESIGN.md 9).
std::string uri_host(const Options& o);

using ParseResult = taps::apps::ParseResult<Options>;

// Parses argv (argv[0] included). Never exits the process, never throws.
ParseResult parse(const std::vector<std::string>& args);

}  // namespace ambi_manifest_send
