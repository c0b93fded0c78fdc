// The sequence-number payloads that taps-mcast-send writes and taps-mcast-recv reads
// (--seq, DESIGN.md 11):
//   u32     sequence (4 bytes) then send time (8 bytes: ns since the epoch), network order
//   u64     sequence (8 bytes) then send time (8 bytes)
//   iperf2  iperf2's UDP header: id (int32; negative = end of test), tv_sec, tv_usec,
//           id2 (upper 32 bits of the sequence), so `iperf -s -u` reads the stream
// Pure: bytes in and out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace taps::apps {

enum class SeqFormat { none, u32, u64, iperf2 };

// The bytes the header needs: a datagram must be at least this large.
std::size_t seq_header_size(SeqFormat format);

// Writes the header for `seq` sent at `send_time_ns` (CLOCK_REALTIME) at the start of
// `payload`, which holds at least seq_header_size bytes. `end_marker`: iperf2's
// negative id that ends a test.
void write_seq_header(SeqFormat format, std::uint64_t seq, std::int64_t send_time_ns, bool end_marker,
                      std::span<std::uint8_t> payload);

// The send time a header carries (ns since the epoch), when the payload has one.
std::optional<std::int64_t> read_send_time(SeqFormat format, std::span<const std::uint8_t> payload);

}  // namespace taps::apps
