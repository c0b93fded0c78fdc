#include "taps-mcast-send/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>


#include "common/number_text.hpp"
#include "common/tool_frame.hpp"
#include "common/ping_message.hpp"

namespace taps_mcast_send {
namespace {

// Groups one process sends to: each is a socket and a Connection.
constexpr std::size_t max_groups = 4096;
constexpr double max_rate = 10e6;

constexpr const char* synopsis =
    "taps-mcast-send: send a paced multicast test stream (ASM or SSM, IPv4 or IPv6) on the "
    "IETF TAPS API\n\n"
    "  taps-mcast-send [options] GROUP|S@G ... PORT\n"
    "  taps-mcast-send [options] S@G:PORT ...";

constexpr const char* footer = R"(Sends a paced stream of datagrams to each GROUP (or S@G: from source S) and
PORT, as iperf2 -c -u does, so that taps-mcast-recv (or iperf -s -u) can count
loss, reordering and jitter. Each group gets the whole --rate.

Groups: GROUP, S@G, G:PORT, S@G:PORT, [IPV6-GROUP]:PORT, and ranges G+N (the
group and the N after it: 232.1.1.1+99 is 100 groups). A bare last PORT applies
to every group that names none. Link-scope IPv6 groups (ff02::) need -i or a
zone (ff02::1:3%eth0).

Examples:
  taps-mcast-send --source 10.0.0.1 --rate 10000 -c 100000 --seq u32 232.1.1.1 5001
                      an SSM stream; receive it with
                      taps-mcast-recv -s 10.0.0.1 232.1.1.1 5001 --seq u32
  taps-mcast-send --loopback --seq u32 -c 1000 239.1.1.1 5001
                      sender and receiver on one host (loopback is off by default)
  taps-mcast-send -i veth0 --source 10.0.0.1 --bitrate 50M -t 10 232.1.1.1+9 5001
                      10 groups at 50 Mbit/s each for 10 s
  taps-mcast-send --seq iperf2 --rate 1000 -t 5 10.0.0.1@232.1.1.1:5001
                      for `iperf -s -u -B 232.1.1.1 -H 10.0.0.1`
  taps-mcast-send --ttl 8 -i eth1 ff3e::8000:1 5001 --json
  journalctl -f | taps-mcast-send --from-stdin --lines 239.1.1.1 5001

Exit codes:
  0 every datagram was sent   1 usage error   2 a group could not be sent to
  3 datagrams failed to send (a firewall, no route)

Responder for taps-mcast-recv --ping (like ssmpingd): --responder [GROUP|S@G ...]
[PORT] answers probes on UDP PORT (default 4321) for those groups (default
232.43.211.234 and ff3e::4321:1234), each by unicast and by multicast to the
prober's port from the address it asked, with --ttl (default 64 here, so that the
prober can count routers). Groups it does not serve are refused in words. --source
ADDR answers on that address only (needed on a host with several addresses).
Events (--json): listening {local, groups}, answer {client, seq, source, group,
multicast} per probe, refused {client, group, reason}.
  taps-mcast-send --responder                       on the source host S; then on
                    the receiver: taps-mcast-recv --ping S -c 5
  taps-mcast-send --responder -i eth1 239.1.1.1 232.43.211.234 --json

Without --count or --duration it sends until interrupted (SIGINT/SIGTERM; the
exit code is then 130/143 as usual). With --from-stdin it sends stdin instead
(as fast as it is read unless --rate or --bitrate is given) and exits 0 at its
end. At exit, one summary line per group on stderr; with --json, one "sent"
event per group {group, source, port, packets, bytes, seconds, pps, mbps,
errors}, after a "ready" event per group {group, local, interface}.)";

taps::apps::EarlyExit usage_error(std::string_view message) {
  return taps::apps::usage_error("taps-mcast-send", message);
}

}  // namespace

std::optional<double> parse_bitrate(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double scale = 1;
  std::string number = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      scale = 1e3;
      break;
    case 'm':
    case 'M':
      scale = 1e6;
      break;
    case 'g':
    case 'G':
      scale = 1e9;
      break;
    default:
      break;
  }
  if (scale != 1) number.pop_back();
  auto value = taps::apps::parse_positive(number);
  if (!value) return std::nullopt;
  return *value * scale;
}

ParseResult parse(const std::vector<std::string>& raw_args) {
  taps::apps::ToolFrame frame{"taps-mcast-send", synopsis, footer, 30};
  auto& app = frame.app();

  std::vector<std::string> positionals;
  std::string rate, bitrate, count, duration, size = "1200", seq = "none", ttl = "1", interface_name, source;
  bool loopback = false, from_stdin = false, lines = false, responder = false;
  app.add_option("targets", positionals, "GROUP, S@G, G:PORT, S@G:PORT or G+N, then PORT")->type_name("GROUP");
  app.add_option("-r,--rate", rate, "Datagrams per second and group (default: --bitrate 1M)")->type_name("PPS");
  app.add_option("-b,--bitrate", bitrate, "Payload bits per second and group: 800k, 10M, 1G")->type_name("RATE");
  app.add_option("-c,--count", count, "Send N datagrams to each group, then exit 0")->type_name("N");
  app.add_option("-t,--duration", duration, "Send for SEC seconds, then exit 0")->type_name("SEC");
  app.add_option("-l,--size", size, "Datagram payload size (default 1200)")->type_name("BYTES");
  app.add_option("--seq", seq, "Payload header: u32, u64 (sequence and send time) or iperf2")->type_name("KIND");
  auto* ttl_option = app.add_option("--ttl", ttl, "Hop limit (default 1: this link only; 0: this host)")->type_name("N");
  app.add_option("-i,--interface", interface_name, "Send on this interface (default: by route)")->type_name("NAME");
  app.add_option("-s,--source", source, "Send from this local address (S of an S@G stream)")->type_name("ADDR");
  app.add_flag("--loopback", loopback, "Deliver to receivers on this host too (off by default)");
  app.add_flag("--from-stdin", from_stdin, "Send stdin: each read (at most --size bytes) is a datagram");
  app.add_flag("--lines", lines, "With --from-stdin: each line is a datagram (without its newline)");
  app.add_flag("--responder", responder, "Answer taps-mcast-recv --ping probes (UDP port 4321) by unicast and multicast");
  frame.add_config_option("Read the Preconnection from a JSON file; options override it");
  if (auto exit = frame.parse(raw_args)) return *exit;

  Options o;
  o.responder = responder;
  if (responder) {
    // The groups it answers for (default: RFC 6450's), and the port it listens on.
    auto is_port = [](const std::string& a) { return a.find_first_not_of("0123456789") == std::string::npos; };
    if (positionals.empty() || (positionals.size() == 1 && is_port(positionals.front()))) {
      positionals.insert(positionals.begin(), {taps::apps::ping_group_v4, taps::apps::ping_group_v6});
    }
    if (!is_port(positionals.back())) positionals.push_back(std::to_string(taps::apps::ping_port));
    // ssmpingd's hop limit: the client counts the routers by what is left of it.
    if (ttl_option->count() == 0) ttl = "64";
  }
  auto targets = taps::apps::parse_group_targets(positionals, max_groups);
  if (!targets.error.empty()) return usage_error(targets.error);
  if (responder && std::any_of(targets.targets.begin(), targets.targets.end(),
                               [&](const auto& t) { return t.port != targets.targets.front().port; })) {
    return usage_error("--responder listens on one port: give it once, as the last argument");
  }

  static const std::pair<const char*, SeqFormat> seqs[] = {
      {"none", SeqFormat::none}, {"u32", SeqFormat::u32}, {"u64", SeqFormat::u64}, {"iperf2", SeqFormat::iperf2}};
  auto s = std::find_if(std::begin(seqs), std::end(seqs), [&](const auto& p) { return seq == p.first; });
  if (s == std::end(seqs)) return usage_error(fmt::format("--seq '{}' is not one of u32, u64, iperf2", seq));
  o.seq = s->second;
  auto parsed_size = taps::apps::parse_unsigned(size, 1, 65507);
  if (!parsed_size) return usage_error(fmt::format("--size '{}' is not a datagram size (1-65507 bytes)", size));
  o.size = *parsed_size;
  if (o.size < taps::apps::seq_header_size(o.seq)) {
    return usage_error(fmt::format("--size {} is too small for --seq {}: it needs {} bytes", o.size, seq,
                                   taps::apps::seq_header_size(o.seq)));
  }
  if (!rate.empty() && !bitrate.empty()) return usage_error("give --rate or --bitrate, not both");
  if (lines && !from_stdin) return usage_error("--lines is for --from-stdin");
  if (from_stdin && o.seq != SeqFormat::none) return usage_error("--seq writes its own payloads: not with --from-stdin");
  o.from_stdin = from_stdin;
  o.lines = lines;
  o.paced = !from_stdin || !rate.empty() || !bitrate.empty();
  if (!rate.empty()) {
    auto r = taps::apps::parse_positive(rate);
    if (!r || *r > max_rate) return usage_error(fmt::format("--rate '{}' is not a rate in datagrams per second (up to 10000000)", rate));
    o.rate = *r;
  } else {
    auto bits = parse_bitrate(bitrate.empty() ? "1M" : bitrate);
    if (!bits) return usage_error(fmt::format("--bitrate '{}' is not a bit rate (e.g. 800k, 10M, 1G)", bitrate));
    o.rate = *bits / 8 / static_cast<double>(o.size);
    if (o.rate > max_rate) return usage_error(fmt::format("--bitrate {} at --size {} is over 10000000 datagrams per second", bitrate, o.size));
  }
  if (!count.empty()) {
    o.count = taps::apps::parse_unsigned(count, 1, UINT64_MAX);
    if (!o.count) return usage_error(fmt::format("--count '{}' is not a number of datagrams (at least 1)", count));
  }
  if (!duration.empty()) {
    o.duration = taps::apps::parse_seconds(duration);
    if (!o.duration) return usage_error(fmt::format("--duration '{}' is not a duration in seconds", duration));
  }
  auto hops = taps::apps::parse_unsigned(ttl, 0, 255);
  if (!hops) return usage_error(fmt::format("--ttl '{}' is not a hop limit (0-255)", ttl));
  o.verbosity = frame.verbosity();

  taps::Preconnection base;
  if (auto exit = frame.load_config(base)) return *exit;
  for (auto& target : targets.targets) {
    if (!target.source.empty() && !source.empty() && target.source != source) {
      return usage_error(fmt::format("{}@{} and --source {} name two sources", target.source, target.group, source));
    }
    if (target.source.empty()) target.source = source;
    auto p = base;
    taps::RemoteEndpoint remote;
    remote.with_ip_address(target.group).with_port(target.port);
    p.remote_endpoints() = {remote};
    taps::LocalEndpoint local;
    bool has_local = false;
    if (!interface_name.empty()) {
      local.with_interface(interface_name);
      has_local = true;
    }
    if (!target.source.empty()) {
      local.with_ip_address(target.source);
      has_local = true;
    }
    if (has_local) p.local_endpoints() = {local};
    auto& props = p.transport_properties();
    props.set("reliability", taps::Preference::prohibit);
    props.set_direction(taps::Direction::unidirectional_send);
    props.multicast_hop_limit = static_cast<int>(*hops);
    props.multicast_loopback = loopback;
    if (auto error = p.validate_for_initiate()) {
      std::string fix = error->message().find("needs an interface") != std::string::npos ? ": give -i NAME" : "";
      return usage_error(error->message() + fix);
    }
    o.streams.push_back({target, std::move(p)});
  }
  return ParseResult(std::move(o));
}

}  // namespace taps_mcast_send
