#include "common/seq_payload.hpp"

namespace taps::apps {
namespace {

void put(std::span<std::uint8_t> out, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out[at + i] = static_cast<std::uint8_t>(value >> (8 * (width - 1 - i)));
}

std::uint64_t get(std::span<const std::uint8_t> in, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | in[at + i];
  return v;
}

}  // namespace

std::size_t seq_header_size(SeqFormat format) {
  switch (format) {
    case SeqFormat::none:
      return 0;
    case SeqFormat::u32:
      return 12;
    case SeqFormat::u64:
    case SeqFormat::iperf2:
      return 16;
  }
  return 0;
}

void write_seq_header(SeqFormat format, std::uint64_t seq, std::int64_t send_time_ns, bool end_marker,
                      std::span<std::uint8_t> payload) {
  auto time = static_cast<std::uint64_t>(send_time_ns);
  switch (format) {
    case SeqFormat::none:
      return;
    case SeqFormat::u32:
      put(payload, 0, seq, 4);
      put(payload, 4, time, 8);
      return;
    case SeqFormat::u64:
      put(payload, 0, seq, 8);
      put(payload, 8, time, 8);
      return;
    case SeqFormat::iperf2: {
      // 31 bits: iperf2 reads the id as signed, and a negative one ends the test.
      auto id = static_cast<std::uint32_t>(seq & 0x7fffffff);
      if (end_marker) id = static_cast<std::uint32_t>(-static_cast<std::int32_t>(id == 0 ? 1 : id));
      put(payload, 0, id, 4);
      put(payload, 4, static_cast<std::uint64_t>(send_time_ns / 1000000000), 4);
      put(payload, 8, static_cast<std::uint64_t>(send_time_ns % 1000000000 / 1000), 4);
      put(payload, 12, 0, 4);  // id2: only with iperf2's 64-bit flag, which we do not set
      return;
    }
  }
}

std::optional<std::int64_t> read_send_time(SeqFormat format, std::span<const std::uint8_t> payload) {
  if (format == SeqFormat::none || payload.size() < seq_header_size(format)) return std::nullopt;
  switch (format) {
    case SeqFormat::none:
      return std::nullopt;
    case SeqFormat::u32:
      return static_cast<std::int64_t>(get(payload, 4, 8));
    case SeqFormat::u64:
      return static_cast<std::int64_t>(get(payload, 8, 8));
    case SeqFormat::iperf2:
      return static_cast<std::int64_t>(get(payload, 4, 4)) * 1000000000 +
             static_cast<std::int64_t>(get(payload, 8, 4)) * 1000;
  }
  return std::nullopt;
}

}  // namespace taps::apps
