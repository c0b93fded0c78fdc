// The ambi+tls stream parser: events in order whatever the chunking, digests as soon as
// they are complete, errors that make the verifier disconnect.
#include <doctest/doctest.h>

#include <string>

#include "ambi/error.hpp"
#include "ambi/manifest_stream_parser.hpp"
#include "hex.hpp"

using namespace ambi;
using ambi_test::digest_of;
using ambi_test::unhex;

namespace {

Manifest sample(std::uint32_t manifest_seq, std::uint32_t first_packet_seq, std::size_t digests) {
  Manifest m;
  m.stream_id = 1;
  m.manifest_seq = manifest_seq;
  m.first_packet_seq = first_packet_seq;
  m.tlvs.refresh_deadline_s = 30;
  m.tlvs.pad_bytes = 3;
  m.tlvs.present = true;
  for (std::uint32_t i = 0; i < digests; ++i) m.digests.push_back(digest_of(first_packet_seq + i));
  return m;
}

std::vector<std::uint8_t> stream_of(const std::vector<Manifest>& manifests) {
  std::vector<std::uint8_t> out;
  for (const auto& m : manifests) REQUIRE_FALSE(encode(m, 32, out));
  return out;
}

// Every event as one line of text, to compare runs.
std::string describe(const ManifestEvent& event) {
  struct {
    std::string operator()(std::monostate) const { return "more"; }
    std::string operator()(const ManifestHeader& h) const {
      return "header " + std::to_string(h.manifest_seq) + " first " + std::to_string(h.first_packet_seq) + " count " +
             std::to_string(h.digest_count);
    }
    std::string operator()(const PacketDigest& d) const {
      return "digest " + std::to_string(d.packet_seq) + " " + d.digest.to_hex();
    }
    std::string operator()(const ManifestEnd& e) const { return "end " + std::to_string(e.manifest_seq); }
    std::string operator()(const std::error_code& e) const { return "error " + e.message(); }
  } visit;
  return std::visit(visit, event);
}

// Feeds `bytes` in chunks cut at `cuts` and returns every event but "more".
std::vector<std::string> run(ManifestStreamParser& parser, std::span<const std::uint8_t> bytes,
                             const std::vector<std::size_t>& cuts) {
  std::vector<std::string> events;
  std::size_t from = 0;
  auto feed = [&](std::size_t to) {
    auto chunk = bytes.subspan(from, to - from);
    for (;;) {
      auto event = parser.next(chunk);
      if (std::holds_alternative<std::monostate>(event)) break;
      events.push_back(describe(event));
      if (std::holds_alternative<std::error_code>(event)) return;
    }
    from = to;
  };
  for (auto cut : cuts) feed(cut);
  feed(bytes.size());
  return events;
}

}  // namespace

TEST_CASE("events of two manifests fed whole") {
  auto bytes = stream_of({sample(1, 10, 2), sample(2, 12, 0)});
  ManifestStreamParser parser(32, 1u);
  auto events = run(parser, bytes, {});
  REQUIRE(events.size() == 6);
  CHECK(events[0] == "header 1 first 10 count 2");
  CHECK(events[1] == "digest 10 " + digest_of(10).to_hex());
  CHECK(events[2] == "digest 11 " + digest_of(11).to_hex());
  CHECK(events[3] == "end 1");
  CHECK(events[4] == "header 2 first 12 count 0");
  CHECK(events[5] == "end 2");
  CHECK(parser.at_boundary());
  CHECK(parser.manifests() == 2);
}

TEST_CASE("the header carries the TLVs") {
  auto bytes = stream_of({sample(1, 10, 1)});
  ManifestStreamParser parser(32);
  std::span<const std::uint8_t> in = bytes;
  auto event = parser.next(in);
  auto* header = std::get_if<ManifestHeader>(&event);
  REQUIRE(header);
  CHECK(header->tlvs.present);
  CHECK(header->tlvs.refresh_deadline_s == 30);
  CHECK(header->tlvs.pad_bytes == 3);
  CHECK(in.size() == 32);
}

TEST_CASE("byte by byte gives the same events with each digest on its last byte") {
  auto bytes = stream_of({sample(1, 10, 3), sample(2, 13, 2)});
  ManifestStreamParser whole(32);
  auto expected = run(whole, bytes, {});

  ManifestStreamParser parser(32);
  std::vector<std::string> events;
  const std::size_t first_digest_end = manifest_fixed_size + 2 + 5 + 5 + 32;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::span<const std::uint8_t> in = std::span(bytes).subspan(i, 1);
    for (;;) {
      auto event = parser.next(in);
      if (std::holds_alternative<std::monostate>(event)) break;
      if (std::holds_alternative<PacketDigest>(event) && events.size() == 1) CHECK(i + 1 == first_digest_end);
      events.push_back(describe(event));
    }
    CHECK(in.empty());
  }
  CHECK(events == expected);
}

TEST_CASE("every split offset gives the same events") {
  auto bytes = stream_of({sample(1, 10, 2), sample(2, 12, 1)});
  ManifestStreamParser whole(32);
  auto expected = run(whole, bytes, {});
  for (std::size_t a = 0; a <= bytes.size(); ++a) {
    for (std::size_t b = a; b <= bytes.size(); b += 7) {
      CAPTURE(a);
      CAPTURE(b);
      ManifestStreamParser parser(32);
      CHECK(run(parser, bytes, {a, b}) == expected);
      CHECK(parser.at_boundary());
    }
  }
}

TEST_CASE("packet sequence numbers wrap within a manifest") {
  auto bytes = stream_of({sample(0xffffffff, 0xfffffffe, 4), sample(0, 2, 1)});
  ManifestStreamParser parser(32);
  std::span<const std::uint8_t> in = bytes;
  std::vector<std::uint32_t> seqs;
  std::vector<std::uint32_t> manifest_seqs;
  for (;;) {
    auto event = parser.next(in);
    if (std::holds_alternative<std::monostate>(event)) break;
    if (auto* d = std::get_if<PacketDigest>(&event)) seqs.push_back(d->packet_seq);
    if (auto* e = std::get_if<ManifestEnd>(&event)) manifest_seqs.push_back(e->manifest_seq);
  }
  CHECK(seqs == std::vector<std::uint32_t>{0xfffffffe, 0xffffffff, 0, 1, 2});
  CHECK(manifest_seqs == std::vector<std::uint32_t>{0xffffffff, 0});
}

TEST_CASE("wrong stream identifier is reported from its 4 bytes and sticks") {
  auto bytes = stream_of({sample(1, 10, 1)});
  ManifestStreamParser parser(32, 2u);
  std::span<const std::uint8_t> in = std::span(bytes).first(4);
  auto event = parser.next(in);
  REQUIRE(std::holds_alternative<std::error_code>(event));
  CHECK(std::get<std::error_code>(event) == errc::wrong_stream_id);
  std::span<const std::uint8_t> rest = std::span(bytes).subspan(4);
  CHECK(std::get<std::error_code>(parser.next(rest)) == errc::wrong_stream_id);
  CHECK_FALSE(parser.at_boundary());
}

TEST_CASE("the second manifest with a wrong stream identifier fails after the first") {
  Manifest other = sample(2, 11, 1);
  other.stream_id = 9;
  auto bytes = stream_of({sample(1, 10, 1), other});
  ManifestStreamParser parser(32, 1u);
  auto events = run(parser, bytes, {});
  REQUIRE(events.size() == 4);
  CHECK(events[2] == "end 1");
  CHECK(events[3] == "error wrong manifest stream identifier");
}

TEST_CASE("TLV overrun and oversize end the stream") {
  {
    ManifestStreamParser parser(4);
    auto bytes = unhex("00000001 00000002 00000003 8001 0003 000500 dddddddd");
    auto events = run(parser, bytes, {});
    CHECK(events == std::vector<std::string>{"error TLV runs past TLV Space"});
  }
  {
    // 32767 digests of 64 bytes: over 1 MiB, known from 14 bytes, before any digest.
    ManifestStreamParser parser(64);
    auto bytes = unhex("00000001 00000002 00000003 7fff");
    auto events = run(parser, bytes, {});
    CHECK(events == std::vector<std::string>{"error manifest too large"});
  }
  {
    ManifestStreamParser parser(32, std::nullopt, 100);
    auto bytes = unhex("00000001 00000002 00000003 8000 ffff");
    CHECK(run(parser, bytes, {}) == std::vector<std::string>{"error manifest too large"});
  }
}

TEST_CASE("largest manifest under the bound parses") {
  // 32767 digests of 32 bytes: about 1 MiB minus a little, within the bound.
  Manifest m;
  m.stream_id = 1;
  m.digests.assign(max_digest_count, digest_of(5));
  auto bytes = stream_of({m});
  ManifestStreamParser parser(32);
  std::span<const std::uint8_t> in = bytes;
  std::size_t digests = 0;
  for (;;) {
    auto event = parser.next(in);
    if (std::holds_alternative<std::monostate>(event)) break;
    REQUIRE_FALSE(std::holds_alternative<std::error_code>(event));
    digests += std::holds_alternative<PacketDigest>(event);
  }
  CHECK(digests == max_digest_count);
  CHECK(parser.at_boundary());
}

TEST_CASE("an invalid digest length fails closed") {
  for (std::size_t length : {0u, 65u}) {
    ManifestStreamParser parser(length);
    auto bytes = stream_of({sample(1, 10, 0)});
    std::span<const std::uint8_t> in = bytes;
    CHECK(std::get<std::error_code>(parser.next(in)) == errc::invalid_digest_length);
  }
}

TEST_CASE("a stream cut mid-manifest is not at a boundary") {
  auto bytes = stream_of({sample(1, 10, 2)});
  ManifestStreamParser parser(32);
  auto events = run(parser, std::span(bytes).first(bytes.size() - 1), {});
  CHECK(events.size() == 2);
  CHECK_FALSE(parser.at_boundary());
}
