// What `taps-mcast-recv --ping` asks: the responder's address S, the group G it answers
// on, and the responder's UDP port. Pure: text in, target or a message out.
//
//   S            G is RFC 6450's ssmping group of S's family (232.43.211.234, ff3e::4321:1234)
//   S@G          that group
//   S@G:PORT     a responder on another port than 4321 (IPv6: S@[G]:PORT)
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace taps_mcast_recv {

struct PingTarget {
  std::string source;
  std::string group;
  std::uint16_t port = 0;
  // A group in the SSM range (232/8, ff3x::) is joined as (S,G), like ssmping; any
  // other as (*,G), like asmping, so that the probe tests ASM (the RP, the shared tree).
  bool ssm = true;
  friend bool operator==(const PingTarget&, const PingTarget&) = default;
};

// The target, or the reason it is none (for "taps-mcast-recv: --ping ...: REASON").
std::variant<PingTarget, std::string> parse_ping_target(const std::string& text);

}  // namespace taps_mcast_recv
