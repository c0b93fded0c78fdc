#include "taps-cat/multicast_options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "common/number_text.hpp"
#include "taps-cat/options.hpp"

namespace taps_cat {
namespace {

bool is_multicast_literal(const std::string& host) {
  if (host.find(':') != std::string::npos) return host.size() > 2 && (host[0] == 'f' || host[0] == 'F') &&
                                                   (host[1] == 'f' || host[1] == 'F');
  unsigned first = 0;
  return std::sscanf(host.c_str(), "%u.", &first) == 1 && first >= 224 && first <= 239;
}

}  // namespace

void add_multicast_options(CLI::App& app, MulticastFlags& flags) {
  app.add_option("--ttl", flags.ttl, "Hop limit when HOST is a multicast group (0-255, default 1: this link only)")
      ->type_name("N");
}

bool is_multicast_group(const Options& o) { return o.mode == Mode::connect && is_multicast_literal(o.host); }

std::optional<std::string> apply_multicast_options(const MulticastFlags& flags, Options& o) {
  auto& props = o.preconnection.transport_properties();
  bool group = is_multicast_group(o);
  if (!flags.ttl.empty()) {
    if (!group) return "--ttl is for sending to a multicast group: HOST must be one";
    auto ttl = taps::apps::parse_unsigned(flags.ttl, 0, 255);
    if (!ttl) return fmt::format("--ttl '{}' is not a hop limit (0-255)", flags.ttl);
    props.multicast_hop_limit = static_cast<int>(*ttl);
  }
  // Multicast is datagrams: stdin reads become datagrams as with --udp.
  if (group && !props.is_explicit("reliability")) {
    props.set("reliability", taps::Preference::prohibit);
    props.set("preserveMsgBoundaries", taps::Preference::require);
  }
  return std::nullopt;
}

}  // namespace taps_cat
