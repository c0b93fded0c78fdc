#include "taps-mcast-recv/ping_target.hpp"

#include <fmt/format.h>

#include "common/group_targets.hpp"
#include "common/ping_message.hpp"
#include "taps-mcast-recv/hints.hpp"

namespace taps_mcast_recv {

std::variant<PingTarget, std::string> parse_ping_target(const std::string& text) {
  auto spelled = text;
  if (spelled.find('@') == std::string::npos) {
    // The source alone: the default group of its family.
    if (spelled.empty()) return std::string("needs the responder's address: S or S@G");
    bool v6 = spelled.find(':') != std::string::npos;
    spelled += std::string("@") + (v6 ? taps::apps::ping_group_v6 : taps::apps::ping_group_v4);
  }
  auto parsed = taps::apps::parse_group_targets({spelled, std::to_string(taps::apps::ping_port)}, 1);
  if (!parsed.error.empty() && spelled != text) {
    return fmt::format("'{}' is not the responder's unicast address (S, or S@G for another group)", text);
  }
  if (!parsed.error.empty()) return parsed.error;
  if (parsed.targets.size() != 1) return fmt::format("'{}' names more than one group: one probe, one group", text);
  const auto& t = parsed.targets.front();
  if (t.source.empty()) return fmt::format("'{}' names no responder: S@G", text);
  return PingTarget{t.source, t.group, t.port, is_ssm_range(t.group)};
}

}  // namespace taps_mcast_recv
