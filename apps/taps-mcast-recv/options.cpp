#include "taps-mcast-recv/options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "common/exit_codes.hpp"
#include "common/help_formatter.hpp"
#include "taps/config.hpp"
#include "taps/framer.hpp"
#include "taps/version.hpp"

namespace taps_mcast_recv {
namespace {

using taps::apps::exit_usage;

constexpr const char* footer = R"(Joins GROUP (ASM: any source; SSM: only the sources given with -s or as
S@G) on the interface that routes toward the source (or -i NAME), and writes
each datagram's payload to stdout. One "sender" per source address and port.

Examples:
  taps-mcast-recv -s 10.99.0.1 232.1.1.1 5001 -c 1000      SSM: 1000 datagrams, exit 0
  taps-mcast-recv 10.99.0.1@232.1.1.1 5001 -o none --seq iperf2 --stats
                                          SSM from an iperf2 sender: loss, reorder
  taps-mcast-recv -i eth1 239.1.2.3 5000 -o lines -t 10    ASM on eth1 for 10 s
  taps-mcast-recv -s 2001:db8::1 ff3e::8000:1 5001 --json  IPv6 SSM, JSON events
  taps-mcast-recv ff0e::1:2 5000 -o hex                    IPv6 ASM, payloads in hex

Exit codes:
  0 -c N datagrams arrived (or -t ended after at least one)   1 usage error
  2 join failed   4 nothing (or fewer than -c N) arrived within -t

Events (--json, JSON Lines on stderr): join {group, source, interface},
sender {sender, t_first_ms: first datagram after the join}, stats {sender,
packets, bytes, pps, mbps, lost, reordered, duplicates}, leave. --stats
alone prints statistics at exit; --stats=SEC also every SEC seconds.
Limits: net.ipv4.igmp_max_memberships (groups per socket), net.ipv4.igmp_max_msf
(sources per group), net.core.rmem_max (receive buffer unless root).)";

ParseResult usage_error(std::string message) {
  return {std::nullopt, exit_usage, {}, message + "\nTry 'taps-mcast-recv --help' for more information."};
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > 86400.0 * 365) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(seconds * 1000)));
}

// "--stats=SEC" is the interval form and "--stats" alone a flag: a separate option
// keeps "--stats 232.1.1.1 5001" from taking the group as the interval.
std::vector<std::string> split_stats_interval(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (a.starts_with("--stats=")) {
      out.push_back("--stats-interval");
      out.push_back(a.substr(8));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace

ParseResult parse(const std::vector<std::string>& raw_args) {
  CLI::App app{"taps-mcast-recv: receive multicast (ASM or SSM, IPv4 or IPv6) on the IETF TAPS API\n\n"
               "  taps-mcast-recv [options] GROUP PORT\n"
               "  taps-mcast-recv [options] SOURCE@GROUP PORT",
               "taps-mcast-recv"};
  app.footer(footer);
  app.set_help_flag("-h,--help", "Print this help and exit");
  taps::apps::use_help_formatter(app, 30);

  Options o;
  std::vector<std::string> positionals, framers;
  std::string output = "raw", seq = "none", stats_interval, duration, config_file;
  std::uint64_t count = 0;
  int receive_buffer = 4 << 20;
  bool json = false, verbose = false, version = false;
  app.add_option("args", positionals, "GROUP PORT (GROUP may be SOURCE@GROUP)")->expected(0, 2);
  app.add_option("-s,--source", o.sources, "SSM source address (repeatable); none: any source (ASM)")
      ->type_name("ADDR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-i,--interface", o.interface_name, "Interface to join on (default: the route toward the source)")
      ->type_name("NAME");
  auto* count_option = app.add_option("-c,--count", count, "Exit 0 after N datagrams")->type_name("N");
  app.add_option("-t,--duration", duration, "Exit after SEC seconds (exit 4 if nothing arrived)")
      ->type_name("SEC");
  app.add_option("-o,--output", output, "Payload on stdout: raw, lines (a newline after each), hex, none")
      ->type_name("MODE");
  app.add_option("--seq", seq, "Payloads start with a sequence number: u32, u64 (network order) or iperf2")
      ->type_name("KIND");
  app.add_flag("--stats", o.stats, "Statistics per sender on stderr at exit (--stats=SEC: also every SEC s)");
  app.add_option("--stats-interval", stats_interval)->group("");
  app.add_option("--rcvbuf", receive_buffer, "Socket receive buffer in bytes (default 4194304)")->type_name("BYTES");
  app.add_option("--framer", framers, "Deframe datagrams: line or lp (each message is then a datagram's part)")
      ->type_name("NAME")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--config", config_file, "Read the Preconnection from a JSON file; options override it")
      ->type_name("FILE");
  auto* json_flag = app.add_flag("--json", json, "Events as JSON Lines on stderr");
  app.add_flag("-v,--verbose", verbose, "Events as text on stderr")->excludes(json_flag);
  app.add_flag("--version", version, "Print the version and exit");

  auto args = split_stats_interval(raw_args);
  std::vector<std::string> argv(args.rbegin(), args.rend() - 1);
  try {
    app.parse(argv);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help(), {}};
  } catch (const CLI::ParseError& e) {
    return usage_error(fmt::format("taps-mcast-recv: {}", e.what()));
  }
  if (version) return {std::nullopt, 0, fmt::format("taps-mcast-recv {}\n", taps::version), {}};
  if (positionals.size() != 2) return usage_error("taps-mcast-recv: needs GROUP and PORT");

  o.group = positionals[0];
  if (auto at = o.group.find('@'); at != std::string::npos) {
    o.sources.push_back(o.group.substr(0, at));
    o.group = o.group.substr(at + 1);
  }
  auto port = parse_port(positionals[1]);
  if (!port) return usage_error(fmt::format("taps-mcast-recv: '{}' is not a port number (1-65535)", positionals[1]));
  o.port = *port;
  if (count_option->count() > 0) {
    if (count == 0) return usage_error("taps-mcast-recv: -c needs a count of at least 1");
    o.count = count;
  }
  if (!duration.empty()) {
    o.duration = parse_seconds(duration);
    if (!o.duration) return usage_error(fmt::format("taps-mcast-recv: -t '{}' is not a duration in seconds", duration));
  }
  if (!stats_interval.empty()) {
    o.stats_interval = parse_seconds(stats_interval);
    if (!o.stats_interval) {
      return usage_error(fmt::format("taps-mcast-recv: --stats='{}' is not an interval in seconds", stats_interval));
    }
    o.stats = true;
  }
  static const std::pair<const char*, Output> outputs[] = {
      {"raw", Output::raw}, {"lines", Output::lines}, {"hex", Output::hex}, {"none", Output::none}};
  auto out = std::find_if(std::begin(outputs), std::end(outputs), [&](const auto& p) { return output == p.first; });
  if (out == std::end(outputs)) return usage_error(fmt::format("taps-mcast-recv: -o '{}' (raw, lines, hex or none)", output));
  o.output = out->second;
  static const std::pair<const char*, SeqFormat> seqs[] = {
      {"none", SeqFormat::none}, {"u32", SeqFormat::u32}, {"u64", SeqFormat::u64}, {"iperf2", SeqFormat::iperf2}};
  auto s = std::find_if(std::begin(seqs), std::end(seqs), [&](const auto& p) { return seq == p.first; });
  if (s == std::end(seqs)) return usage_error(fmt::format("taps-mcast-recv: --seq '{}' (u32, u64 or iperf2)", seq));
  o.seq = s->second;
  if (receive_buffer <= 0) return usage_error(fmt::format("taps-mcast-recv: --rcvbuf {} must be positive", receive_buffer));
  o.verbosity = json ? Verbosity::json : verbose ? Verbosity::verbose : Verbosity::quiet;

  auto& p = o.preconnection;
  if (!config_file.empty()) {
    auto loaded = taps::preconnection_from_json_file(config_file);
    if (!loaded) return {std::nullopt, exit_usage, {}, "taps-mcast-recv: " + loaded.error().message()};
    p = std::move(loaded.value());
  }
  taps::LocalEndpoint local;
  local.with_port(o.port);
  if (o.sources.empty()) local.with_any_source_multicast_group(o.group);
  for (const auto& source : o.sources) local.with_single_source_multicast_group(o.group, source);
  if (!o.interface_name.empty()) local.with_interface(o.interface_name);
  p.local_endpoints() = {local};
  p.remote_endpoints().clear();
  p.transport_properties().set("reliability", taps::Preference::prohibit);
  p.transport_properties().set_direction(taps::Direction::unidirectional_receive);
  p.transport_properties().multicast_receive_buffer = receive_buffer;
  if (!framers.empty()) {
    p.framers().clear();
    for (const auto& name : framers) {
      auto framer = taps::framer_by_name(name, taps::default_max_message_size);
      if (!framer) return usage_error(fmt::format("taps-mcast-recv: unknown framer '{}' (available: line, lp)", name));
      p.add_framer(std::move(*framer));
    }
  }
  // The engine knows best what a group or source is: ask it now, so that a bad
  // address is a usage error (exit 1) with its precise message.
  if (auto error = p.validate_for_listen()) return usage_error("taps-mcast-recv: " + error->message());
  return {std::move(o), 0, {}, {}};
}

}  // namespace taps_mcast_recv
