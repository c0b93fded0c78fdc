#include "taps/connection_properties.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>

#include "taps/config.hpp"

namespace taps {
namespace {

constexpr std::array<std::pair<CapacityProfile, std::string_view>, 6> profile_names{{
    {CapacityProfile::default_profile, "default"},
    {CapacityProfile::scavenger, "scavenger"},
    {CapacityProfile::low_latency_interactive, "lowLatencyInteractive"},
    {CapacityProfile::low_latency_non_interactive, "lowLatencyNonInteractive"},
    {CapacityProfile::constant_rate_streaming, "constantRateStreaming"},
    {CapacityProfile::capacity_seeking, "capacitySeeking"},
}};

constexpr std::array<std::pair<ConnScheduler, std::string_view>, 6> scheduler_names{{
    {ConnScheduler::weighted_fair_queueing, "weightedFairQueueing"},
    {ConnScheduler::first_come_first_served, "firstComeFirstServed"},
    {ConnScheduler::round_robin, "roundRobin"},
    {ConnScheduler::round_robin_per_packet, "roundRobinPerPacket"},
    {ConnScheduler::priority, "priority"},
    {ConnScheduler::fair_capacity, "fairCapacity"},
}};

template <class Names>
std::string choices(const Names& names) {
  std::string out;
  for (const auto& [value, name] : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

Error bad_value(std::string_view name, const PropertyValue& value, std::string_view expected) {
  return make_error(errc::invalid_configuration, fmt::format("{}: expected {}, got {}", name, expected, to_string(value)));
}

// An integer in [low, high], or null when `nullable`. The caller stores the result.
struct Checked {
  std::optional<std::int64_t> value;
  std::optional<Error> error;
};
Checked integer(std::string_view name, const PropertyValue& v, std::int64_t low, std::int64_t high, bool nullable,
                std::string_view expected) {
  if (nullable && std::holds_alternative<std::monostate>(v)) return {};
  const auto* n = std::get_if<std::int64_t>(&v);
  if (!n || *n < low || *n > high) return {std::nullopt, bad_value(name, v, expected)};
  return {*n, std::nullopt};
}

constexpr std::int64_t int_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t rate_max = std::numeric_limits<std::int64_t>::max() / 2;

}  // namespace

std::string to_string(const PropertyValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t n) const { return std::to_string(n); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
  };
  return std::visit(Visitor{}, value);
}

std::string_view to_string(CapacityProfile p) noexcept {
  for (const auto& [value, name] : profile_names) {
    if (value == p) return name;
  }
  return "default";
}

std::optional<CapacityProfile> capacity_profile_from_string(std::string_view s) noexcept {
  for (const auto& [value, name] : profile_names) {
    if (name == s) return value;
  }
  return std::nullopt;
}

std::string_view to_string(ConnScheduler s) noexcept {
  for (const auto& [value, name] : scheduler_names) {
    if (value == s) return name;
  }
  return "weightedFairQueueing";
}

std::optional<ConnScheduler> conn_scheduler_from_string(std::string_view s) noexcept {
  for (const auto& [value, name] : scheduler_names) {
    if (name == s) return value;
  }
  return std::nullopt;
}

const std::vector<PropertyInfo>& ConnectionProperties::table() {
  static const std::vector<PropertyInfo> rows{
      {"connPriority", false},
      {"connTimeout", false},
      {"keepAliveTimeout", false},
      {"connScheduler", false},
      {"connCapacityProfile", false},
      {"minSendRate", false},
      {"maxSendRate", false},
      {"groupConnLimit", false},
      {"isolateSession", false},
      {"connState", true},
      {"canSend", true},
      {"canReceive", true},
      {"singularTransmissionMsgMaxLen", true},
      {"sendMsgMaxLen", true},
      {"recvMsgMaxLen", true},
      {"tcp.userTimeoutValue", false},
      {"tcp.userTimeoutEnabled", false},
      {"tcp.userTimeoutChangeable", false},
  };
  return rows;
}

std::vector<std::string_view> ConnectionProperties::settable_names() {
  std::vector<std::string_view> names;
  for (const auto& row : table()) {
    if (!row.read_only) names.push_back(row.name);
  }
  return names;
}

std::optional<Error> ConnectionProperties::set(std::string_view name, const PropertyValue& v) {
  auto flag = [&](bool& field) -> std::optional<Error> {
    const auto* b = std::get_if<bool>(&v);
    if (!b) return bad_value(name, v, "true or false");
    field = *b;
    return std::nullopt;
  };
  auto number = [&](auto& field, std::int64_t low, std::int64_t high, std::string_view expected) -> std::optional<Error> {
    auto checked = integer(name, v, low, high, true, expected);
    if (checked.error) return checked.error;
    using Field = typename std::remove_reference_t<decltype(field)>::value_type;
    if (checked.value) field = Field(*checked.value);
    else field.reset();
    return std::nullopt;
  };
  if (name == "connPriority") {
    auto checked = integer(name, v, 0, int_max, false, "an integer of at least 0");
    if (checked.error) return checked.error;
    conn_priority = *checked.value;
    return std::nullopt;
  }
  if (name == "connTimeout") return number(conn_timeout, 1, int_max, "milliseconds (1-2147483647) or null for none");
  if (name == "keepAliveTimeout") return number(keep_alive_timeout, 1, 32767, "seconds (1-32767) or null for none");
  if (name == "tcp.userTimeoutValue") {
    return number(tcp_user_timeout_value, 1, int_max / 1000, "seconds (1-2147483) or null for the system's default");
  }
  if (name == "minSendRate") return number(min_send_rate, 1, rate_max, "bits per second or null for unlimited");
  if (name == "maxSendRate") return number(max_send_rate, 8, rate_max, "bits per second (at least 8) or null for unlimited");
  if (name == "groupConnLimit") return number(group_conn_limit, 1, int_max, "an integer of at least 1 or null for unlimited");
  if (name == "connScheduler") {
    const auto* s = std::get_if<std::string>(&v);
    auto scheduler = s ? conn_scheduler_from_string(*s) : std::nullopt;
    if (!scheduler) return bad_value(name, v, "one of " + choices(scheduler_names));
    conn_scheduler = *scheduler;
    return std::nullopt;
  }
  if (name == "connCapacityProfile") {
    const auto* s = std::get_if<std::string>(&v);
    auto profile = s ? capacity_profile_from_string(*s) : std::nullopt;
    if (!profile) return bad_value(name, v, "one of " + choices(profile_names));
    conn_capacity_profile = *profile;
    return std::nullopt;
  }
  if (name == "isolateSession") return flag(isolate_session);
  if (name == "tcp.userTimeoutChangeable") return flag(tcp_user_timeout_changeable);
  if (name == "tcp.userTimeoutEnabled") {
    const auto* b = std::get_if<bool>(&v);
    if (!b) return bad_value(name, v, "true or false");
    if (*b) {
      return make_error(errc::not_supported,
                        "tcp.userTimeoutEnabled: Linux TCP cannot send the User Timeout Option (RFC 5482); "
                        "tcp.userTimeoutValue sets the local user timeout");
    }
    tcp_user_timeout_enabled = false;
    return std::nullopt;
  }
  for (const auto& row : table()) {
    if (row.name == name) return make_error(errc::invalid_configuration, fmt::format("{} is read-only", name));
  }
  std::vector<std::string_view> known;
  for (const auto& row : table()) known.push_back(row.name);
  auto near = closest_name(name, known);
  return make_error(errc::invalid_configuration,
                    fmt::format("unknown connection property '{}'{}", name,
                                near ? fmt::format(" (did you mean {}?)", *near) : std::string()));
}

std::optional<PropertyValue> ConnectionProperties::get(std::string_view name) const {
  auto optional = [](const auto& field) -> PropertyValue {
    if (!field) return std::monostate{};
    if constexpr (requires { field->count(); }) return static_cast<std::int64_t>(field->count());
    else return static_cast<std::int64_t>(*field);
  };
  if (name == "connPriority") return conn_priority;
  if (name == "connTimeout") return optional(conn_timeout);
  if (name == "keepAliveTimeout") return optional(keep_alive_timeout);
  if (name == "connScheduler") return std::string(to_string(conn_scheduler));
  if (name == "connCapacityProfile") return std::string(to_string(conn_capacity_profile));
  if (name == "minSendRate") return optional(min_send_rate);
  if (name == "maxSendRate") return optional(max_send_rate);
  if (name == "groupConnLimit") return optional(group_conn_limit);
  if (name == "isolateSession") return isolate_session;
  if (name == "tcp.userTimeoutValue") return optional(tcp_user_timeout_value);
  if (name == "tcp.userTimeoutEnabled") return tcp_user_timeout_enabled;
  if (name == "tcp.userTimeoutChangeable") return tcp_user_timeout_changeable;
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ConnectionProperties::user_timeout() const {
  if (tcp_user_timeout_value) return std::chrono::duration_cast<std::chrono::milliseconds>(*tcp_user_timeout_value);
  return conn_timeout;
}

}  // namespace taps
