#include <doctest/doctest.h>

#include <array>

#include "taps-mcast-recv/sequence.hpp"

using taps_mcast_recv::SeqFormat;
using taps_mcast_recv::SequenceTracker;

namespace {

struct Counts {
  std::uint64_t lost, reordered, duplicates;
  friend bool operator==(const Counts&, const Counts&) = default;
};

Counts track(std::vector<std::uint64_t> seqs, bool wraps32 = true) {
  SequenceTracker t(wraps32);
  for (auto s : seqs) t.on_sequence(s);
  return {t.lost(), t.reordered(), t.duplicates()};
}

}  // namespace

TEST_CASE("mcast sequence accounting: table of arrival orders") {
  struct Case {
    const char* what;
    std::vector<std::uint64_t> seqs;
    Counts expected;
  };
  const std::vector<Case> cases = {
      {"in order", {0, 1, 2, 3}, {0, 0, 0}},
      {"starting anywhere", {100, 101, 102}, {0, 0, 0}},
      {"one lost", {0, 1, 3, 4}, {1, 0, 0}},
      {"a gap of three", {0, 4}, {3, 0, 0}},
      {"swapped pair", {0, 2, 1, 3}, {0, 1, 0}},
      {"late by many", {0, 2, 3, 4, 5, 1}, {0, 1, 0}},
      {"duplicate", {0, 1, 1, 2}, {0, 0, 1}},
      {"duplicate of a late one", {0, 2, 1, 1}, {0, 1, 1}},
      {"earlier than the first", {5, 6, 4}, {0, 1, 0}},
      {"wrap of 32 bits", {0xfffffffe, 0xffffffff, 0, 1}, {0, 0, 0}},
      {"loss across the wrap", {0xffffffff, 1}, {1, 0, 0}},
      {"late across the wrap", {0xffffffff, 1, 0}, {0, 1, 0}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK(track(c.seqs) == c.expected);
  }
}

TEST_CASE("mcast sequence accounting: 64-bit numbers do not wrap at 32 bits") {
  CHECK(track({0xffffffffull, 0x100000000ull, 0x100000001ull}, false) == Counts{0, 0, 0});
  CHECK(track({1ull << 40, (1ull << 40) + 10}, false) == Counts{9, 0, 0});
}

TEST_CASE("mcast sequence accounting: a long run with every tenth number lost") {
  SequenceTracker t(true);
  for (std::uint64_t i = 0; i < 100000; ++i) {
    if (i % 10 != 5) t.on_sequence(i);
  }
  CHECK(t.lost() == 10000);
  CHECK(t.reordered() == 0);
  CHECK(t.duplicates() == 0);
}

TEST_CASE("mcast sequence field: network order and the iperf2 end marker") {
  std::array<std::uint8_t, 8> bytes = {0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  CHECK(taps_mcast_recv::read_sequence(SeqFormat::u32, bytes)->value == 0x0102);
  CHECK(taps_mcast_recv::read_sequence(SeqFormat::u64, bytes)->value == 0x0000010203040506ull);
  CHECK(!taps_mcast_recv::read_sequence(SeqFormat::u64, std::span(bytes).first(7)));
  CHECK(!taps_mcast_recv::read_sequence(SeqFormat::none, bytes));
  std::array<std::uint8_t, 4> end = {0xff, 0xff, 0xff, 0xf0};  // -16: iperf2's end of test
  auto field = taps_mcast_recv::read_sequence(SeqFormat::iperf2, end);
  REQUIRE(field);
  CHECK(field->end_marker);
  CHECK(!taps_mcast_recv::read_sequence(SeqFormat::u32, end)->end_marker);
}
