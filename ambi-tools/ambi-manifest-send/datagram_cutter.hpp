// --originate's datagrams from stdin, whatever sizes the reads return (DESIGN.md 9):
// datagrams of exactly --packet-size bytes, only the last one shorter; or, with
// --lines, one datagram per line with its newline (a line longer than --packet-size
// goes out in --packet-size pieces). Pure: bytes in, datagrams out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ambi_manifest_send {

class DatagramCutter {
 public:
  enum class Mode { fixed_size, lines };

  DatagramCutter(std::size_t packet_size, Mode mode) : packet_size_(packet_size), mode_(mode) {}

  // Bytes read from stdin; `out` gets the datagrams they complete.
  void feed(std::span<const std::uint8_t> bytes, std::vector<std::vector<std::uint8_t>>& out);
  // Stdin ended: the last datagram (shorter, or a line without newline), if any.
  std::optional<std::vector<std::uint8_t>> finish();

 private:
  std::size_t packet_size_;
  Mode mode_;
  std::vector<std::uint8_t> partial_;  // shorter than packet_size_, no newline in --lines
};

}  // namespace ambi_manifest_send
