// Connection Properties of RFC 9622 section 8.1 and the TCP-specific ones of 8.2: the
// typed table behind Connection::set_property and get_properties, and the settable part
// that a Preconnection carries (TransportProperties::connection).
//
// Names and value types, as Connection::set_property takes them (null = the RFC's
// special value: Disabled, Unlimited or Not applicable):
//
//   connPriority                   integer >= 0, default 100; the only one not shared
//                                  by a connection group (RFC 9622 section 7.4)
//   connTimeout                    integer ms or null (default): abort the connection when
//                                  sent data stays unacknowledged that long (TCP_USER_TIMEOUT).
//                                  How long establishment may take is Initiate's own timeout.
//   keepAliveTimeout               integer s or null (default): idle time before a keep-alive
//                                  probe and between probes (TCP_KEEPIDLE, TCP_KEEPINTVL);
//                                  keep-alive itself is the keepAlive selection property
//   connScheduler                  "weightedFairQueueing" (default), "firstComeFirstServed",
//                                  "roundRobin", "roundRobinPerPacket", "priority",
//                                  "fairCapacity" (RFC 8260 section 3): how a group that
//                                  multiplexes streams shares its capacity; TCP and TLS groups
//                                  are separate connections, so it changes nothing there
//   connCapacityProfile            "default", "scavenger", "lowLatencyInteractive",
//                                  "lowLatencyNonInteractive", "constantRateStreaming",
//                                  "capacitySeeking": the DSCP of every packet (dscp_for)
//   minSendRate, maxSendRate       integer bit/s or null (Unlimited, default). maxSendRate
//                                  paces TCP (SO_MAX_PACING_RATE); no transport here can
//                                  promise a minimum, so minSendRate is recorded only
//   groupConnLimit                 integer >= 1 or null (Unlimited, default): Connections a
//                                  group may hold; a clone beyond it gets clone_error
//   isolateSession                 bool, default false: the group takes no TLS session
//                                  ticket from outside it, and gives none away
//   tcp.userTimeoutValue           integer s or null (default): TCP_USER_TIMEOUT; takes
//                                  precedence over connTimeout
//   tcp.userTimeoutEnabled         bool, default false. Linux cannot send the User Timeout
//                                  Option (RFC 5482), so true is refused as not supported.
//   tcp.userTimeoutChangeable      bool, default true (nothing changes it here: the kernel
//                                  does not read a peer's option either)
// Read-only (Connection::get_properties only):
//   connState                      "establishing", "established", "closing", "closed"
//   canSend, canReceive            bool
//   singularTransmissionMsgMaxLen  integer bytes, or null when not applicable (a stream)
//   sendMsgMaxLen, recvMsgMaxLen   integer bytes, or null for no limit (a stream)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "taps/capacity_profile.hpp"
#include "taps/error.hpp"

namespace taps {

// A property's value. std::monostate is the RFC's special value (Disabled, Unlimited,
// Not applicable), null in JSON.
using PropertyValue = std::variant<std::monostate, bool, std::int64_t, std::string>;

// JSON spelling of a value: null, true, 100, "default".
std::string to_string(const PropertyValue& value);

enum class ConnScheduler {
  weighted_fair_queueing, first_come_first_served, round_robin, round_robin_per_packet, priority, fair_capacity
};
std::string_view to_string(ConnScheduler s) noexcept;  // "weightedFairQueueing", ...
std::optional<ConnScheduler> conn_scheduler_from_string(std::string_view s) noexcept;

// One row of the table, in RFC order.
struct PropertyInfo {
  std::string_view name;
  bool read_only;
};

// One property as get_properties reports it.
struct Property {
  std::string name;
  PropertyValue value;
  bool read_only = false;
  friend bool operator==(const Property&, const Property&) = default;
};

// The settable connection properties: a value type, copied into each Connection (and
// shared by a connection group). Fields are typed; set() and get() address them by
// their RFC names.
struct ConnectionProperties {
  std::int64_t conn_priority = 100;
  std::optional<std::chrono::milliseconds> conn_timeout;
  std::optional<std::chrono::seconds> keep_alive_timeout;
  ConnScheduler conn_scheduler = ConnScheduler::weighted_fair_queueing;
  CapacityProfile conn_capacity_profile = CapacityProfile::default_profile;
  std::optional<std::int64_t> min_send_rate, max_send_rate;  // bit/s; unset = Unlimited
  std::optional<std::int64_t> group_conn_limit;              // unset = Unlimited
  bool isolate_session = false;
  std::optional<std::chrono::seconds> tcp_user_timeout_value;
  bool tcp_user_timeout_enabled = false;
  bool tcp_user_timeout_changeable = true;

  // Every name get_properties reports, settable and read-only, in RFC order.
  static const std::vector<PropertyInfo>& table();
  // The settable names only.
  static std::vector<std::string_view> settable_names();

  // Sets one property by name. Errors (nothing changes): errc::invalid_configuration for
  // an unknown name (with the closest known one), a read-only name or a value of the
  // wrong type or range; errc::not_supported for tcp.userTimeoutEnabled = true. The
  // detail starts with the property's name.
  std::optional<Error> set(std::string_view name, const PropertyValue& value);
  // The value of a settable property; nullopt for any other name.
  std::optional<PropertyValue> get(std::string_view name) const;

  // The user timeout the kernel gets: tcp.userTimeoutValue, else connTimeout.
  std::optional<std::chrono::milliseconds> user_timeout() const;

  friend bool operator==(const ConnectionProperties&, const ConnectionProperties&) = default;
};

}  // namespace taps
