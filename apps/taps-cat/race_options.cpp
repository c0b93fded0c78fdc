#include "taps-cat/race_options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <ranges>
#include <string_view>

#include "common/number_text.hpp"
#include "taps-cat/options.hpp"

namespace taps_cat {
namespace {

using taps::apps::parse_port;

bool looks_like_address(std::string_view host) {
  return host.find(':') != std::string_view::npos || host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// HOST:PORT, [IPV6]:PORT or [IPV6%SCOPE]:PORT.
std::optional<taps::RemoteEndpoint> parse_remote(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto number = parse_port(port);
  if (host.empty() || !number) return std::nullopt;
  taps::RemoteEndpoint remote;
  if (looks_like_address(host)) remote.with_ip_address(std::string(host));
  else remote.with_host_name(std::string(host));
  return remote.with_port(*number);
}

}  // namespace

void add_race_options(CLI::App& app, RaceFlags& flags) {
  app.add_option("-r,--remote", flags.remotes, "Another equivalent remote endpoint to race, HOST:PORT or [IPV6]:PORT")
      ->type_name("HOST:PORT")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--protocols", flags.protocols,
                 "Stacks to race, in order: quic, tls, tcp or udp; tls,tcp tries TLS first and may fall back to "
                 "plain TCP (it warns); quic,tls races QUIC and TLS/TCP, QUIC first. With -l: the stacks to "
                 "serve (tls,tcp: both on one port; tcp,udp and quic,tls: both on one port number)")
      ->type_name("LIST");
  app.add_option("-i,--interface", flags.interfaces,
                 "Interface NAME[:LEVEL] (LEVEL require|prefer|avoid|prohibit, default require), repeatable; "
                 "for a multicast group HOST, the one to send on")
      ->type_name("NAME[:LEVEL]")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::optional<std::string> apply_protocols(RaceFlags& flags, bool listen, bool& tls, bool& tcp, bool& udp, bool& quic) {
  if (flags.protocols.empty()) return std::nullopt;
  if (tls || tcp || udp || quic) return "--protocols replaces --tls, --quic, --tcp and --udp: give one or the other";
  std::vector<std::string> names;
  for (const auto part : std::views::split(std::string_view(flags.protocols), ',')) {
    std::string name(part.begin(), part.end());
    if (name != "tls" && name != "tcp" && name != "udp" && name != "quic") {
      return fmt::format("--protocols '{}': '{}' is not quic, tls, tcp or udp", flags.protocols, name);
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return fmt::format("--protocols '{}': '{}' is listed twice", flags.protocols, name);
    }
    names.push_back(std::move(name));
  }
  bool has_udp = std::find(names.begin(), names.end(), "udp") != names.end();
  bool has_tcp = std::find(names.begin(), names.end(), "tcp") != names.end();
  // A Listener does not race: it serves every stack a client may pick.
  if (listen && has_udp && has_tcp && names.size() == 2) {
    flags.tcp_and_udp = true;
    return std::nullopt;
  }
  if (has_udp && names.size() > 1) {
    return fmt::format("--protocols '{}': udp does not race tcp or tls (datagrams and a byte stream are not "
                       "equivalent for the application)",
                       flags.protocols);
  }
  bool has_quic = std::find(names.begin(), names.end(), "quic") != names.end();
  if (has_quic) {
    if (names == std::vector<std::string>{"quic"} || names == std::vector<std::string>{"quic", "tls"}) {
      quic = true;
      tls = names.size() == 2;
      return std::nullopt;
    }
    return fmt::format("--protocols '{}': QUIC goes alone (quic) or first before TLS/TCP (quic,tls); plain tcp "
                       "never follows it",
                       flags.protocols);
  }
  if (names == std::vector<std::string>{"tcp", "tls"}) {
    return fmt::format("--protocols '{}': tls must come first (the race never prefers plaintext)", flags.protocols);
  }
  tls = names.front() == "tls";
  tcp = names.front() == "tcp";
  udp = has_udp;
  flags.opportunistic = names.size() == 2;
  return std::nullopt;
}

std::optional<std::string> apply_race_options(const RaceFlags& flags, Options& o, bool multicast_group) {
  auto& props = o.preconnection.transport_properties();
  if (flags.opportunistic) o.preconnection.security_parameters().opportunistic_security = true;
  if (!flags.remotes.empty()) {
    if (o.mode == Mode::listen) return "-r is for connecting: it adds a remote endpoint";
    if (multicast_group) return "-r is for unicast: a multicast group HOST is sent to alone";
  }
  for (const auto& text : flags.remotes) {
    auto remote = parse_remote(text);
    if (!remote) return fmt::format("-r '{}' is not HOST:PORT or [IPV6]:PORT (port 1-65535)", text);
    o.preconnection.add_remote(std::move(*remote));
  }
  if (!flags.interfaces.empty() && o.mode == Mode::listen) return "-i is for connecting (or sending to a group)";
  for (const auto& text : flags.interfaces) {
    auto colon = text.rfind(':');
    std::string name = text.substr(0, colon);
    auto level = taps::Preference::require;
    if (colon != std::string::npos) {
      auto parsed = taps::preference_from_string(text.substr(colon + 1));
      if (!parsed || *parsed == taps::Preference::no_preference) {
        return fmt::format("-i '{}': LEVEL is require, prefer, avoid or prohibit", text);
      }
      level = *parsed;
    }
    if (name.empty()) return "-i needs an interface name";
    if (multicast_group && level != taps::Preference::require && level != taps::Preference::prefer) {
      return fmt::format("-i '{}': a multicast group is sent on one chosen interface; give NAME or NAME:require",
                         text);
    }
    props.set_interface(name, level);
  }
  if (multicast_group && flags.interfaces.size() > 1) return "a multicast group is sent on one interface: give one -i";
  return std::nullopt;
}

}  // namespace taps_cat
