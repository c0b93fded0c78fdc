// --ping and --responder: the probe's wire format, its target spelling, its accounting
// (with made-up times), and the options that start it.
#include <doctest/doctest.h>

#include "common/ping_message.hpp"
#include "taps-mcast-recv/options.hpp"
#include "taps-mcast-recv/ping_tally.hpp"
#include "taps-mcast-recv/ping_target.hpp"
#include "taps-mcast-send/options.hpp"

using taps::apps::PingMessage;
using taps_mcast_recv::PingTally;
using taps_mcast_recv::PingTarget;
using taps_mcast_recv::PingVerdict;
using namespace std::chrono_literals;

TEST_CASE("ping message: every kind round-trips") {
  for (auto kind : {PingMessage::Kind::request, PingMessage::Kind::unicast_answer, PingMessage::Kind::multicast_answer,
                    PingMessage::Kind::refusal}) {
    PingMessage m{kind, 0xfffffffe, 0x01020304, -5, 63, "2001:db8::1", "ff3e::4321:1234", "why not"};
    auto bytes = taps::apps::encode(m);
    auto back = taps::apps::decode_ping_message(bytes);
    REQUIRE(back);
    CHECK(*back == m);
  }
}

TEST_CASE("ping message: anything else is not one") {
  PingMessage m{PingMessage::Kind::request, 1, 2, 3, 0, "10.0.0.1", "232.43.211.234", ""};
  auto good = taps::apps::encode(m);
  CHECK(taps::apps::decode_ping_message(good));
  // Every truncation, a byte too many, another magic, version or kind.
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(taps::apps::decode_ping_message(std::span(good.data(), n)));
  }
  auto longer = good;
  longer.push_back(0);
  CHECK_FALSE(taps::apps::decode_ping_message(longer));
  for (std::size_t at : {0, 4, 5}) {
    auto bad = good;
    bad[at] ^= 0x40;
    CHECK_FALSE(taps::apps::decode_ping_message(bad));
  }
  // A text length that runs past the end.
  auto overrun = good;
  overrun[23] = 200;
  CHECK_FALSE(taps::apps::decode_ping_message(overrun));
}

TEST_CASE("ping target: S, S@G, S@G:PORT; ASM outside the SSM range") {
  auto target = [](const std::string& text) { return std::get<PingTarget>(taps_mcast_recv::parse_ping_target(text)); };
  CHECK(target("10.0.0.1") == PingTarget{"10.0.0.1", "232.43.211.234", 4321, true});
  CHECK(target("2001:db8::1") == PingTarget{"2001:db8::1", "ff3e::4321:1234", 4321, true});
  CHECK(target("10.0.0.1@232.1.1.1") == PingTarget{"10.0.0.1", "232.1.1.1", 4321, true});
  CHECK(target("10.0.0.1@239.1.1.1:5000") == PingTarget{"10.0.0.1", "239.1.1.1", 5000, false});
  CHECK(target("2001:db8::1@[ff3e::1]:4000") == PingTarget{"2001:db8::1", "ff3e::1", 4000, true});
  for (auto bad : {"", "232.1.1.1", "10.0.0.1@10.0.0.2", "10.0.0.1@232.1.1.1+3", "10.0.0.1@ff3e::1", "nonsense"}) {
    CAPTURE(bad);
    CHECK(std::holds_alternative<std::string>(taps_mcast_recv::parse_ping_target(bad)));
  }
}

TEST_CASE("ping tally: both answers end a probe; waiting ends it too; lines in order") {
  PingTally tally(2s);
  PingTally::Clock::time_point t0{};
  CHECK(tally.send(t0) == 1);
  CHECK(tally.send(t0 + 1s) == 2);
  CHECK(tally.next_deadline() == t0 + 2s);
  // Probe 2 is answered first: its line waits for probe 1's.
  tally.on_unicast(2, t0 + 1s + 3ms);
  tally.on_multicast(2, t0 + 1s + 5ms, 64, 61);
  CHECK(tally.conclude(t0 + 1s + 5ms).empty());
  tally.on_unicast(1, t0 + 10ms);
  auto done = tally.conclude(t0 + 2s);  // probe 1 waited its 2 s without multicast
  REQUIRE(done.size() == 2);
  CHECK(done[0].seq == 1);
  CHECK(done[0].unicast_rtt_ms == doctest::Approx(10));
  CHECK_FALSE(done[0].multicast_rtt_ms);
  CHECK_FALSE(done[0].hops());
  CHECK(done[1].seq == 2);
  CHECK(done[1].multicast_rtt_ms == doctest::Approx(5));
  CHECK(done[1].hops() == 3);
  CHECK(tally.open() == 0);
  CHECK_FALSE(tally.next_deadline());
  // A late answer and a duplicate are counted, not taken.
  tally.on_multicast(1, t0 + 3s, 64, 64);
  tally.on_unicast(2, t0 + 3s);
  const auto& s = tally.summary();
  CHECK(s.probes == 2);
  CHECK(s.unicast.answered == 2);
  CHECK(s.unicast.min_ms == doctest::Approx(3));
  CHECK(s.unicast.max_ms == doctest::Approx(10));
  CHECK(s.unicast.avg_ms == doctest::Approx(6.5));
  CHECK(s.multicast.answered == 1);
  CHECK(s.hops == 3);
  CHECK(s.late_or_duplicate == 2);
  CHECK(tally.verdict() == PingVerdict::multicast_answered);
}

TEST_CASE("ping tally: the verdict says which answers came") {
  PingTally::Clock::time_point t0{};
  PingTally none(1s);
  none.send(t0);
  CHECK(none.conclude(t0 + 1s).size() == 1);
  CHECK(none.verdict() == PingVerdict::no_answer);
  PingTally unicast(1s);
  unicast.send(t0);
  unicast.on_unicast(1, t0 + 1ms);
  CHECK(unicast.conclude(t0 + 2ms).empty());  // still waiting for multicast
  CHECK(unicast.conclude(t0, true).size() == 1);  // the end: everything is done
  CHECK(unicast.verdict() == PingVerdict::unicast_only);
  // A hop limit that grew is no hop count.
  taps_mcast_recv::ProbeResult odd;
  odd.hop_limit_sent = 1;
  odd.hop_limit_received = 64;
  CHECK_FALSE(odd.hops());
}

TEST_CASE("taps-mcast-recv --ping: a target instead of groups") {
  auto r = taps_mcast_recv::parse({"taps-mcast-recv", "--ping", "10.0.0.1", "-c", "3", "--interval", "0.5"});
  REQUIRE(r.options);
  CHECK(r.options->ping == PingTarget{"10.0.0.1", "232.43.211.234", 4321, true});
  CHECK(r.options->count == 3u);
  CHECK(r.options->interval == std::chrono::milliseconds(500));
  CHECK(r.options->streams.empty());
  auto extra = taps_mcast_recv::parse({"taps-mcast-recv", "--ping", "10.0.0.1", "232.1.1.1", "5000"});
  CHECK_FALSE(extra.options);
  CHECK(extra.exit_code == 1);
  CHECK(extra.error.find("no GROUP arguments") != std::string::npos);
  auto bad = taps_mcast_recv::parse({"taps-mcast-recv", "--ping", "232.1.1.1"});
  CHECK_FALSE(bad.options);
  CHECK(bad.error.starts_with("taps-mcast-recv: --ping '232.1.1.1' is not the responder's unicast address"));
}

TEST_CASE("taps-mcast-send --responder: default groups, port 4321, hop limit 64") {
  auto r = taps_mcast_send::parse({"taps-mcast-send", "--responder"});
  REQUIRE(r.options);
  CHECK(r.options->responder);
  REQUIRE(r.options->streams.size() == 2);
  CHECK(r.options->streams[0].target.group == "232.43.211.234");
  CHECK(r.options->streams[1].target.group == "ff3e::4321:1234");
  CHECK(r.options->streams[0].target.port == 4321);
  CHECK(r.options->streams[0].preconnection.transport_properties().multicast_hop_limit == 64);
  auto port = taps_mcast_send::parse({"taps-mcast-send", "--responder", "5000", "--ttl", "8"});
  REQUIRE(port.options);
  CHECK(port.options->streams[0].target.port == 5000);
  CHECK(port.options->streams[0].preconnection.transport_properties().multicast_hop_limit == 8);
  auto groups = taps_mcast_send::parse({"taps-mcast-send", "--responder", "239.1.1.1", "10.0.0.1@232.1.1.1"});
  REQUIRE(groups.options);
  REQUIRE(groups.options->streams.size() == 2);
  CHECK(groups.options->streams[1].target.source == "10.0.0.1");
  CHECK(groups.options->streams[1].target.port == 4321);
  auto two_ports = taps_mcast_send::parse({"taps-mcast-send", "--responder", "239.1.1.1:5000", "232.1.1.1:5001"});
  CHECK_FALSE(two_ports.options);
  CHECK(two_ports.error.find("one port") != std::string::npos);
}
