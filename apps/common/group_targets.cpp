#include "common/group_targets.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>
#include <charconv>

#include "common/number_text.hpp"

namespace taps::apps {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// An address as big-endian bytes: 4 for IPv4, 16 for IPv6. A "%zone" stays aside.
struct Address {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;
  std::string zone;

  bool multicast() const { return size == 4 ? bytes[0] >= 224 && bytes[0] <= 239 : bytes[0] == 0xff; }

  std::string text() const {
    char out[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(size == 4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
    return zone.empty() ? std::string(out) : std::string(out) + "%" + zone;
  }

  // Adds `n`; false when that leaves the family's address space.
  bool advance(std::uint64_t n) {
    for (std::size_t i = size; i-- > 0 && n > 0;) {
      std::uint64_t sum = bytes[i] + (n & 0xff);
      bytes[i] = static_cast<std::uint8_t>(sum);
      n = (n >> 8) + (sum >> 8);
    }
    return n == 0;
  }
};

std::optional<Address> parse_address(std::string_view text) {
  Address a;
  std::string plain(text);
  if (auto percent = plain.find('%'); percent != std::string::npos) {
    a.zone = plain.substr(percent + 1);
    plain.resize(percent);
    if (a.zone.empty()) return std::nullopt;
  }
  if (::inet_pton(AF_INET, plain.c_str(), a.bytes.data()) == 1 && a.zone.empty()) {
    a.size = 4;
  } else if (::inet_pton(AF_INET6, plain.c_str(), a.bytes.data()) == 1) {
    a.size = 16;
  } else {
    return std::nullopt;
  }
  return a;
}

std::string strip_brackets(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  return std::string(text);
}

// One argument that names groups: appends them to `out`, or returns the error.
std::optional<std::string> parse_target(const std::string& arg, std::optional<std::uint16_t> default_port,
                                        std::size_t max_groups, std::vector<GroupTarget>& out) {
  std::string_view rest = arg;
  std::string source;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    source = strip_brackets(rest.substr(0, at));
    rest = rest.substr(at + 1);
    auto s = parse_address(source);
    if (!s || s->multicast()) return fmt::format("'{}': the source '{}' is not a unicast address", arg, source);
  }
  // The port: after "]:" for a bracketed IPv6 group, after the only ':' of an IPv4 one.
  std::optional<std::uint16_t> port;
  std::string_view port_text;
  if (auto close = rest.rfind("]:"); close != std::string_view::npos && rest.front() == '[') {
    port_text = rest.substr(close + 2);
    rest = rest.substr(0, close + 1);
  } else if (auto colon = rest.find(':'); colon != std::string_view::npos && rest.find(':', colon + 1) == std::string_view::npos) {
    port_text = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!port_text.empty()) {
    port = parse_port(port_text);
    if (!port) return fmt::format("'{}': '{}' is not a port number (1-65535)", arg, port_text);
  } else {
    port = default_port;
  }
  std::uint64_t extra = 0;
  std::string group_text = strip_brackets(rest);
  if (auto plus = group_text.find('+'); plus != std::string::npos) {
    auto count = std::string_view(group_text).substr(plus + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), extra);
    if (!all_digits(count) || ec != std::errc() || end != count.data() + count.size()) {
      return fmt::format("'{}': '+{}' is not a number of further groups", arg, count);
    }
    if (extra + 1 > max_groups) {
      return fmt::format("'{}': {} groups is more than the {} allowed", arg, extra + 1, max_groups);
    }
    group_text.resize(plus);
  }
  auto group = parse_address(group_text);
  if (!group || !group->multicast()) {
    return fmt::format("'{}': '{}' is not a multicast group address (224.0.0.0/4 or ff00::/8)", arg, group_text);
  }
  if (!source.empty() && (parse_address(source)->size != group->size)) {
    return fmt::format("'{}': the source and the group are of different address families", arg);
  }
  if (!port) return fmt::format("'{}' names no port: add ':PORT' or give PORT as the last argument", arg);
  auto last = *group;
  if (!last.advance(extra) || !last.multicast()) {
    return fmt::format("'{}': the range runs past the end of the multicast addresses", arg);
  }
  for (std::uint64_t i = 0; i <= extra; ++i) {
    out.push_back({source, group->text(), *port});
    if (out.size() > max_groups) return fmt::format("more than {} groups in all", max_groups);
    group->advance(1);
  }
  return std::nullopt;
}

}  // namespace

GroupTargets parse_group_targets(const std::vector<std::string>& args, std::size_t max_groups) {
  GroupTargets result;
  auto groups = args;
  std::optional<std::uint16_t> default_port;
  if (!groups.empty() && all_digits(groups.back())) {
    default_port = parse_port(groups.back());
    if (!default_port) {
      result.error = fmt::format("'{}' is not a port number (1-65535)", groups.back());
      return result;
    }
    groups.pop_back();
  }
  if (groups.empty()) {
    result.error = "needs a GROUP (or S@G) and a PORT";
    return result;
  }
  for (const auto& arg : groups) {
    if (auto error = parse_target(arg, default_port, max_groups, result.targets)) {
      result.error = *error;
      result.targets.clear();
      return result;
    }
  }
  return result;
}

std::string group_port_string(const std::string& group, std::uint16_t port) {
  return group.find(':') == std::string::npos ? fmt::format("{}:{}", group, port) : fmt::format("[{}]:{}", group, port);
}

}  // namespace taps::apps
