// The multicast toolkit's pure parts: group ranges, sequence payloads, pacing, jitter,
// per-interval statistics, and taps-mcast-send's options.
#include <doctest/doctest.h>

#include "common/group_targets.hpp"
#include "common/seq_payload.hpp"
#include "taps-mcast-recv/jitter.hpp"
#include "taps-mcast-recv/stats.hpp"
#include "taps-mcast-send/options.hpp"
#include "taps-mcast-send/pacer.hpp"
#include "taps-mcast-send/stdin_datagrams.hpp"

using taps::apps::GroupTarget;
using taps::apps::parse_group_targets;
using namespace std::chrono_literals;

TEST_CASE("group targets: GROUP PORT, S@G, G:PORT, [V6]:PORT") {
  auto r = parse_group_targets({"232.1.1.1", "10.0.0.1@232.1.1.2", "232.1.1.3:6000", "2001:db8::1@[ff3e::1]:7000",
                                "ff3e::2", "5001"},
                               100);
  REQUIRE(r.error.empty());
  CHECK(r.targets == std::vector<GroupTarget>{{"", "232.1.1.1", 5001},
                                              {"10.0.0.1", "232.1.1.2", 5001},
                                              {"", "232.1.1.3", 6000},
                                              {"2001:db8::1", "ff3e::1", 7000},
                                              {"", "ff3e::2", 5001}});
  auto alone = parse_group_targets({"10.0.0.1@232.1.1.1:5001"}, 100);
  REQUIRE(alone.error.empty());
  CHECK(alone.targets == std::vector<GroupTarget>{{"10.0.0.1", "232.1.1.1", 5001}});
}

TEST_CASE("group targets: ranges count on across octets and in IPv6") {
  auto r = parse_group_targets({"232.1.1.250+9", "5001"}, 100);
  REQUIRE(r.error.empty());
  REQUIRE(r.targets.size() == 10);
  CHECK(r.targets.front().group == "232.1.1.250");
  CHECK(r.targets[5].group == "232.1.1.255");
  CHECK(r.targets[6].group == "232.1.2.0");
  CHECK(r.targets.back().group == "232.1.2.3");
  auto v6 = parse_group_targets({"[ff3e::8000:ffff+1]:5001"}, 100);
  REQUIRE(v6.error.empty());
  CHECK(v6.targets.back().group == "ff3e::8001:0");
  CHECK(parse_group_targets({"232.1.1.1+0", "1"}, 100).targets.size() == 1);
}

TEST_CASE("group targets: errors name the bad argument") {
  struct Case {
    std::vector<std::string> args;
    const char* needle;
  };
  for (const auto& c : std::vector<Case>{{{"232.1.1.1"}, "no port"},
                                         {{"5001"}, "GROUP"},
                                         {{"10.0.0.1", "5001"}, "'10.0.0.1' is not a multicast"},
                                         {{"232.1.1.1:99999"}, "'99999'"},
                                         {{"239.255.255.250+10", "1"}, "past the end"},
                                         {{"232.1.1.1+x", "1"}, "'+x'"},
                                         {{"232.1.1.1+100", "1"}, "101 groups"},
                                         {{"232.9.9.9@232.1.1.1", "1"}, "not a unicast"},
                                         {{"2001:db8::1@232.1.1.1", "1"}, "families"},
                                         {{"nonsense", "1"}, "'nonsense'"}}) {
    CAPTURE(c.needle);
    auto r = parse_group_targets(c.args, 100);
    CHECK(r.targets.empty());
    CHECK(r.error.find(c.needle) != std::string::npos);
  }
}

TEST_CASE("seq payloads: u32/u64 carry the number and the send time, iperf2 its header") {
  using taps::apps::SeqFormat;
  std::vector<std::uint8_t> p(64);
  taps::apps::write_seq_header(SeqFormat::u32, 0x01020304, 1'700'000'000'123'456'789, false, p);
  CHECK(p[0] == 1);
  CHECK(p[3] == 4);
  CHECK(taps::apps::read_send_time(SeqFormat::u32, p) == 1'700'000'000'123'456'789);
  taps::apps::write_seq_header(SeqFormat::u64, 0x0102030405060708, 42, false, p);
  CHECK(p[7] == 8);
  CHECK(taps::apps::read_send_time(SeqFormat::u64, p) == 42);
  taps::apps::write_seq_header(SeqFormat::iperf2, 7, 1'700'000'000'123'456'789, false, p);
  CHECK(p[3] == 7);
  CHECK(taps::apps::read_send_time(SeqFormat::iperf2, p) == 1'700'000'000'123'456'000);
  taps::apps::write_seq_header(SeqFormat::iperf2, 7, 0, true, p);
  auto field = taps_mcast_recv::read_sequence(SeqFormat::iperf2, p);
  REQUIRE(field);
  CHECK(field->end_marker);
  CHECK(taps::apps::seq_header_size(SeqFormat::u32) == 12);
  CHECK(!taps::apps::read_send_time(SeqFormat::u32, std::span<const std::uint8_t>(p.data(), 8)));
}

TEST_CASE("pacer: the schedule is absolute, a late wakeup is made up, ticks batch high rates") {
  using taps_mcast_send::Clock;
  auto t0 = Clock::time_point{} + 1h;
  taps_mcast_send::Pacer pacer(1000, t0);
  CHECK(pacer.due(t0) == 1);
  pacer.release(1);
  CHECK(pacer.due(t0 + 500us) == 0);
  CHECK(pacer.due(t0 + 1ms) == 1);
  CHECK(pacer.due(t0 + 100ms) == 100);  // a timer 99 ms late: all of them at once
  pacer.release(100);
  CHECK(pacer.released() == 101);
  CHECK(pacer.next_due() == t0 + 101ms);
  CHECK(pacer.tick() == 1ms);
  CHECK(taps_mcast_send::Pacer(100000, t0).tick() == 320us);
  CHECK(taps_mcast_send::Pacer(10, t0).tick() == 100ms);
  CHECK(taps_mcast_send::Pacer(10e6, t0).tick() == 100us);
}

TEST_CASE("jitter: RFC 3550 with send times, interarrival changes without") {
  taps_mcast_recv::Jitter steady;
  for (int i = 0; i < 100; ++i) steady.on_datagram(i * 1'000'000 + 5'000'000, i * 1'000'000);
  CHECK(steady.jitter_ns() == doctest::Approx(0));
  taps_mcast_recv::Jitter rfc;
  rfc.on_datagram(0, 0);
  rfc.on_datagram(1'160'000, 1'000'000);  // 160 us late: D = 160 us, J = 10 us
  CHECK(rfc.jitter_ns() == doctest::Approx(10'000));
  taps_mcast_recv::Jitter gaps;
  gaps.on_datagram(0, std::nullopt);
  gaps.on_datagram(1'000'000, std::nullopt);
  CHECK(gaps.jitter_ns() == 0);
  gaps.on_datagram(2'320'000, std::nullopt);  // the gap grew by 320 us: J = 20 us
  CHECK(gaps.jitter_ns() == doctest::Approx(20'000));
}

TEST_CASE("interval statistics: each row counts its own interval, the summary the whole life") {
  using taps_mcast_recv::Clock;
  auto t0 = Clock::time_point{} + 1h;
  taps_mcast_recv::SenderStats stats("10.0.0.1:4000", "232.1.1.1:5001", taps::apps::SeqFormat::u32, t0);
  std::vector<std::uint8_t> p(100);
  auto send = [&](std::uint32_t seq, Clock::time_point at) {
    taps::apps::write_seq_header(taps::apps::SeqFormat::u32, seq, 0, false, p);
    stats.on_datagram(p, at, 0);
  };
  for (std::uint32_t i = 0; i < 10; ++i) send(i, t0 + 100ms * i);  // 0.0 .. 0.9 s
  auto first = stats.interval(t0, t0 + 1s);
  CHECK(first.packets == 10);
  CHECK(first.bytes == 1000);
  CHECK(first.pps == doctest::Approx(10));
  CHECK(first.lost == 0);
  for (std::uint32_t i = 12; i < 20; ++i) send(i, t0 + 1s + 100ms * (i - 10));  // 10 and 11 lost
  auto second = stats.interval(t0 + 1s, t0 + 2s);
  CHECK(second.packets == 8);  // not 18: the interval's own
  CHECK(second.pps == doctest::Approx(8));
  CHECK(second.lost == 2);
  CHECK(second.start == doctest::Approx(1));
  CHECK(second.end == doctest::Approx(2));
  auto third = stats.interval(t0 + 2s, t0 + 3s);
  CHECK(third.packets == 0);
  CHECK(third.lost == 0);
  auto total = stats.total();
  CHECK(total.packets == 18);
  CHECK(total.lost == 2);
  CHECK(total.pps == doctest::Approx(17 / 1.9));  // 18 datagrams, 17 gaps over 0.0 .. 1.9 s
}

TEST_CASE("statistics: a single datagram has no rate (issue 14: '58806 pps')") {
  using taps_mcast_recv::Clock;
  auto t0 = Clock::time_point{} + 1h;
  taps_mcast_recv::SenderStats stats("10.0.0.1:4000", "232.1.1.1:5001", taps::apps::SeqFormat::none, t0);
  std::vector<std::uint8_t> p(10);
  stats.on_datagram(p, t0 + 3s, 0);
  auto total = stats.total();
  CHECK(total.packets == 1);
  CHECK(total.pps == 0);
  auto text = taps_mcast_recv::row_text("10.0.0.1:4000", "232.1.1.1:5001", total, true);
  CHECK(text.find("pps") == std::string::npos);
  CHECK(taps_mcast_recv::scaled_bits(9.6e6) == "9.60 Mbit/s");
  CHECK(taps_mcast_recv::scaled_bits(850e3) == "850.0 kbit/s");
  CHECK(taps_mcast_recv::scaled_bits(1.2e9) == "1.20 Gbit/s");
}

namespace {

taps_mcast_send::ParseResult send_args(std::vector<std::string> args) {
  args.insert(args.begin(), "taps-mcast-send");
  return taps_mcast_send::parse(args);
}

}  // namespace

TEST_CASE("taps-mcast-send: rates, sizes, groups and the Preconnection per group") {
  auto r = send_args({"--bitrate", "9.6M", "--size", "1200", "-c", "5", "--ttl", "8", "-i", "veth0", "--source",
                      "10.0.0.1", "--loopback", "--seq", "iperf2", "232.1.1.1+1", "5001"});
  REQUIRE(r.options);
  const auto& o = *r.options;
  CHECK(o.rate == doctest::Approx(1000));
  CHECK(o.count == 5u);
  CHECK(o.seq == taps::apps::SeqFormat::iperf2);
  REQUIRE(o.streams.size() == 2);
  const auto& p = o.streams[1].preconnection;
  CHECK(p.remote_endpoints().front().ip_address() == "232.1.1.2");
  CHECK(p.local_endpoints().front().ip_address() == "10.0.0.1");
  CHECK(p.local_endpoints().front().interface_name() == "veth0");
  CHECK(p.transport_properties().multicast_hop_limit == 8);
  CHECK(p.transport_properties().multicast_loopback);
  auto defaults = send_args({"239.1.1.1", "5001"});
  REQUIRE(defaults.options);
  CHECK(defaults.options->rate == doctest::Approx(1e6 / 8 / 1200));
  CHECK(!defaults.options->streams[0].preconnection.transport_properties().multicast_loopback);
  CHECK(taps_mcast_send::parse_bitrate("800k") == 800e3);
  CHECK(taps_mcast_send::parse_bitrate("1G") == 1e9);
  CHECK(!taps_mcast_send::parse_bitrate("fast"));
}

TEST_CASE("taps-mcast-send: usage errors exit 1 and name the bad value (--ttl -1 too)") {
  struct Case {
    std::vector<std::string> args;
    const char* needle;
  };
  for (const auto& c : std::vector<Case>{{{"--ttl", "-1", "239.1.1.1", "5001"}, "'-1'"},
                                         {{"--ttl", "256", "239.1.1.1", "5001"}, "'256'"},
                                         {{"--rate", "0", "239.1.1.1", "5001"}, "'0'"},
                                         {{"--rate", "10", "--bitrate", "1M", "239.1.1.1", "5001"}, "not both"},
                                         {{"--bitrate", "lots", "239.1.1.1", "5001"}, "'lots'"},
                                         {{"--size", "8", "--seq", "u32", "239.1.1.1", "5001"}, "needs 12"},
                                         {{"--size", "70000", "239.1.1.1", "5001"}, "'70000'"},
                                         {{"-c", "0", "239.1.1.1", "5001"}, "'0'"},
                                         {{"--seq", "u16", "239.1.1.1", "5001"}, "'u16'"},
                                         {{"-s", "10.0.0.2", "10.0.0.1@232.1.1.1", "5001"}, "two sources"},
                                         {{"ff02::1", "5001"}, "needs an interface"},
                                         {{"239.1.1.1"}, "no port"}}) {
    CAPTURE(c.needle);
    auto r = send_args(c.args);
    REQUIRE(!r.options);
    CHECK(r.exit_code == 1);
    CHECK(r.error.find(c.needle) != std::string::npos);
  }
  auto help = send_args({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("--loopback") != std::string::npos);
  CHECK(help.output.find("Exit codes") != std::string::npos);
}

TEST_CASE("taps-mcast-send --from-stdin: reads and lines become datagrams, long lines in pieces") {
  auto bytes = [](std::string_view text) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  };
  auto text = [](const std::vector<std::uint8_t>& d) { return std::string(d.begin(), d.end()); };
  taps_mcast_send::StdinDatagrams lines(4, true);
  lines.feed(bytes("ab\ncd"));
  lines.feed(bytes("e\n\nlonger-line"));
  lines.finish();
  std::vector<std::string> got;
  for (const auto& d : lines.ready()) got.push_back(text(d));
  CHECK(got == std::vector<std::string>{"ab", "cde", "", "long", "er-l", "ine"});
  CHECK(lines.cut_lines() == 1);
  taps_mcast_send::StdinDatagrams reads(4, false);
  reads.feed(bytes("abcdefghij"));
  got.clear();
  for (const auto& d : reads.ready()) got.push_back(text(d));
  CHECK(got == std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(send_args({"--from-stdin", "--seq", "u32", "239.1.1.1", "1"}).exit_code == 1);
  CHECK(send_args({"--lines", "239.1.1.1", "1"}).exit_code == 1);
  auto unpaced = send_args({"--from-stdin", "--lines", "239.1.1.1", "1"});
  REQUIRE(unpaced.options);
  CHECK(!unpaced.options->paced);
}
