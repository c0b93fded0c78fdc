// The reachability probe between taps-mcast-recv --ping and taps-mcast-send --responder,
// after ssmping/asmping (RFC 6450): the client sends a request by unicast to the
// responder (UDP port 4321); the responder answers it twice, by unicast to the client
// and by multicast to the group the request names, from the address the request went
// to, to the client's port. The client measures both round trips and, from the hop
// limit the multicast answer was sent with and the one it arrived with, the routers on
// the way. Not ssmping's wire format (that has no field for the hop limit sent with).
//
// Every message, network order:
//   magic "tpng" (4)  version 1 (1)  kind (1)  sequence (4)  nonce (4)  client time (8)
//   hop limit (1)  source (1 + text)  group (1 + text)  detail (1 + text)
// kind: 'Q' request, 'U' unicast answer, 'M' multicast answer, 'E' refusal (detail says
// why; in a unicast answer it says why the multicast one could not be sent). The answers echo sequence, nonce, client time, source and group; the nonce
// tells one client's answers from another's on a shared group. Pure: bytes in and out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace taps::apps {

// The responder's UDP port and the default groups (RFC 6450's ssmping groups).
inline constexpr std::uint16_t ping_port = 4321;
inline constexpr const char* ping_group_v4 = "232.43.211.234";
inline constexpr const char* ping_group_v6 = "ff3e::4321:1234";

struct PingMessage {
  enum class Kind : char { request = 'Q', unicast_answer = 'U', multicast_answer = 'M', refusal = 'E' };
  Kind kind = Kind::request;
  std::uint32_t seq = 0;
  std::uint32_t nonce = 0;
  std::int64_t client_time_ns = 0;  // the client's clock, echoed (for clients that keep no state)
  std::uint8_t hop_limit = 0;       // multicast answer: the hop limit it was sent with
  std::string source;               // the responder's address the request went to (S)
  std::string group;                // G
  std::string detail;               // refusal: the reason; unicast answer: why no multicast one
  friend bool operator==(const PingMessage&, const PingMessage&) = default;
};

// Texts longer than 255 bytes are cut (addresses and reasons are far shorter).
std::vector<std::uint8_t> encode(const PingMessage& message);
// nullopt for anything that is not a whole, well-formed message of version 1.
std::optional<PingMessage> decode_ping_message(std::span<const std::uint8_t> bytes);

}  // namespace taps::apps
