// Pseudoheader and digests of the test vector in testdata/ambi/ (vector.json, payload.bin;
// its digests were computed apart from this code, with Python's hashlib over the
// pseudoheader bytes followed by the payload).
#include <doctest/doctest.h>

#include "ambi/digest.hpp"
#include "ambi/error.hpp"
#include "hex.hpp"
#include "vector.hpp"

using namespace ambi;
using ambi_test::unhex;

namespace {

// Read when a test first needs it: doctest's assertions work only inside a test.
const std::vector<std::uint8_t>& payload() {
  static const std::vector<std::uint8_t> bytes = ambi_test::vector_payload();
  return bytes;
}

PacketEndpoints v4_endpoints() { return ambi_test::vector_packet("ipv4").endpoints; }

std::string digest_hex(HashAlgorithm algorithm, const ambi_test::VectorPacket& packet) {
  PacketHasher hasher(algorithm);
  Digest d;
  REQUIRE_FALSE(hasher.digest(packet.endpoints, packet.stream_id, payload(), d));
  return d.to_hex();
}

}  // namespace

TEST_CASE("the test vector's pseudoheaders: 20 bytes for IPv4, 44 for IPv6") {
  CHECK(payload().size() == 16);
  for (const char* name : {"ipv4", "ipv6"}) {
    CAPTURE(name);
    auto packet = ambi_test::vector_packet(name);
    Pseudoheader header;
    REQUIRE_FALSE(make_pseudoheader(packet.endpoints, packet.stream_id, payload().size(), header));
    auto got = header.view();
    CHECK(got.size() == (packet.endpoints.source.v6 ? 44u : 20u));
    CHECK(std::vector<std::uint8_t>(got.begin(), got.end()) == unhex(packet.pseudoheader_hex));
  }
}

TEST_CASE("the test vector's sha-256, sha-384 and sha-512 digests") {
  for (const char* name : {"ipv4", "ipv6"}) {
    auto packet = ambi_test::vector_packet(name);
    for (auto algorithm : {HashAlgorithm::sha256, HashAlgorithm::sha384, HashAlgorithm::sha512}) {
      std::string hash(hash_algorithm_name(algorithm));
      CAPTURE(name);
      CAPTURE(hash);
      CHECK(digest_hex(algorithm, packet) == packet.digests.at(hash).get<std::string>());
    }
  }
}

TEST_CASE("every pseudoheader field changes the digest") {
  PacketHasher hasher(HashAlgorithm::sha256);
  Digest base;
  REQUIRE_FALSE(hasher.digest(v4_endpoints(), 1, payload(), base));
  auto differs = [&](PacketEndpoints e, std::uint32_t stream, std::vector<std::uint8_t> payload) {
    Digest d;
    REQUIRE_FALSE(hasher.digest(e, stream, payload, d));
    return !(d == base);
  };
  auto e = v4_endpoints();
  e.source = *IpAddress::parse("192.0.2.11");
  CHECK(differs(e, 1, payload()));
  e = v4_endpoints();
  e.destination = *IpAddress::parse("232.1.1.2");
  CHECK(differs(e, 1, payload()));
  e = v4_endpoints();
  e.source_port = 40001;
  CHECK(differs(e, 1, payload()));
  e = v4_endpoints();
  e.destination_port = 5002;
  CHECK(differs(e, 1, payload()));
  CHECK(differs(v4_endpoints(), 2, payload()));
  auto flipped = payload();
  flipped[3] ^= 1;
  CHECK(differs(v4_endpoints(), 1, flipped));
}

TEST_CASE("pseudoheader errors") {
  Pseudoheader header;
  PacketEndpoints mixed{*IpAddress::parse("192.0.2.10"), 1, *IpAddress::parse("ff3e::1"), 2};
  CHECK(make_pseudoheader(mixed, 1, 10, header) == errc::address_family_mismatch);
  CHECK(make_pseudoheader(v4_endpoints(), 1, 65536, header) == errc::payload_too_large);
  CHECK_FALSE(make_pseudoheader(v4_endpoints(), 1, 65535, header));

  PacketHasher hasher(HashAlgorithm::sha256);
  Digest d;
  CHECK(hasher.digest(mixed, 1, payload(), d) == errc::address_family_mismatch);
  CHECK(d.size == 0);
}

TEST_CASE("ip address literals") {
  CHECK(IpAddress::parse("192.0.2.10") == IpAddress::from_v4({192, 0, 2, 10}));
  CHECK(IpAddress::parse("fe80::1%veth0")->v6);
  CHECK_FALSE(IpAddress::parse("example.com"));
  CHECK_FALSE(IpAddress::parse(""));
  CHECK_FALSE(IpAddress::parse("192.0.2.300"));
  CHECK_FALSE(IpAddress::parse(std::string(200, '1')));
}

TEST_CASE("hash algorithm names fail closed") {
  HashAlgorithm a = HashAlgorithm::sha256;
  CHECK_FALSE(parse_hash_algorithm("sha-384", a));
  CHECK(a == HashAlgorithm::sha384);
  CHECK(digest_length(a) == 48);
  CHECK_FALSE(parse_hash_algorithm("sha-512", a));
  CHECK(digest_length(a) == 64);
  CHECK_FALSE(parse_hash_algorithm("sha-256", a));
  CHECK(hash_algorithm_name(a) == "sha-256");
  for (const char* bad : {"", "sha256", "SHA-256", "md5", "sha-1", "sha-256 ", "sha3-256"}) {
    CAPTURE(bad);
    CHECK(parse_hash_algorithm(bad, a) == errc::unknown_hash_algorithm);
  }
}

TEST_CASE("a hasher moved from another keeps hashing") {
  PacketHasher first(HashAlgorithm::sha256);
  PacketHasher second = std::move(first);
  Digest d;
  REQUIRE_FALSE(second.digest(v4_endpoints(), 1, payload(), d));
  CHECK(d.to_hex() == ambi_test::vector_packet("ipv4").digests.at("sha-256").get<std::string>());
}
