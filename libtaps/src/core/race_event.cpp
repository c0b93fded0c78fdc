#include "taps/connection.hpp"

namespace taps {

std::string_view to_string(RaceEvent::Kind k) noexcept {
  switch (k) {
    case RaceEvent::Kind::resolve: return "resolve";
    case RaceEvent::Kind::attempt: return "attempt";
    case RaceEvent::Kind::attempt_failed: return "attempt_failed";
    case RaceEvent::Kind::ready: return "ready";
    case RaceEvent::Kind::cancelled: return "cancelled";
  }
  return "attempt";
}

}  // namespace taps
