// taps-cat's command line: what the user asked for, before any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_log.hpp"
#include "common/tool_frame.hpp"
#include "taps/framer.hpp"
#include "taps/preconnection.hpp"

namespace taps_cat {

enum class Mode { connect, listen };
using taps::apps::Verbosity;

struct Options {
  Mode mode = Mode::connect;
  std::string host;       // connect: the remote host; listen: the local address (may be empty)
  std::uint16_t port = 0;
  bool keep_open = false;           // -k
  std::size_t max_clients = 256;    // -k: connections served at once
  std::size_t max_message = taps::default_max_message_size;  // --max-message: framed messages, both ways
  std::string exec;                 // -e CMD
  std::optional<std::chrono::milliseconds> timeout;  // --timeout SEC: establishment
  std::chrono::milliseconds wait{0};                  // --wait SEC: UDP replies after EOF; TCP idle bound
  bool datagram_lines = false;                        // --lines: with --udp, a datagram per stdin line
  std::size_t clone = 0;                              // --clone N: N connections of one group
  bool fast_open = false;                             // --fast-open: stdin's first read in the SYN (InitiateWithSend)
  bool recv_only = false;                             // --recv-only: never read stdin, never send
  bool send_only = false;                             // --send-only: discard what arrives, end at stdin EOF
  // --resolve: print the endpoints that connecting would use (Resolve), connect nothing.
  bool resolve_only = false;
  // --rendezvous: meet a peer that does the same (Rendezvous), instead of connecting.
  bool rendezvous = false;
  // -z: connect to each port and report open/closed, nothing sent (PORT may be a range).
  bool scan = false;
  std::uint16_t scan_last_port = 0;
  // -l --tls without --cert: serve a certificate made for this run (like ncat -l --ssl).
  bool ephemeral_certificate = false;
  Verbosity verbosity = Verbosity::quiet;
  bool print_config = false;
  std::string config_file;
  std::vector<std::string> warnings;  // gathered while parsing; ParseResult carries them out
  // With a framer, stdin lines are messages and each received message is a line.
  bool framed() const { return !preconnection.framers().empty(); }

  // The Preconnection that the options and the config file describe.
  taps::Preconnection preconnection;
};

using ParseResult = taps::apps::ParseResult<Options>;

// Parses argv (argv[0] included). Never exits the process, never throws.
ParseResult parse(const std::vector<std::string>& args);

}  // namespace taps_cat
