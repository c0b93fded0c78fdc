// The AMBI tools' pure parts: option parsing, the manifest builder, the datagram cutter,
// reconnect backoff and the endpoints of a received datagram.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ambi-manifest-send/datagram_cutter.hpp"
#include "ambi-manifest-send/manifest_builder.hpp"
#include "ambi-manifest-send/options.hpp"
#include "ambi-verify/options.hpp"
#include "ambi/manifest.hpp"
#include "verifier/backoff.hpp"
#include "verifier/packet_endpoints.hpp"

namespace {

ambi::Digest digest_of(std::uint8_t fill, std::size_t size = 32) {
  std::vector<std::uint8_t> bytes(size, fill);
  return ambi::Digest(bytes);
}

}  // namespace

TEST_CASE("ambi-verify options: explicit stream, defaults and errors") {
  auto r = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "5001", "--manifest",
                               "ambi+tls://10.0.0.1:4433", "--data-hold-time", "500", "-c", "3", "-o", "hex"});
  REQUIRE(r.options);
  CHECK(r.options->stream.port == 5001);
  CHECK(r.options->stream.stream_id == 1);
  CHECK(r.options->limits.data_hold_time == std::chrono::milliseconds(500));
  CHECK(r.options->limits.digest_hold_time == std::chrono::milliseconds(10000));
  CHECK(r.options->count == 3u);
  CHECK(r.options->output == ambi_verify::Output::hex);

  auto missing = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.error.starts_with("ambi-verify: needs --metadata FILE, or --source, --group, --port and --manifest"));
  auto hash = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "1", "--manifest",
                                  "ambi+tls://h:1", "--hash", "SHA256"});
  CHECK(hash.error.starts_with("ambi-verify: --hash 'SHA256' (sha-256, sha-384 or sha-512)"));
  auto group = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1", "-g", "10.0.0.2", "-p", "1", "--manifest", "ambi+tls://h:1"});
  CHECK(group.error.find("not a multicast group address") != std::string::npos);
  auto help = ambi_verify::parse({"ambi-verify", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("Examples:") != std::string::npos);
}

TEST_CASE("ambi-verify options: choosing one stream of several") {
  ambi_metadata::StreamMetadata a;
  a.source = "10.0.0.1";
  a.group = "232.1.1.1";
  a.port = 5001;
  a.stream_id = 1;
  a.manifest_uris = {{"h", 1}};
  auto b = a;
  b.stream_id = 2;
  CHECK(std::get<0>(ambi_verify::choose_stream({a, b}, {{}, {}, {}, 2u})).stream_id == 2);
  CHECK(std::get<1>(ambi_verify::choose_stream({a, b}, {})).find("2 streams") != std::string::npos);
  CHECK(std::holds_alternative<std::string>(ambi_verify::choose_stream({a, b}, {{}, {}, 5002, {}})));
}

TEST_CASE("ambi-manifest-send options") {
  auto r = ambi_manifest_send::parse({"ambi-manifest-send", "--originate", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p",
                                      "5001", "--listen", "0.0.0.0:4433", "--cert", "c", "--key", "k"});
  REQUIRE(r.options);
  CHECK(r.options->mode == ambi_manifest_send::Mode::originate);
  CHECK(r.options->listen_port == 4433);
  CHECK(ambi_manifest_send::uri_host(*r.options) == "10.0.0.1");  // wildcard: the source
  auto v6 = ambi_manifest_send::parse({"ambi-manifest-send", "-s", "2001:db8::1", "-g", "ff3e::1", "-p", "1", "--listen",
                                       "[2001:db8::2]:0", "--cert", "c", "--key", "k"});
  REQUIRE(v6.options);
  CHECK(v6.options->mode == ambi_manifest_send::Mode::witness);
  CHECK(ambi_manifest_send::uri_host(*v6.options) == "2001:db8::2");
  auto bad = ambi_manifest_send::parse({"ambi-manifest-send", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "1", "--listen",
                                        "x", "--cert", "c", "--key", "k"});
  CHECK(bad.error.starts_with("ambi-manifest-send: --listen 'x' is not [HOST:]PORT"));
}

TEST_CASE("manifest builder: consecutive sequence numbers, cut when full, TLV") {
  ambi_manifest_send::ManifestBuilder b(9, ambi::HashAlgorithm::sha256, 2, std::uint16_t{30});
  CHECK(b.take().empty());
  CHECK(b.add(digest_of(1)) == 0);
  CHECK(!b.full());
  CHECK(b.add(digest_of(2)) == 1);
  CHECK(b.full());
  ambi::ManifestHeader h;
  auto wire = b.take(&h);
  CHECK(h.manifest_seq == 0);
  CHECK(h.digest_count == 2);
  ambi::Manifest m;
  REQUIRE(!ambi::decode(wire, 32, m));
  CHECK(m.stream_id == 9);
  CHECK(m.first_packet_seq == 0);
  CHECK(m.tlvs.refresh_deadline_s == 30);
  CHECK(m.digests == std::vector<ambi::Digest>{digest_of(1), digest_of(2)});
  CHECK(b.add(digest_of(3)) == 2);
  wire = b.take(&h);
  REQUIRE(!ambi::decode(wire, 32, m));
  CHECK(m.manifest_seq == 1);
  CHECK(m.first_packet_seq == 2);
}

TEST_CASE("manifest builder: never more digests than fit in 1 MiB") {
  ambi_manifest_send::ManifestBuilder b(1, ambi::HashAlgorithm::sha512, 32767);
  std::size_t n = 0;
  while (!b.full()) {
    b.add(digest_of(7, 64));
    ++n;
  }
  CHECK(n * 64 < ambi::max_manifest_size);
  ambi::Manifest m;
  CHECK(!ambi::decode(b.take(), 64, m));
}

TEST_CASE("backoff: 1 s doubling to 60 s, reset") {
  ambi_verifier::Backoff b;
  std::vector<long> seen;
  for (int i = 0; i < 9; ++i) seen.push_back(b.next().count());
  CHECK(seen == std::vector<long>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000});
  b.reset();
  CHECK(b.next().count() == 1000);
}

TEST_CASE("packet endpoints from ADDR:PORT strings") {
  auto v4 = ambi_verifier::parse_address_port("192.0.2.10:40000");
  REQUIRE(v4);
  CHECK(v4->second == 40000);
  CHECK(v4->first == *ambi::IpAddress::parse("192.0.2.10"));
  auto v6 = ambi_verifier::parse_address_port("[2001:db8::1]:5001");
  REQUIRE(v6);
  CHECK(v6->first.v6);
  CHECK(!ambi_verifier::parse_address_port("host:1"));
  CHECK(!ambi_verifier::parse_address_port("10.0.0.1"));
  CHECK(!ambi_verifier::parse_address_port("10.0.0.1:65536"));
  ambi_verifier::EndpointCache cache;
  const auto* e = cache.get("192.0.2.10:40000", "232.1.1.1:5001");
  REQUIRE(e);
  CHECK(e->destination_port == 5001);
  CHECK(cache.get("192.0.2.10:40000", "232.1.1.1:5001") == e);
  CHECK(!cache.get("x", "232.1.1.1:5001"));
}

namespace {

using Cutter = ambi_manifest_send::DatagramCutter;

std::vector<std::size_t> sizes_after(Cutter& c, const std::vector<std::size_t>& reads, std::uint8_t fill = 'x') {
  std::vector<std::vector<std::uint8_t>> out;
  for (auto n : reads) c.feed(std::vector<std::uint8_t>(n, fill), out);
  if (auto last = c.finish()) out.push_back(std::move(*last));
  std::vector<std::size_t> sizes;
  for (const auto& d : out) sizes.push_back(d.size());
  return sizes;
}

}  // namespace

// A pipe returns reads of any size: once, each read was one datagram, so 1,000,000
// bytes at --packet-size 1000 left as 1001 datagrams.
TEST_CASE("datagram cutter: exactly --packet-size bytes whatever the reads, only the last shorter") {
  Cutter c(1000, Cutter::Mode::fixed_size);
  std::vector<std::size_t> reads;
  std::size_t total = 0;
  std::uint32_t x = 12345;
  while (total < 1'000'000) {
    x = x * 1103515245 + 12345;
    auto n = std::min<std::size_t>(1 + (x >> 8) % 1000, 1'000'000 - total);
    reads.push_back(n);
    total += n;
  }
  auto sizes = sizes_after(c, reads);
  CHECK(sizes.size() == 1000);
  CHECK(std::all_of(sizes.begin(), sizes.end(), [](auto s) { return s == 1000; }));
  Cutter d(1000, Cutter::Mode::fixed_size);
  CHECK(sizes_after(d, {999, 2, 1500}) == std::vector<std::size_t>{1000, 1000, 501});
  Cutter e(4, Cutter::Mode::fixed_size);
  CHECK(sizes_after(e, {}).empty());
}

TEST_CASE("datagram cutter: --lines, one datagram per line with its newline") {
  Cutter c(8, Cutter::Mode::lines);
  std::vector<std::vector<std::uint8_t>> out;
  std::string text = "one\ntwo\n\nthree-long-line\nla";
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  // Read in two pieces that cut a line.
  c.feed(std::span(bytes).first(5), out);
  c.feed(std::span(bytes).subspan(5), out);
  auto last = c.finish();
  REQUIRE(last);
  out.push_back(*last);
  std::vector<std::string> got;
  for (const auto& d : out) got.emplace_back(d.begin(), d.end());
  CHECK(got == std::vector<std::string>{"one\n", "two\n", "\n", "three-lo", "ng-line\n", "la"});
  CHECK_FALSE(c.finish());
}

TEST_CASE("metadata refresh: the stream of the same (S, G, port) without expiration, else the latest") {
  ambi_metadata::StreamMetadata current;
  current.source = "10.0.0.1";
  current.group = "232.1.1.1";
  current.port = 5001;
  current.stream_id = 1;
  current.manifest_uris = {{"h", 1}};
  auto with = [&](std::uint32_t id, std::optional<std::string> expiration, std::uint16_t port = 5001) {
    auto s = current;
    s.stream_id = id;
    s.expiration = std::move(expiration);
    s.port = port;
    return s;
  };
  using ambi_verify::refreshed_stream;
  CHECK(refreshed_stream({with(1, "2026-01-01T00:00:00Z"), with(2, std::nullopt)}, current)->stream_id == 2);
  CHECK(refreshed_stream({with(3, std::nullopt), with(1, std::nullopt)}, current)->stream_id == 1);
  CHECK(refreshed_stream({with(4, "2026-01-01T00:00:00Z"), with(5, "2027-01-01T00:00:00Z")}, current)->stream_id == 5);
  CHECK(refreshed_stream({with(6, std::nullopt, 5002)}, current) == std::nullopt);
  auto no_uri = with(7, std::nullopt);
  no_uri.manifest_uris.clear();
  no_uri.other_uris = {"https://x/"};
  CHECK(refreshed_stream({no_uri, with(8, "2026-01-01T00:00:00Z")}, current)->stream_id == 8);
}

// --config FILE: the multicast Preconnection's properties; a bad file is a one-line usage
// error naming it, never an exception (the number that overflows included).
TEST_CASE("--config: the multicast side's properties, and bad files as usage errors") {
  auto dir = std::filesystem::temp_directory_path();
  auto good = (dir / "ambi-tools-test-config.json").string();
  auto overflow = (dir / "ambi-tools-test-config-overflow.json").string();
  std::ofstream(good) << R"({"transportProperties":{"interface":{"veth9":"prohibit"}}})";
  std::ofstream(overflow) << R"({"transportProperties":{"connTimeout":1E444}})";
  auto verify = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "5001", "--manifest",
                                    "ambi+tls://10.0.0.1:4433", "--config", good});
  REQUIRE(verify.options);
  CHECK(verify.options->multicast_properties.interfaces().at("veth9") == taps::Preference::prohibit);
  auto send = ambi_manifest_send::parse({"ambi-manifest-send", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "1", "--listen",
                                         "4433", "--cert", "c", "--key", "k", "--config", good});
  REQUIRE(send.options);
  CHECK(send.options->multicast_properties.interfaces().at("veth9") == taps::Preference::prohibit);
  for (const auto& file : {overflow, (dir / "no-such-ambi-config.json").string()}) {
    auto bad = ambi_verify::parse({"ambi-verify", "-s", "10.0.0.1", "-g", "232.1.1.1", "-p", "5001", "--manifest",
                                   "ambi+tls://10.0.0.1:4433", "--config", file});
    CHECK_FALSE(bad.options);
    CHECK(bad.exit_code == 1);
    CHECK(bad.error.starts_with("ambi-verify: --config: "));
    CHECK(std::count(bad.error.begin(), bad.error.end(), '\n') == 1);  // the error, then the hint
  }
  std::filesystem::remove(good);
  std::filesystem::remove(overflow);
}
