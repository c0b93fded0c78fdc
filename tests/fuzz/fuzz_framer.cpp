// libFuzzer target for one shipped framer (FUZZ_FRAMER: "line" or "lp") with any
// --max-message. Input: byte 0 picks how the rest is cut into arrivals (bits 0-4), the
// range of the maximum (bits 5-6: small, 16-bit, just below 2^64, any 64-bit value) and
// stream or datagrams (bit 7); bytes 1-8 are the maximum (little endian); the rest is
// the peer's bytes, one datagram per arrival in datagram mode.
// Checks, beyond the sanitizers: the framer delivers exactly the messages, and fails
// exactly when, a plain reading of the wire format with that maximum says, whatever
// the cutting; nothing is delivered after a failure; each delivered message, sent
// back through the framer, comes out framed as the wire format says.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "framing/framer_host.hpp"

namespace {

constexpr std::string_view name = FUZZ_FRAMER;

std::string frame(const std::string& message) {
  if (name == "line") return message + "\n";
  auto n = message.size();
  std::string header{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return header + message;
}

std::size_t max_message(std::uint8_t selector, const std::uint8_t* bytes) {
  std::uint64_t raw = 0;
  for (int i = 7; i >= 0; --i) raw = raw << 8 | bytes[i];
  constexpr auto top = std::numeric_limits<std::size_t>::max();
  switch (selector >> 5 & 3) {
    case 0: return raw % 64;
    case 1: return raw % 65536;
    case 2: return top - raw % 16;
    default: return raw;
  }
}

// What a reader of the format expects from `wire` (one stream, or one datagram).
struct Expected {
  std::vector<std::string> messages;
  bool failed = false;
};

void expect_lines(std::string_view wire, std::size_t max, bool datagram, Expected& out) {
  while (!wire.empty()) {
    auto newline = wire.find('\n');
    std::size_t length = newline == std::string_view::npos ? wire.size() : newline;
    if (length > max) {
      out.failed = true;
      return;
    }
    if (newline == std::string_view::npos) {
      // An unterminated tail waits for more on a stream; a datagram ends the line.
      if (datagram) out.messages.emplace_back(wire);
      return;
    }
    out.messages.emplace_back(wire.substr(0, length));
    wire.remove_prefix(length + 1);
  }
}

void expect_lp(std::string_view wire, std::size_t max, bool datagram, Expected& out) {
  while (wire.size() >= 4) {
    std::size_t length = std::size_t{std::uint8_t(wire[0])} << 24 | std::size_t{std::uint8_t(wire[1])} << 16 |
                         std::size_t{std::uint8_t(wire[2])} << 8 | std::size_t{std::uint8_t(wire[3])};
    if (length > max || (datagram && length > wire.size() - 4)) {
      out.failed = true;
      return;
    }
    if (length > wire.size() - 4) return;
    out.messages.emplace_back(wire.substr(4, length));
    wire.remove_prefix(4 + length);
  }
}

void expect(std::string_view wire, std::size_t max, bool datagram, Expected& out) {
  if (name == "line") expect_lines(wire, max, datagram, out);
  else expect_lp(wire, max, datagram, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const std::size_t step = 1 + (data[0] & 31);
  const bool datagram = data[0] & 0x80;
  const std::size_t max = max_message(data[0], data + 1);
  data += 9;
  size -= 9;

  std::vector<std::string> delivered;
  std::string part;
  bool failed = false;
  std::string sent;
  taps::detail::FramerHost::Callbacks callbacks;
  callbacks.send = [&](taps::Message m) { sent += m.as_string_view(); };
  callbacks.deliver = [&](taps::Message&& m, taps::MessageContext&&, bool end) {
    if (failed) std::abort();
    part += m.as_string_view();
    if (end) delivered.push_back(std::exchange(part, {}));
  };
  callbacks.ready = [] {};
  callbacks.failed = [&](taps::Error) { failed = true; };
  std::vector<std::unique_ptr<taps::Framer>> framers;
  framers.push_back(taps::framer_by_name(name, max)->factory());
  taps::detail::FramerHost host(std::move(framers), callbacks, datagram);
  host.start();

  Expected expected;
  for (std::size_t at = 0; at < size; at += step) {
    const std::size_t n = std::min(step, size - at);
    host.received(data + at, n);
    if (datagram && !expected.failed) expect(std::string_view(reinterpret_cast<const char*>(data + at), n), max, true, expected);
  }
  if (!datagram) expect(std::string_view(reinterpret_cast<const char*>(data), size), max, false, expected);

  if (failed != expected.failed || delivered != expected.messages) std::abort();
  if (failed) return 0;
  for (const auto& message : delivered) {
    sent.clear();
    host.send(taps::Message(std::string_view(message)), taps::MessageContext{});
    if (sent != frame(message)) std::abort();
  }
  return 0;
}
