#include <doctest/doctest.h>

#include "taps-cat/options.hpp"
#include "taps-mcast-recv/options.hpp"

using taps_mcast_recv::parse;

namespace {

taps_mcast_recv::ParseResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "taps-mcast-recv");
  return parse(args);
}

}  // namespace

TEST_CASE("taps-mcast-recv: GROUP PORT alone is ASM") {
  auto r = run({"239.1.2.3", "5000"});
  REQUIRE(r.options);
  REQUIRE(r.options->streams.size() == 1);
  CHECK(r.options->streams[0].sources.empty());
  const auto& local = r.options->streams[0].preconnection.local_endpoints().front();
  CHECK(local.multicast_group() == "239.1.2.3");
  CHECK(local.multicast_sources().empty());
  CHECK(local.port() == 5000);
  CHECK(r.options->output == taps_mcast_recv::Output::raw);
}

TEST_CASE("taps-mcast-recv: SSM sources from repeated -s and from S@G") {
  for (auto args : {std::vector<std::string>{"-s", "10.0.0.1", "-s", "10.0.0.2", "232.1.1.1", "5001"},
                    std::vector<std::string>{"-s", "10.0.0.2", "10.0.0.1@232.1.1.1", "5001"}}) {
    auto r = run(args);
    REQUIRE(r.options);
    const auto& local = r.options->streams.at(0).preconnection.local_endpoints().front();
    CHECK(local.multicast_group() == "232.1.1.1");
    auto sources = local.multicast_sources();
    std::sort(sources.begin(), sources.end());
    CHECK(sources == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  }
}

TEST_CASE("taps-mcast-recv: IPv6 SSM and the interface by name") {
  auto r = run({"-i", "veth0", "2001:db8::1@ff3e::8000:1", "5001"});
  REQUIRE(r.options);
  const auto& local = r.options->streams.at(0).preconnection.local_endpoints().front();
  CHECK(local.multicast_group() == "ff3e::8000:1");
  CHECK(local.multicast_sources() == std::vector<std::string>{"2001:db8::1"});
  CHECK(local.interface_name() == "veth0");
}

TEST_CASE("taps-mcast-recv: count duration output seq and stats") {
  auto r = run({"-c", "10", "-t", "2.5", "-o", "hex", "--seq", "iperf2", "--stats=0.5", "--json", "239.1.1.1", "9"});
  REQUIRE(r.options);
  const auto& o = *r.options;
  CHECK(o.count == 10u);
  CHECK(o.duration == std::chrono::milliseconds(2500));
  CHECK(o.output == taps_mcast_recv::Output::hex);
  CHECK(o.seq == taps_mcast_recv::SeqFormat::iperf2);
  CHECK(o.stats);
  CHECK(o.interval == std::chrono::milliseconds(500));
  CHECK(o.verbosity == taps::apps::Verbosity::json);
}

TEST_CASE("taps-mcast-recv: --stats alone does not take the group as its interval") {
  auto r = run({"--stats", "239.1.1.1", "9"});
  REQUIRE(r.options);
  CHECK(r.options->stats);
  CHECK(!r.options->interval);
  CHECK(r.options->streams.at(0).group == "239.1.1.1");
}

TEST_CASE("taps-mcast-recv: --stats SEC with a space is the interval when a PORT follows") {
  auto r = run({"--stats", "1", "239.1.1.1", "9"});
  REQUIRE(r.options);
  CHECK(r.options->interval == std::chrono::seconds(1));
  auto port = run({"239.1.1.1", "--stats", "9"});
  REQUIRE(port.options);
  CHECK(!port.options->interval);
  CHECK(port.options->streams.at(0).port == 9);
}

TEST_CASE("taps-mcast-recv: the same source twice is one membership (issue 16 item 3)") {
  auto r = run({"-s", "10.0.0.1", "-s", "10.0.0.1", "10.0.0.1@232.1.1.1", "5001"});
  REQUIRE(r.options);
  CHECK(r.options->streams.at(0).sources == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("taps-mcast-recv: many groups, ranges and per-group ports") {
  auto r = run({"-s", "10.0.0.1", "232.1.1.1+99", "10.0.0.2@232.2.2.2:6000", "239.1.1.1", "5001"});
  REQUIRE(r.options);
  const auto& streams = r.options->streams;
  REQUIRE(streams.size() == 102);
  CHECK(streams[0].group == "232.1.1.1");
  CHECK(streams[99].group == "232.1.1.100");
  CHECK(streams[99].sources == std::vector<std::string>{"10.0.0.1"});
  CHECK(streams[100].group == "232.2.2.2");
  CHECK(streams[100].port == 6000);
  CHECK(streams[100].sources == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});  // -s applies too
  CHECK(streams[101].port == 5001);
}

TEST_CASE("taps-mcast-recv: a link-scope group without interface or zone is a usage error") {
  auto r = run({"ff02::1:3", "5000"});
  REQUIRE(!r.options);
  CHECK(r.exit_code == 1);
  CHECK(r.error.find("ff02::1:3") != std::string::npos);
  CHECK(r.error.find("-i") != std::string::npos);
  CHECK(run({"-i", "lo", "ff02::1:3", "5000"}).options);
}

TEST_CASE("taps-mcast-recv: usage errors exit 1 and name the bad value") {
  struct Case {
    std::vector<std::string> args;
    const char* needle;
  };
  for (const auto& c : std::vector<Case>{{{"239.1.1.1"}, "no port"},
                                         {{"5000"}, "GROUP"},
                                         {{"--max-senders", "0", "239.1.1.1", "5000"}, "'0'"},
                                         {{"--interval", "x", "239.1.1.1", "5000"}, "'x'"},
                                         {{"232.1.1.1+99999", "5000"}, "100000 groups"},
                                         {{"239.1.1.1", "0"}, "'0'"},
                                         {{"239.1.1.1:0"}, "'0'"},
                                         {{"10.1.1.1", "5000"}, "10.1.1.1"},
                                         {{"-s", "239.9.9.9", "232.1.1.1", "5000"}, "239.9.9.9"},
                                         {{"-s", "2001:db8::1", "232.1.1.1", "5000"}, "families"},
                                         {{"-o", "json", "239.1.1.1", "5000"}, "'json'"},
                                         {{"--seq", "u16", "239.1.1.1", "5000"}, "'u16'"},
                                         {{"-t", "soon", "239.1.1.1", "5000"}, "'soon'"},
                                         {{"--stats=-1", "239.1.1.1", "5000"}, "'-1'"},
                                         {{"-c", "0", "239.1.1.1", "5000"}, "-c"}}) {
    auto r = run(c.args);
    CAPTURE(c.needle);
    REQUIRE(!r.options);
    CHECK(r.exit_code == 1);
    CHECK(r.error.find(c.needle) != std::string::npos);
  }
}

TEST_CASE("taps-mcast-recv: help shows ASM SSM and IPv6 examples and version works") {
  auto help = run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("SSM") != std::string::npos);
  CHECK(help.output.find("ASM") != std::string::npos);
  CHECK(help.output.find("ff3e::") != std::string::npos);
  auto version = run({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.output.starts_with("taps-mcast-recv "));
}

TEST_CASE("taps-cat mcast send options: a group HOST means UDP and --ttl sets the hop limit") {
  auto r = taps_cat::parse({"taps-cat", "--ttl", "4", "-i", "veth0", "232.1.1.1", "5001"});
  REQUIRE(r.options);
  const auto& props = r.options->preconnection.transport_properties();
  CHECK(props.multicast_hop_limit == 4);
  CHECK(props.get("reliability") == taps::Preference::prohibit);
  CHECK(props.interfaces().at("veth0") == taps::Preference::require);
  auto v6 = taps_cat::parse({"taps-cat", "ff3e::1", "5001"});
  REQUIRE(v6.options);
  CHECK(v6.options->preconnection.transport_properties().get("reliability") == taps::Preference::prohibit);
  auto unicast = taps_cat::parse({"taps-cat", "--ttl", "4", "10.0.0.1", "5001"});
  CHECK(!unicast.options);
  CHECK(unicast.exit_code == 1);
  CHECK(unicast.error.find("--ttl") != std::string::npos);
  auto bad = taps_cat::parse({"taps-cat", "--ttl", "256", "232.1.1.1", "5001"});
  CHECK(!bad.options);
  auto level = taps_cat::parse({"taps-cat", "-i", "eth0:sometimes", "232.1.1.1", "5001"});
  CHECK(!level.options);
}

TEST_CASE("taps-mcast-recv: --exclude is ASM minus those sources, never mixed with SSM") {
  auto r = run({"--exclude", "10.0.0.9", "--exclude", "10.0.0.8", "239.1.1.1", "5000"});
  REQUIRE(r.options);
  const auto& local = r.options->streams.at(0).preconnection.local_endpoints().front();
  CHECK(local.multicast_sources().empty());
  CHECK(local.excluded_multicast_sources() == std::vector<std::string>{"10.0.0.9", "10.0.0.8"});
  auto mixed = run({"--exclude", "10.0.0.9", "-s", "10.0.0.1", "232.1.1.1", "5000"});
  CHECK(!mixed.options);
  CHECK(mixed.error.find("--exclude is for ASM") != std::string::npos);
  auto family = run({"--exclude", "2001:db8::9", "239.1.1.1", "5000"});
  CHECK(!family.options);
  CHECK(family.error.find("2001:db8::9") != std::string::npos);
}
