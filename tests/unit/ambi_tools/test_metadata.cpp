// The AMBI metadata JSON (DESIGN.md 6.4): the example, round trips, and errors that
// name their JSON path.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "metadata/metadata.hpp"

using namespace ambi_metadata;

namespace {

const std::string example = R"({"ietf-dorms:dorms":{"metadata":{"sender":[{"address":"10.99.0.1",
 "group":[{"address":"232.1.1.1","udp-stream":[{"port":5001,
  "ietf-ambi:ambi":{"manifest-stream":[{"id":1,
   "manifest-stream":[{"uri":"ambi+tls://10.99.0.1:4433"}],
   "hash-algorithm":"sha-256","data-hold-time":2000,"digest-hold-time":10000}]}}]}]}]}}})";

std::string error_of(const std::string& json) {
  auto parsed = parse_metadata(json);
  auto* error = std::get_if<MetadataError>(&parsed);
  return error ? error->message() : std::string("(parsed)");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("metadata: the DESIGN.md example") {
  auto parsed = parse_metadata(example);
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(parsed));
  const auto& streams = std::get<0>(parsed);
  REQUIRE(streams.size() == 1);
  const auto& s = streams[0];
  CHECK(s.source == "10.99.0.1");
  CHECK(s.group == "232.1.1.1");
  CHECK(s.port == 5001);
  CHECK(s.stream_id == 1);
  REQUIRE(s.manifest_uris.size() == 1);
  CHECK(s.manifest_uris[0] == ManifestUri{"10.99.0.1", 4433});
  CHECK(s.hash == ambi::HashAlgorithm::sha256);
  CHECK(s.data_hold_time == std::chrono::milliseconds(2000));
  CHECK(s.digest_hold_time == std::chrono::milliseconds(10000));
}

TEST_CASE("metadata: to_json round trips, IPv6 and several streams included") {
  StreamMetadata a{"2001:db8::1", "ff3e::8000:1", 5001, 7, {{"2001:db8::1", 4433}, {"ambi.example", 443}},
                   ambi::HashAlgorithm::sha512, std::chrono::milliseconds(500), std::chrono::milliseconds(3000),
                   "2027-01-01T00:00:00Z", {"https://ambi.example/m"}};
  StreamMetadata b = a;
  b.stream_id = 8;
  StreamMetadata c{"10.0.0.1", "232.0.0.9", 9, 0, {{"10.0.0.1", 1}}, ambi::HashAlgorithm::sha384,
                   default_data_hold_time, default_digest_hold_time, std::nullopt, {}};
  std::vector<StreamMetadata> streams{a, b, c};
  auto text = to_json(streams);
  CHECK(text.find("\"uri\": \"ambi+tls://[2001:db8::1]:4433\"") != std::string::npos);
  auto parsed = parse_metadata(text);
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(parsed));
  CHECK(std::get<0>(parsed) == streams);
}

TEST_CASE("metadata: defaults, prefixed identities and other modules' members") {
  auto text = replaced(example, R"("hash-algorithm":"sha-256","data-hold-time":2000,"digest-hold-time":10000)",
                       R"("hash-algorithm":"ietf-ambi:sha-384","other-module:x":1)");
  auto parsed = parse_metadata(text);
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(parsed));
  CHECK(std::get<0>(parsed)[0].hash == ambi::HashAlgorithm::sha384);
  CHECK(std::get<0>(parsed)[0].data_hold_time == default_data_hold_time);
}

TEST_CASE("metadata: errors name the JSON path") {
  const std::string ms = R"($["ietf-dorms:dorms"].metadata.sender[0].group[0]["udp-stream"][0]["ietf-ambi:ambi"]["manifest-stream"][0])";
  CHECK(error_of(replaced(example, "sha-256", "md5")) ==
        ms + R"(["hash-algorithm"]: unknown hash algorithm 'md5' (sha-256, sha-384 or sha-512))");
  CHECK(error_of(replaced(example, R"("port":5001)", R"("port":70000)")) ==
        R"($["ietf-dorms:dorms"].metadata.sender[0].group[0]["udp-stream"][0].port: 70000 is outside 1..65535)");
  CHECK(error_of(replaced(example, R"("address":"232.1.1.1")", R"("address":"10.1.1.1")")) ==
        R"($["ietf-dorms:dorms"].metadata.sender[0].group[0].address: not a multicast group address)");
  CHECK(error_of(replaced(example, R"("address":"10.99.0.1")", R"("address":"host.example")")) ==
        R"($["ietf-dorms:dorms"].metadata.sender[0].address: 'host.example' is not an IPv4 or IPv6 address)");
  CHECK(error_of(replaced(example, R"("id":1)", R"("id":-1)")) == ms + ".id: expected an unsigned integer, got -1");
  CHECK(error_of(replaced(example, R"("id":1,)", R"("id":1,"idd":2,)")) == ms + ".idd: unknown member");
  CHECK(error_of(replaced(example, R"("data-hold-time":2000)", R"("data-hold-time":4294967296)")) ==
        ms + R"(["data-hold-time"]: 4294967296 is outside 0..4294967295)");
  CHECK(error_of(replaced(example, "ambi+tls://10.99.0.1:4433", "10.99.0.1:4433")) ==
        ms + R"(["manifest-stream"][0].uri: '10.99.0.1:4433' is not ambi+tls://HOST:PORT)");
  CHECK(error_of(R"({"ietf-dorms:dorms":{"metadata":{"sender":[]}}})") ==
        R"($["ietf-dorms:dorms"].metadata.sender: expected a non-empty list)");
  CHECK(error_of("{") .starts_with("not JSON: parse error at line 1, column 2"));
  CHECK(error_of(R"({"ietf-dorms:dorms":{"metadata":{"sender":[{"address":"10.0.0.1","group":[{"address":"232.1.1.1","udp-stream":[{"port":1}]}]}]}}})") ==
        R"($: no udp-stream has an "ietf-ambi:ambi" manifest stream)");
}

TEST_CASE("metadata: manifest URIs") {
  CHECK(parse_manifest_uri("ambi+tls://10.0.0.1:4433") == ManifestUri{"10.0.0.1", 4433});
  CHECK(parse_manifest_uri("ambi+tls://[2001:db8::1]:4433/") == ManifestUri{"2001:db8::1", 4433});
  CHECK(parse_manifest_uri("ambi+tls://ambi.example:1") == ManifestUri{"ambi.example", 1});
  for (const char* bad : {"ambi+tls://10.0.0.1", "ambi+tls://10.0.0.1:0", "ambi+tls://10.0.0.1:65536", "ambi://h:1",
                          "ambi+tls://2001:db8::1:4433", "ambi+tls://[2001:db8::1]4433", "ambi+tls://:4433",
                          "ambi+tls://user@h:1"}) {
    CHECK_MESSAGE(!parse_manifest_uri(bad), bad);
  }
  CHECK(ManifestUri{"2001:db8::1", 9}.to_string() == "ambi+tls://[2001:db8::1]:9");
}

// Found by tests/fuzz/fuzz_ambi_metadata (testdata/fuzz/ambi-metadata): nlohmann throws
// out_of_range for a number that overflows a double, which once escaped as an abort.
TEST_CASE("metadata: a number that overflows is an error naming its path, never an exception") {
  const std::string ms = R"($["ietf-dorms:dorms"].metadata.sender[0].group[0]["udp-stream"][0]["ietf-ambi:ambi"]["manifest-stream"][0])";
  CHECK(error_of("1E444") == "$: number overflow parsing '1E444'");
  CHECK(error_of("-1e999") == "$: number overflow parsing '-1e999'");
  CHECK(error_of(replaced(example, R"("data-hold-time":2000)", R"("data-hold-time":1E444)")) ==
        ms + R"(["data-hold-time"]: number overflow parsing '1E444')");
  CHECK(error_of(replaced(example, R"("port":5001)", R"("port":5001,"x:y":[1,[2,3E999]])")) ==
        R"($["ietf-dorms:dorms"].metadata.sender[0].group[0]["udp-stream"][0]["x:y"][1][1]: number overflow parsing '3E999')");
}

// DORMS documents from other implementations (DESIGN.md 6.5).
TEST_CASE("metadata: expiration, other URI schemes, extra streams, uint32 hold times, prefixed hash names") {
  const std::string doc = R"({"ietf-dorms:dorms":{"metadata":{"sender":[{"address":"10.99.0.1",
 "group":[{"address":"232.1.1.1","udp-stream":[{"port":5001,
  "ietf-ambi:ambi":{"manifest-stream":[
   {"id":1,"expiration":"2026-12-31T23:59:59Z",
    "manifest-stream":[{"uri":"https://ambi.example/manifests"},{"uri":"AMBI+TLS://10.99.0.1:4433"},
                       {"uri":"ambi+dtls://10.99.0.1:4434"}],
    "hash-algorithm":"iana-hash-algs:sha-256","data-hold-time":0,"digest-hold-time":4294967295},
   {"id":2,"manifest-stream":[{"uri":"https://ambi.example/2"}],"hash-algorithm":"sha-512"}]}}]}]}]}}})";
  auto parsed = parse_metadata(doc);
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(parsed));
  const auto& streams = std::get<0>(parsed);
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].expiration == "2026-12-31T23:59:59Z");
  CHECK(streams[0].manifest_uris == std::vector<ManifestUri>{{"10.99.0.1", 4433}});
  CHECK(streams[0].other_uris == std::vector<std::string>{"https://ambi.example/manifests", "ambi+dtls://10.99.0.1:4434"});
  CHECK(streams[0].hash == ambi::HashAlgorithm::sha256);
  CHECK(streams[0].data_hold_time == std::chrono::milliseconds(0));
  CHECK(streams[0].digest_hold_time == std::chrono::milliseconds(4294967295));
  CHECK_FALSE(streams[1].expiration);
  CHECK(streams[1].manifest_uris.empty());
  CHECK(streams[1].other_uris == std::vector<std::string>{"https://ambi.example/2"});
  // Written back, the same streams.
  auto again = parse_metadata(to_json(streams));
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(again));
  CHECK(std::get<0>(again) == streams);
}

TEST_CASE("metadata: the test vector's document (testdata/ambi/metadata.json) loads as vector.json says") {
  const std::string dir = std::string(TAPS_TESTDATA_DIR) + "/ambi/";
  std::ifstream in(dir + "vector.json");
  REQUIRE(in);
  const auto expected = nlohmann::json::parse(in).at("metadata");
  auto parsed = read_metadata_file(dir + expected.at("file").get<std::string>());
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(parsed));
  const auto& streams = std::get<0>(parsed);
  REQUIRE(streams.size() == 1);
  const auto& s = streams[0];
  CHECK(s.source == expected.at("source").get<std::string>());
  CHECK(s.group == expected.at("group").get<std::string>());
  CHECK(s.port == expected.at("port").get<std::uint16_t>());
  CHECK(s.stream_id == expected.at("stream_id").get<std::uint32_t>());
  REQUIRE(s.manifest_uris.size() == 1);
  CHECK(s.manifest_uris[0].to_string() == expected.at("uri").get<std::string>());
  CHECK(ambi::hash_algorithm_name(s.hash) == expected.at("hash").get<std::string>());
  CHECK(s.data_hold_time.count() == expected.at("data_hold_time_ms").get<int>());
  CHECK(s.digest_hold_time.count() == expected.at("digest_hold_time_ms").get<int>());
  // What ambi-manifest-send writes for the same stream reads back the same.
  auto again = parse_metadata(to_json(streams));
  REQUIRE(std::holds_alternative<std::vector<StreamMetadata>>(again));
  CHECK(std::get<0>(again) == streams);
}
