#include "taps-mcast-recv/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/group_targets.hpp"
#include "common/number_text.hpp"
#include "common/tool_frame.hpp"
#include "taps/framer.hpp"

namespace taps_mcast_recv {
namespace {

using taps::apps::group_port_string;

// Groups one process joins: each is a socket of its own.
constexpr std::size_t max_groups = 4096;

constexpr const char* synopsis =
    "taps-mcast-recv: receive multicast (ASM or SSM, IPv4 or IPv6) on the IETF TAPS API\n\n"
    "  taps-mcast-recv [options] GROUP|S@G ... PORT\n"
    "  taps-mcast-recv [options] S@G:PORT ...";

constexpr const char* footer = R"(Joins each GROUP (ASM: any source; SSM: only the sources given with -s or as
S@G) on the interface that routes toward the source (or -i NAME), and writes
each datagram's payload to stdout. One "sender" per group, source address and
port; at exit one summary line per sender on stderr (or "nothing arrived").

Groups: GROUP, S@G, G:PORT, S@G:PORT, [IPV6-GROUP]:PORT, and ranges G+N (the
group and the N after it: 232.1.1.1+99 is 100 groups). A bare last PORT applies
to every group that names none; -s applies to every group (S@G adds S to G).
Each group gets a socket of its own, so net.ipv4.igmp_max_memberships (groups
per socket) does not bound them. Link-scope IPv6 groups (ff02::) need -i or a
zone. --exclude S: ASM minus S (IGMPv3/MLDv2 exclude mode).

Examples:
  taps-mcast-recv -s 10.99.0.1 232.1.1.1 5001 -c 1000      SSM: 1000 datagrams, exit 0
  taps-mcast-recv 10.99.0.1@232.1.1.1 5001 -o none --seq iperf2 --interval 1
                                          SSM from an iperf2 sender: loss, jitter each second
  taps-mcast-recv -s 10.99.0.1 232.1.1.1+99 5001 -o none -t 30   100 groups
  taps-mcast-recv -i eth1 239.1.2.3 5000 -o lines -t 10    ASM on eth1 for 10 s
  taps-mcast-recv --exclude 10.0.0.9 239.1.2.3 5000        ASM from every source but one
  taps-mcast-recv -s 2001:db8::1 ff3e::8000:1 5001 --json  IPv6 SSM, JSON events
  taps-mcast-recv -i eth0 ff02::1:3 5000 -o hex            link-scope group on eth0
Sender and receiver on one host: taps-mcast-send --loopback ... (loopback is off
by default on the sending side, so without it nothing arrives).

Reachability probe, like ssmping: --ping S[@G] asks a taps-mcast-send --responder
at S (UDP port 4321; S@G:PORT for another) to answer by unicast and by multicast to
G (default 232.43.211.234, or ff3e::4321:1234 for IPv6) from S. One line per probe
on stdout: both round trips and the hops (the TTL the multicast answer lost on the
way), then a summary. G in 232/8 or ff3x:: is joined as (S,G); any other group as
(*,G), like asmping, to test the shared tree. -c N probes (default: until
interrupted), --interval SEC apart (default 1), each waits 2 s for its answers;
-i IF joins there (the request goes by route).
  taps-mcast-recv --ping 10.99.0.1 -c 5                  5 probes of (S, 232.43.211.234)
  taps-mcast-recv --ping 10.99.0.1@239.1.1.1 -c 3 --json ASM, JSON ping events

Exit codes:
  0 -c N datagrams arrived (or -t ended after at least one); --ping: multicast answered
  1 usage error   2 join failed (--ping: the responder refused the group)
  3 output failed   4 nothing (or fewer than -c N) arrived within -t; --ping: no answer
  6 --ping: the responder answered by unicast, its multicast did not arrive

Statistics: --interval SEC prints one row per sender every SEC seconds with that
interval's packets, rate, loss, reordering, duplicates and jitter (RFC 3550 when
--seq carries send times, else interarrival), then a final row marked (summary).
Events (--json, JSON Lines on stderr): join {group, source, interface},
sender {sender, group, t_first_ms: first datagram after the join}, interval and
summary {sender, group, start, end, packets, bytes, pps, mbps, lost, reordered,
duplicates, jitter_ms}, stats {the same, whole life, ttl: the TTL on arrival}
per sender at exit, hint {hint, ...}, leave; with --ping: ping {seq, unicast,
multicast, unicast_rtt_ms, multicast_rtt_ms, hops, ttl} per probe and ping_summary
{source, group, probes, unicast_answered, multicast_answered, unicast_rtt_avg_ms,
multicast_rtt_avg_ms, hops}.
Limits: --max-senders (default 1024) senders are followed at once, the others
counted as refused; a sender silent for --sender-idle SEC (default 60) is
forgotten. net.ipv4.igmp_max_msf (sources per group), net.core.rmem_max
(receive buffer unless root).)";

taps::apps::EarlyExit usage_error(std::string_view message) {
  return taps::apps::usage_error("taps-mcast-recv", message);
}

using taps::apps::parse_seconds;

bool is_seconds(const std::string& text) { return parse_seconds(text).has_value(); }

// "--stats=SEC" is the interval form and "--stats" alone a flag: "--stats 232.1.1.1
// 5001" must not take the group as the interval. "--stats 1 G PORT" (a number that is
// not the last argument, which is the PORT) is the interval too.
std::vector<std::string> split_stats_interval(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a.starts_with("--stats=")) {
      out.push_back("--interval");
      out.push_back(a.substr(8));
      out.push_back("--stats");
    } else if (a == "--stats" && i + 2 < args.size() && is_seconds(args[i + 1])) {
      out.push_back("--interval");
      out.push_back(args[++i]);
      out.push_back("--stats");
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace

ParseResult parse(const std::vector<std::string>& raw_args) {
  taps::apps::ToolFrame frame{"taps-mcast-recv", synopsis, footer, 30};
  auto& app = frame.app();

  Options o;
  std::vector<std::string> positionals, framers, sources, excluded;
  std::string output = "raw", seq = "none", interval, duration, max_senders, sender_idle, hint_after, count,
      receive_buffer, ping;
  app.add_option("targets", positionals, "GROUP, S@G, G:PORT, S@G:PORT or G+N, then PORT")->type_name("GROUP");
  app.add_option("-s,--source", sources, "SSM source address (repeatable); none: any source (ASM)")
      ->type_name("ADDR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--exclude", excluded, "ASM minus this source (repeatable; mcjoin's exclude mode)")
      ->type_name("ADDR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-i,--interface", o.interface_name, "Interface to join on (default: the route toward the source)")
      ->type_name("NAME");
  app.add_option("-c,--count", count, "Exit 0 after N datagrams")->type_name("N");
  app.add_option("-t,--duration", duration, "Exit after SEC seconds (exit 4 if nothing arrived)")
      ->type_name("SEC");
  app.add_option("-o,--output", output, "Payload on stdout: raw, lines (one line each), hex, lp (length-prefixed), none")
      ->type_name("MODE");
  app.add_option("--seq", seq, "Payloads start with a sequence number: u32, u64 (network order) or iperf2")
      ->type_name("KIND");
  app.add_option("--interval", interval, "A statistics row per sender every SEC seconds")->type_name("SEC");
  app.add_flag("--stats", o.stats, "Statistics per sender on stderr at exit (--stats=SEC: --interval SEC)");
  app.add_flag("--timestamps", o.timestamps, "Wall-clock time at the start of each statistics row");
  app.add_option("--max-senders", max_senders, "Senders followed at once (default 1024)")->type_name("N");
  app.add_option("--sender-idle", sender_idle, "Forget a sender silent this long (default 60)")->type_name("SEC");
  app.add_option("--hint-after", hint_after, "Hints when nothing arrived this long (default 3)")->type_name("SEC");
  app.add_option("--rcvbuf", receive_buffer, "Socket receive buffer in bytes (default 4194304)")->type_name("BYTES");
  app.add_option("--framer", framers, "Deframe datagrams: line or lp (each message is then a datagram's part)")
      ->type_name("NAME")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--ping", ping, "Probe a taps-mcast-send --responder at S: unicast and multicast RTT, hops")
      ->type_name("S[@G]");
  frame.add_config_option("Read the Preconnection from a JSON file; options override it");
  if (auto exit = frame.parse(split_stats_interval(raw_args))) return *exit;

  taps::apps::GroupTargets targets;
  if (!ping.empty()) {
    auto target = parse_ping_target(ping);
    if (auto* error = std::get_if<std::string>(&target)) return usage_error("--ping " + *error);
    if (!positionals.empty()) return usage_error("--ping names its group itself (S@G): no GROUP arguments");
    o.ping = std::get<PingTarget>(target);
  } else {
    targets = taps::apps::parse_group_targets(positionals, max_groups);
  }
  if (!targets.error.empty()) return usage_error(targets.error);
  if (!count.empty()) {
    o.count = taps::apps::parse_unsigned(count, 1, UINT64_MAX);
    if (!o.count) return usage_error(fmt::format("-c '{}' is not a number of datagrams (at least 1)", count));
  }
  if (!duration.empty()) {
    o.duration = parse_seconds(duration);
    if (!o.duration) return usage_error(fmt::format("-t '{}' is not a duration in seconds", duration));
  }
  if (!interval.empty()) {
    o.interval = parse_seconds(interval);
    if (!o.interval) return usage_error(fmt::format("--interval '{}' is not an interval in seconds", interval));
  }
  if (!sender_idle.empty()) {
    auto idle = parse_seconds(sender_idle);
    if (!idle) return usage_error(fmt::format("--sender-idle '{}' is not a duration in seconds", sender_idle));
    o.sender_idle = *idle;
  }
  if (!hint_after.empty()) {
    auto after = parse_seconds(hint_after);
    if (!after) return usage_error(fmt::format("--hint-after '{}' is not a duration in seconds", hint_after));
    o.hint_after = *after;
  }
  if (!max_senders.empty()) {
    auto n = taps::apps::parse_unsigned(max_senders, 1, 1000000);
    if (!n) return usage_error(fmt::format("--max-senders '{}' is not a number of senders (1-1000000)", max_senders));
    o.max_senders = *n;
  }
  static const std::pair<const char*, Output> outputs[] = {
      {"raw", Output::raw}, {"lines", Output::lines}, {"hex", Output::hex}, {"lp", Output::lp}, {"none", Output::none}};
  auto out = std::find_if(std::begin(outputs), std::end(outputs), [&](const auto& p) { return output == p.first; });
  if (out == std::end(outputs)) return usage_error(fmt::format("-o '{}' (raw, lines, hex, lp or none)", output));
  o.output = out->second;
  static const std::pair<const char*, SeqFormat> seqs[] = {
      {"none", SeqFormat::none}, {"u32", SeqFormat::u32}, {"u64", SeqFormat::u64}, {"iperf2", SeqFormat::iperf2}};
  auto s = std::find_if(std::begin(seqs), std::end(seqs), [&](const auto& p) { return seq == p.first; });
  if (s == std::end(seqs)) return usage_error(fmt::format("--seq '{}' (u32, u64 or iperf2)", seq));
  o.seq = s->second;
  int rcvbuf = 4 << 20;
  if (!receive_buffer.empty()) {
    auto bytes = taps::apps::parse_unsigned(receive_buffer, 1, INT32_MAX);
    if (!bytes) return usage_error(fmt::format("--rcvbuf '{}' is not a size in bytes (1-2147483647)", receive_buffer));
    rcvbuf = static_cast<int>(*bytes);
  }
  o.verbosity = frame.verbosity();

  taps::Preconnection base;
  if (auto exit = frame.load_config(base)) return *exit;
  if (!framers.empty()) {
    base.framers().clear();
    for (const auto& name : framers) {
      auto framer = taps::framer_by_name(name, taps::default_max_message_size);
      if (!framer) return usage_error(fmt::format("unknown framer '{}' (available: line, lp)", name));
      base.add_framer(std::move(*framer));
    }
  }
  // One stream per group and port; an S@G names one more source of that group.
  for (const auto& t : targets.targets) {
    auto it = std::find_if(o.streams.begin(), o.streams.end(),
                           [&](const Stream& st) { return st.group == t.group && st.port == t.port; });
    if (it == o.streams.end()) {
      o.streams.push_back({t.group, t.port, {}, {}, {}});
      it = o.streams.end() - 1;
    }
    auto& list = it->sources;
    auto all = sources;
    if (!t.source.empty()) all.push_back(t.source);
    for (const auto& source : all) {
      // The same source twice is one membership (a second join would fail).
      if (std::find(list.begin(), list.end(), source) == list.end()) list.push_back(source);
    }
  }
  for (auto& st : o.streams) {
    auto& p = st.preconnection = base;
    taps::LocalEndpoint local;
    local.with_port(st.port);
    if (st.sources.empty()) local.with_any_source_multicast_group(st.group);
    if (!excluded.empty() && !st.sources.empty()) {
      return usage_error(fmt::format("--exclude is for ASM groups, and {} has a source (-s or S@G)",
                                     group_port_string(st.group, st.port)));
    }
    st.excluded = excluded;
    for (const auto& source : excluded) local.with_excluded_multicast_source(source);
    for (const auto& source : st.sources) local.with_single_source_multicast_group(st.group, source);
    if (!o.interface_name.empty()) local.with_interface(o.interface_name);
    p.local_endpoints() = {local};
    p.remote_endpoints().clear();
    p.transport_properties().set("reliability", taps::Preference::prohibit);
    p.transport_properties().set_direction(taps::Direction::unidirectional_receive);
    p.transport_properties().multicast_receive_buffer = rcvbuf;
    // The engine knows best what a group or source is: ask it now, so that a bad
    // address is a usage error (exit 1) with its precise message.
    if (auto error = p.validate_for_listen()) {
      std::string fix = error->message().find("needs an interface") != std::string::npos ? ": give -i NAME" : "";
      return usage_error(error->message() + fix);
    }
  }
  return ParseResult(std::move(o));
}

}  // namespace taps_mcast_recv
