#include "taps-mcast-recv/hints.hpp"

#include <fmt/format.h>

#include <fstream>

namespace taps_mcast_recv {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool loopback_up() {
  std::string flags = read_first_line("/sys/class/net/lo/flags");
  return !flags.empty() && (std::stoul(flags, nullptr, 16) & 0x1) != 0;
}

}  // namespace

std::vector<std::string> silence_hints(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name) {
  std::vector<std::string> hints;
  bool v6 = group.find(':') != std::string::npos;
  hints.push_back(fmt::format("is there a route for the group? check: ip {}route get {}", v6 ? "-6 " : "", group));
  if (!loopback_up()) hints.push_back("the loopback interface is down (common in a fresh namespace): ip link set lo up");
  if (!v6 && !sources.empty()) {
    for (const auto& conf : {std::string("all"), interface_name}) {
      if (conf.empty()) continue;
      auto value = read_first_line("/proc/sys/net/ipv4/conf/" + conf + "/rp_filter");
      if (value == "1") {
        hints.push_back(fmt::format("strict reverse-path filtering drops sources not routed via {}: "
                                    "sysctl -w net.ipv4.conf.{}.rp_filter=2 (or 0)",
                                    interface_name.empty() ? "the receiving interface" : interface_name, conf));
      }
    }
  }
  if (!sources.empty()) hints.push_back("SSM: is the sender's source address exactly the one given with -s?");
  hints.push_back("is the sender's hop limit (TTL) high enough? the default is 1: one link, no router");
  return hints;
}

}  // namespace taps_mcast_recv
