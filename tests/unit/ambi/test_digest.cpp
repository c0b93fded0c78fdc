// Pseudoheader and digests: the pinned vectors were computed with `openssl dgst` over
// the pseudoheader bytes followed by the payload.
#include <doctest/doctest.h>

#include "ambi/digest.hpp"
#include "ambi/error.hpp"
#include "hex.hpp"

using namespace ambi;
using ambi_test::unhex;

namespace {

const std::vector<std::uint8_t> vector_payload = [] {
  std::string p("ambi-vector-000");
  p.push_back('\0');
  return std::vector<std::uint8_t>(p.begin(), p.end());
}();

PacketEndpoints v4_endpoints() {
  return {*IpAddress::parse("192.0.2.10"), 40000, *IpAddress::parse("232.1.1.1"), 5001};
}

PacketEndpoints v6_endpoints() {
  return {*IpAddress::parse("2001:db8::10"), 40000, *IpAddress::parse("ff3e::8000:1"), 5001};
}

}  // namespace

TEST_CASE("ipv4 pseudoheader of the test vector") {
  Pseudoheader header;
  REQUIRE_FALSE(make_pseudoheader(v4_endpoints(), 1, vector_payload.size(), header));
  CHECK(vector_payload.size() == 16);
  auto got = header.view();
  CHECK(std::vector<std::uint8_t>(got.begin(), got.end()) == unhex("c000020a e8010101 00 11 0010 9c40 1389 00000001"));
}

TEST_CASE("sha-256 digest of the test vector") {
  PacketHasher hasher(HashAlgorithm::sha256);
  Digest d;
  REQUIRE_FALSE(hasher.digest(v4_endpoints(), 1, vector_payload, d));
  CHECK(d.to_hex() == "769a40d25bf53bc9e7ce4c13c6c9659205b1e4ff078c70589f48a0c06bb633c0");
}

TEST_CASE("sha-384 and sha-512 digests of the test vector") {
  Digest d;
  PacketHasher sha384(HashAlgorithm::sha384);
  REQUIRE_FALSE(sha384.digest(v4_endpoints(), 1, vector_payload, d));
  CHECK(d.to_hex() ==
        "91bec78eacef4e9fc5a46ed24126832a6b7e62b5d406cb4287bcc4c82fa2cf7b8f7d640ef0bccccadd839d895638fc97");
  PacketHasher sha512(HashAlgorithm::sha512);
  REQUIRE_FALSE(sha512.digest(v4_endpoints(), 1, vector_payload, d));
  CHECK(d.to_hex() ==
        "19e617af13d0157ce7956d700b3dbf86bf250a38f8dde439c988caab04efa19e"
        "73ade503b1fe645288cf92cc7123fe08eac032d24d138b2760e0702bdf0e496f");
}

TEST_CASE("ipv6 pseudoheader is 44 bytes and its digest is pinned") {
  Pseudoheader header;
  REQUIRE_FALSE(make_pseudoheader(v6_endpoints(), 1, vector_payload.size(), header));
  auto got = header.view();
  CHECK(std::vector<std::uint8_t>(got.begin(), got.end()) ==
        unhex("20010db8000000000000000000000010 ff3e0000000000000000000080000001 00 11 0010 9c40 1389 00000001"));
  PacketHasher hasher(HashAlgorithm::sha256);
  Digest d;
  REQUIRE_FALSE(hasher.digest(v6_endpoints(), 1, vector_payload, d));
  CHECK(d.to_hex() == "97d0111c8db6643a4783500467ebf93c0ab84b3ea77312a5b17671a8b0deb144");
}

TEST_CASE("every pseudoheader field changes the digest") {
  PacketHasher hasher(HashAlgorithm::sha256);
  Digest base;
  REQUIRE_FALSE(hasher.digest(v4_endpoints(), 1, vector_payload, base));
  auto differs = [&](PacketEndpoints e, std::uint32_t stream, std::vector<std::uint8_t> payload) {
    Digest d;
    REQUIRE_FALSE(hasher.digest(e, stream, payload, d));
    return !(d == base);
  };
  auto e = v4_endpoints();
  e.source = *IpAddress::parse("192.0.2.11");
  CHECK(differs(e, 1, vector_payload));
  e = v4_endpoints();
  e.destination = *IpAddress::parse("232.1.1.2");
  CHECK(differs(e, 1, vector_payload));
  e = v4_endpoints();
  e.source_port = 40001;
  CHECK(differs(e, 1, vector_payload));
  e = v4_endpoints();
  e.destination_port = 5002;
  CHECK(differs(e, 1, vector_payload));
  CHECK(differs(v4_endpoints(), 2, vector_payload));
  auto flipped = vector_payload;
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
  CHECK(hasher.digest(mixed, 1, vector_payload, d) == errc::address_family_mismatch);
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
  REQUIRE_FALSE(second.digest(v4_endpoints(), 1, vector_payload, d));
  CHECK(d.to_hex() == "769a40d25bf53bc9e7ce4c13c6c9659205b1e4ff078c70589f48a0c06bb633c0");
}
