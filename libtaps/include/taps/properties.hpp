// Transport Properties of RFC 9622 section 6.2 (selection) and 8.1 (connection),
// with the preference levels and profiles the RFC defines.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taps/connection_properties.hpp"
#include "taps/security.hpp"

namespace taps {

enum class Preference { require, prefer, no_preference, avoid, prohibit };

// "require", "prefer", "noPreference", "avoid", "prohibit" (RFC 9622 spelling).
std::string_view to_string(Preference p) noexcept;
std::optional<Preference> preference_from_string(std::string_view s) noexcept;

enum class Direction { bidirectional, unidirectional_send, unidirectional_receive };
std::string_view to_string(Direction d) noexcept;  // "bidirectional", "unidirectionalSend", ...
std::optional<Direction> direction_from_string(std::string_view s) noexcept;

// The protocol stacks this engine can build. tls is TLS 1.3 over TCP; quic is a stream of
// a QUIC connection (RFC 9000, with its TLS 1.3).
enum class Stack { tcp, udp, tls, quic };
std::string_view to_string(Stack s) noexcept;  // "tcp", "udp", "tls/tcp", "quic"

// Selection and connection properties of one Preconnection. A value type: copy freely.
//
// Preference-valued selection properties are addressed by their RFC 9622 names
// (reliability, preserveMsgBoundaries, perMsgReliability, preserveOrder, zeroRttMsg,
// multistreaming, fullChecksumSend, fullChecksumRecv, congestionControl, keepAlive,
// useTemporaryLocalAddress, softErrorNotify, activeReadBeforeSend). Unknown names are
// rejected by set() so that a typo never silently selects the default.
class TransportProperties {
 public:
  // RFC 9622 defaults ("reliable-inorder-stream").
  TransportProperties();

  // RFC 9622 section 6.2 profiles.
  static TransportProperties reliable_inorder_stream();
  static TransportProperties reliable_message();
  static TransportProperties unreliable_datagram();

  // The names set() accepts, in RFC order.
  static const std::vector<std::string_view>& selection_property_names();

  // Returns false (and changes nothing) when `name` is not a selection property.
  bool set(std::string_view name, Preference p);
  TransportProperties& require(std::string_view name) { return checked_set(name, Preference::require); }
  TransportProperties& prefer(std::string_view name) { return checked_set(name, Preference::prefer); }
  TransportProperties& avoid(std::string_view name) { return checked_set(name, Preference::avoid); }
  TransportProperties& prohibit(std::string_view name) { return checked_set(name, Preference::prohibit); }

  Preference get(std::string_view name) const;
  // True when the value was set by the application rather than left at the default.
  bool is_explicit(std::string_view name) const;

  // Selection property "direction".
  TransportProperties& set_direction(Direction d) { direction_ = d; return *this; }
  Direction direction() const noexcept { return direction_; }

  // Selection property "interface": a preference per interface name.
  TransportProperties& set_interface(std::string name, Preference p);
  const std::map<std::string, Preference>& interfaces() const noexcept { return interfaces_; }

  // The connection properties (RFC 9622 section 8) that every Connection made from
  // this Preconnection starts with; see connection_properties.hpp. keepAliveTimeout
  // applies when keepAlive is require or prefer.
  ConnectionProperties connection;
  // _taps.addressFamily: restrict candidates to IPv4 (4) or IPv6 (6); 0 = both.
  int address_family = 0;
  // _taps.multicastHopLimit (default 1) and _taps.multicastReceiveBuffer (bytes, default 4 MiB).
  int multicast_hop_limit = 1, multicast_receive_buffer = 4 << 20;
  // _taps.multicastLoopback: a receiver on the sending host gets the datagrams too.
  bool multicast_loopback = false;
  // Racing timers (RFC 8305): Connection Attempt Delay and Resolution Delay.
  std::chrono::milliseconds connection_attempt_delay{250};
  std::chrono::milliseconds resolution_delay{50};
  // RFC 8305 section 4 First Address Family Count: IPv6 addresses tried before the first IPv4.
  int first_address_family_count = 1;

  friend bool operator==(const TransportProperties&, const TransportProperties&) = default;

 private:
  TransportProperties& checked_set(std::string_view name, Preference p);

  struct Value {
    Preference preference;
    bool is_explicit;
    friend bool operator==(const Value&, const Value&) = default;
  };
  std::map<std::string, Value, std::less<>> selection_;
  Direction direction_ = Direction::bidirectional;
  std::map<std::string, Preference> interfaces_;
};

// A Stack that satisfies the properties, best first; or the reason none does, naming
// the property. Pure: it is what Initiate and Listen use to pick the stack.
struct StackSelection {
  std::vector<Stack> stacks;  // best first; empty when error is set
  std::string error;          // "reliability=require and preserveMsgBoundaries=require: ..."
};
// `framed`: a message framer runs on top, so every stack preserves message boundaries.
StackSelection select_stacks(const TransportProperties& props, bool framed = false);
// The same with the security layer: when `security` allows TLS, the stacks with a
// security layer are the candidates (tls/tcp; quic, see below) and the others drop out
// (never a plaintext fall-back, unless the security is opportunistic: then tcp follows
// the secure stacks); when that leaves none, the error says so. QUIC is selected only
// when multistreaming is set explicitly, with security: `require` selects quic alone,
// `prefer` ranks quic before tls/tcp (they race); the RFC's implicit default (prefer)
// leaves TLS over TCP as it was, so that no existing Preconnection starts sending UDP
// without asking. What each stack offers is data in the engine's protocol registry.
StackSelection select_stacks(const TransportProperties& props, const SecurityParameters& security,
                             bool framed = false);

}  // namespace taps
