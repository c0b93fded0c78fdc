// Capacity profiles (RFC 9622 8.1.6 connCapacityProfile, 9.1.3.9 msgCapacityProfile)
// and the DSCP the RFC recommends for each.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace taps {

enum class CapacityProfile {
  default_profile,              // Default: Default Forwarding (DSCP 0, RFC 2474)
  scavenger,                    // Scavenger: Lower Effort (DSCP 1, RFC 8622)
  low_latency_interactive,      // Low Latency/Interactive: Expedited Forwarding (46, RFC 3246)
  low_latency_non_interactive,  // Low Latency/Non-Interactive: AF21 (18)
  constant_rate_streaming,      // Constant-Rate Streaming: AF31 (26)
  capacity_seeking,             // Capacity-Seeking: AF11 (10)
};

std::string_view to_string(CapacityProfile p) noexcept;  // "lowLatencyInteractive", ...
std::optional<CapacityProfile> capacity_profile_from_string(std::string_view s) noexcept;

// The six-bit DSCP of a profile (the TOS / Traffic Class byte is this << 2).
constexpr std::uint8_t dscp_for(CapacityProfile p) noexcept {
  switch (p) {
    case CapacityProfile::default_profile: return 0;
    case CapacityProfile::scavenger: return 1;
    case CapacityProfile::low_latency_interactive: return 46;
    case CapacityProfile::low_latency_non_interactive: return 18;
    case CapacityProfile::constant_rate_streaming: return 26;
    case CapacityProfile::capacity_seeking: return 10;
  }
  return 0;
}

}  // namespace taps
