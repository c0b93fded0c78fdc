// The manifest codec: round trips, the wire layout, TLV Space rules, sequence wrap.
#include <doctest/doctest.h>

#include "ambi/error.hpp"
#include "ambi/manifest.hpp"
#include "hex.hpp"
#include "vector.hpp"

using namespace ambi;
using ambi_test::digest_of;
using ambi_test::unhex;

namespace {

Manifest sample(std::size_t digests, std::size_t length = 32) {
  Manifest m;
  m.stream_id = 1;
  m.manifest_seq = 7;
  m.first_packet_seq = 100;
  for (std::size_t i = 0; i < digests; ++i) m.digests.push_back(digest_of(static_cast<std::uint32_t>(i), length));
  return m;
}

std::vector<std::uint8_t> encoded(const Manifest& m, std::size_t length = 32) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode(m, length, out));
  return out;
}

// A manifest with T = 1, the given TLV bytes and one 4-byte digest 0xdddddddd.
std::vector<std::uint8_t> with_tlvs(std::string_view tlv_space_hex, std::string_view tlvs_hex) {
  auto out = unhex("00000001 00000002 00000003 8001");
  for (auto part : {tlv_space_hex, tlvs_hex, std::string_view("dddddddd")}) {
    auto b = unhex(part);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

}  // namespace

TEST_CASE("round trip without TLVs") {
  for (std::size_t length : {32u, 48u, 64u}) {
    for (std::size_t count : {0u, 1u, 64u}) {
      CAPTURE(length);
      CAPTURE(count);
      Manifest m = sample(count, length);
      auto wire = encoded(m, length);
      CHECK(wire.size() == manifest_fixed_size + count * length);
      Manifest back;
      REQUIRE_FALSE(decode(wire, length, back));
      CHECK(back == m);
    }
  }
}

TEST_CASE("round trip with refresh deadline and pad") {
  for (std::size_t pad : {0u, 1u, 255u, 256u, 600u}) {
    CAPTURE(pad);
    Manifest m = sample(3);
    m.tlvs.present = true;
    m.tlvs.refresh_deadline_s = 3600;
    m.tlvs.pad_bytes = pad;
    Manifest back;
    REQUIRE_FALSE(decode(encoded(m), 32, back));
    CHECK(back == m);
  }
}

TEST_CASE("wire layout is network byte order with the T flag") {
  Manifest m;
  m.stream_id = 0x01020304;
  m.manifest_seq = 0x05060708;
  m.first_packet_seq = 0x090a0b0c;
  m.tlvs.refresh_deadline_s = 0x1234;
  m.tlvs.pad_bytes = 1;
  m.digests.push_back(Digest(unhex("aabbccdd")));
  CHECK(encoded(m, 4) == unhex("01020304 05060708 090a0b0c 8001 0008 80 0002 1234 00 01 00 aabbccdd"));
}

TEST_CASE("T flag with TLV Space 0 is valid") {
  auto wire = with_tlvs("0000", "");
  Manifest m;
  REQUIRE_FALSE(decode(wire, 4, m));
  CHECK(m.tlvs.present);
  CHECK_FALSE(m.tlvs.refresh_deadline_s);
  CHECK(m.digests.size() == 1);
  CHECK(encoded(m, 4) == wire);
}

TEST_CASE("pad TLV takes 2 + Length bytes") {
  Manifest m;
  REQUIRE_FALSE(decode(with_tlvs("0005", "00 03 000000"), 4, m));
  CHECK(m.tlvs.pad_bytes == 3);
  REQUIRE_FALSE(decode(with_tlvs("0002", "00 00"), 4, m));
  CHECK(m.tlvs.pad_bytes == 0);
}

TEST_CASE("refresh deadline TLV takes 1 + 2 + Length bytes") {
  Manifest m;
  REQUIRE_FALSE(decode(with_tlvs("0005", "80 0002 003c"), 4, m));
  CHECK(m.tlvs.refresh_deadline_s == 60);
  CHECK(m.digests.at(0) == Digest(unhex("dddddddd")));
  CHECK(decode(with_tlvs("0004", "80 0001 00"), 4, m) == errc::tlv_bad_length);
  CHECK(decode(with_tlvs("0006", "80 0003 000000"), 4, m) == errc::tlv_bad_length);
}

TEST_CASE("unknown TLVs are skipped") {
  Manifest m;
  // Type 7 (8-bit length), type 200 (16-bit length), then a refresh deadline.
  REQUIRE_FALSE(decode(with_tlvs("000f", "07 02 ffff  c8 0003 010203  80 0002 0010"), 4, m));
  CHECK(m.tlvs.refresh_deadline_s == 16);
  CHECK(m.tlvs.pad_bytes == 0);
  CHECK(m.digests.size() == 1);
  // 16-bit type with an empty value, and type 127 is still an 8-bit-length type.
  REQUIRE_FALSE(decode(with_tlvs("0005", "ff 0000 7f 00"), 4, m));
}

TEST_CASE("TLVs must fill TLV Space exactly") {
  Manifest m;
  // Overrun: a value that runs past TLV Space.
  CHECK(decode(with_tlvs("0003", "00 05 00"), 4, m) == errc::tlv_overrun);
  CHECK(decode(with_tlvs("0004", "c8 0005 00"), 4, m) == errc::tlv_overrun);
  // The draft's slip: reading the 16-bit-length TLV as 2 + Length would need 4 bytes here.
  CHECK(decode(with_tlvs("0004", "80 0002 00"), 4, m) == errc::tlv_overrun);
  // Underrun: bytes left that cannot hold a TLV header.
  CHECK(decode(with_tlvs("0003", "00 00 00"), 4, m) == errc::tlv_underrun);
  CHECK(decode(with_tlvs("0004", "00 00 80 00"), 4, m) == errc::tlv_underrun);
  CHECK(decode(with_tlvs("0001", "80"), 4, m) == errc::tlv_underrun);
}

TEST_CASE("truncated and trailing bytes") {
  auto wire = encoded(sample(2));
  Manifest m;
  for (std::size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    CHECK(decode(std::span(wire).first(n), 32, m) == errc::manifest_truncated);
  }
  wire.push_back(0);
  CHECK(decode(wire, 32, m) == errc::trailing_bytes);
}

TEST_CASE("sequence numbers wrap") {
  Manifest m = sample(3);
  m.manifest_seq = 0xffffffff;
  m.first_packet_seq = 0xfffffffe;
  Manifest back;
  REQUIRE_FALSE(decode(encoded(m), 32, back));
  CHECK(back.manifest_seq == 0xffffffff);
  CHECK(back.first_packet_seq == 0xfffffffe);
}

TEST_CASE("encode refuses what the wire cannot carry") {
  std::vector<std::uint8_t> out{1, 2};
  CHECK(encode(sample(max_digest_count + 1, 4), 4, out) == errc::too_many_digests);
  CHECK(encode(sample(2, 32), 48, out) == errc::digest_length_mismatch);
  CHECK(encode(sample(1, 32), 0, out) == errc::invalid_digest_length);
  CHECK(encode(sample(1, 32), 65, out) == errc::invalid_digest_length);
  Manifest big = sample(0);
  big.tlvs.pad_bytes = 65535;
  CHECK(encode(big, 32, out) == errc::tlv_space_too_large);
  CHECK(encode(sample(32767, 64), 64, out) == errc::manifest_too_large);
  CHECK(out == std::vector<std::uint8_t>{1, 2});
  REQUIRE_FALSE(encode(sample(max_digest_count, 32), 32, out));
  CHECK(out.size() == 2 + manifest_fixed_size + max_digest_count * 32);
}

TEST_CASE("decode refuses a manifest over the size bound") {
  // Count 32767 of 64-byte digests: over 1 MiB, refused from the header alone.
  auto header = unhex("00000001 00000000 00000000 7fff");
  Manifest m;
  CHECK(decode(header, 64, m) == errc::manifest_too_large);
  CHECK(decode(encoded(sample(4)), 32, m, manifest_fixed_size + 4 * 32 - 1) == errc::manifest_too_large);
  CHECK(decode(with_tlvs("ffff", ""), 4, m, 1000) == errc::manifest_too_large);
}

TEST_CASE("the test vector's manifest (testdata/ambi/manifest-sha256.bin) decodes and encodes to the same bytes") {
  const auto& expected = ambi_test::vector_json().at("manifest");
  auto wire = ambi_test::read_bytes(expected.at("file").get<std::string>());
  Manifest m;
  REQUIRE_FALSE(decode(wire, 32, m));
  CHECK(m.stream_id == expected.at("stream_id").get<std::uint32_t>());
  CHECK(m.manifest_seq == expected.at("manifest_seq").get<std::uint32_t>());
  CHECK(m.first_packet_seq == expected.at("first_packet_seq").get<std::uint32_t>());
  CHECK(m.tlvs.present);
  CHECK(m.tlvs.refresh_deadline_s == expected.at("refresh_deadline_s").get<std::uint16_t>());
  CHECK(m.tlvs.pad_bytes == expected.at("pad_bytes").get<std::size_t>());
  std::vector<std::string> digests;
  for (const auto& d : m.digests) digests.push_back(d.to_hex());
  CHECK(digests == expected.at("digests").get<std::vector<std::string>>());
  // The one digest is the IPv4 packet's: this manifest authenticates payload.bin.
  CHECK(digests.front() == ambi_test::vector_packet("ipv4").digests.at("sha-256").get<std::string>());
  CHECK(encoded(m) == wire);
}
