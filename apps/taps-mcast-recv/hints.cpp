#include "taps-mcast-recv/hints.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

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

bool is_v6(const std::string& address) { return address.find(':') != std::string::npos; }

std::string without_zone(const std::string& address) { return address.substr(0, address.find('%')); }

// The version the interface (or "all") forces: 0 when none is forced.
int forced_version(bool v6, const std::string& interface_name) {
  int forced = 0;
  for (const auto& conf : {std::string("all"), interface_name}) {
    if (conf.empty()) continue;
    auto value = read_first_line(fmt::format("/proc/sys/net/{}/conf/{}/{}", v6 ? "ipv6" : "ipv4", conf,
                                             v6 ? "force_mld_version" : "force_igmp_version"));
    if (!value.empty() && value != "0") forced = std::stoi(value);
  }
  return forced;
}

}  // namespace

bool is_ssm_range(const std::string& group) {
  if (is_v6(group)) return group.size() > 4 && (group.compare(0, 3, "ff3") == 0 || group.compare(0, 3, "FF3") == 0);
  return group.starts_with("232.");
}

std::optional<std::uint64_t> reverse_path_drops() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (!names.starts_with("IpExt:") && !names.starts_with("TcpExt:")) continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value) {
      if (name == "IPReversePathFilter") return std::stoull(value);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> own_socket_drops() {
  std::set<std::string> inodes;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  while (auto* entry = ::readdir(dir)) {
    char target[64] = {};
    auto path = std::string("/proc/self/fd/") + entry->d_name;
    auto n = ::readlink(path.c_str(), target, sizeof target - 1);
    std::string link(target, n > 0 ? static_cast<std::size_t>(n) : 0);
    if (link.starts_with("socket:[")) inodes.insert(link.substr(8, link.size() - 9));
  }
  ::closedir(dir);
  std::uint64_t drops = 0;
  for (const char* table : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (f.size() >= 13 && inodes.count(f[9])) drops += std::stoull(f[12]);
    }
  }
  return drops;
}

std::vector<std::string> join_warnings(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name) {
  std::vector<std::string> warnings;
  bool v6 = is_v6(group);
  if (sources.empty() && is_ssm_range(group)) {
    warnings.push_back(fmt::format("{} is in the SSM range ({}) but no source is given: routers forward it only "
                                   "to (S,G) joins; add -s SOURCE or SOURCE@{}",
                                   group, v6 ? "ff3x::/32" : "232.0.0.0/8", group));
  }
  int forced = forced_version(v6, interface_name);
  bool no_sources = v6 ? forced == 1 : forced == 1 || forced == 2;
  if (!sources.empty() && no_sources) {
    warnings.push_back(fmt::format("{} is forced to {}v{} ({}={}): it has no source lists, so this SSM join "
                                   "goes out on the wire as an ASM join for {}",
                                   interface_name.empty() ? "the interface" : interface_name, v6 ? "MLD" : "IGMP", forced,
                                   v6 ? "force_mld_version" : "force_igmp_version", forced, group));
  }
  return warnings;
}

std::vector<std::string> silence_hints(const std::string& group, const std::vector<std::string>& sources,
                                       const std::string& interface_name) {
  std::vector<std::string> hints;
  bool v6 = is_v6(group);
  std::string ip = v6 ? "ip -6" : "ip";
  if (!loopback_up()) hints.push_back("the loopback interface is down (common in a fresh namespace): ip link set lo up");
  for (const auto& w : join_warnings(group, sources, interface_name)) hints.push_back(w);
  if (!sources.empty()) {
    // For SSM the route that matters is the one toward the source: the join goes that
    // way, and the reverse-path check accepts the source's datagrams only from there.
    for (const auto& source : sources) {
      hints.push_back(fmt::format("the join and the reverse-path check follow the route toward {}: {} route get {}",
                                  source, ip, without_zone(source)));
    }
  } else {
    hints.push_back(fmt::format("is there a route for the group? {} route get {}", ip, without_zone(group)));
  }
  if (!v6) {
    std::string values;
    bool strict = false;
    for (const auto& conf : {std::string("all"), interface_name}) {
      if (conf.empty()) continue;
      auto value = read_first_line("/proc/sys/net/ipv4/conf/" + conf + "/rp_filter");
      if (value.empty()) continue;
      values += fmt::format("{}{}={}", values.empty() ? "" : " ", conf, value);
      strict = strict || value == "1";
    }
    auto drops = reverse_path_drops();
    if (drops && *drops > 0) {
      hints.push_back(fmt::format("the kernel dropped {} packets by reverse-path filtering (IPReversePathFilter in "
                                  "/proc/net/netstat; rp_filter {}): the source is not routed via {}; "
                                  "sysctl -w net.ipv4.conf.{}.rp_filter=2 (or fix the route)",
                                  *drops, values, interface_name.empty() ? "the receiving interface" : interface_name,
                                  interface_name.empty() ? "all" : interface_name));
    } else if (strict) {
      hints.push_back(fmt::format("strict reverse-path filtering is on (rp_filter {}), no drops counted so far", values));
    }
  }
  if (!sources.empty()) hints.push_back("SSM: is the sender's source address exactly the one given?");
  hints.push_back("is the sender's hop limit (TTL) high enough? the default is 1: one link, no router");
  return hints;
}

}  // namespace taps_mcast_recv
